import { it } from 'vitest';
import { seedDemo } from '../../pkg-backend/src/demo/seed.ts';
import { testPool } from '../../test/store/helpers.ts';
it('prof', async () => {
  const pool = testPool();
  const realQuery = pool.connect.bind(pool);
  let insertMs = 0;
  (pool as any).connect = async () => { const c = await realQuery(); const q = c.query.bind(c); (c as any).query = async (...a: any[]) => { const t = performance.now(); try { return await (q as any)(...a); } finally { if (String(a[0]).includes('INSERT')) insertMs += performance.now() - t; } }; return c; };
  const t0 = performance.now();
  const r = await seedDemo(pool, { end: new Date('2024-03-01T00:00:00Z'), table: 'public.prof' });
  console.log('total', performance.now() - t0, 'insert', insertMs, r.rows);
  await pool.query('DROP TABLE public.prof');
  await pool.end();
}, 120000);
