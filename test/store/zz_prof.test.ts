import { it } from 'vitest';
import { seedDemo } from '../../pkg-backend/src/demo/seed.ts';
import * as st from '../../pkg-backend/src/demo/seedTable.ts';
import { testPool } from './helpers.ts';
it('prof', async () => {
  const pool = testPool();
  const fake: any = { connect: async () => ({ query: async (sql: string) => (String(sql).includes('information_schema') ? { rowCount: 0, rows: [] } : { rowCount: 8000, rows: [] }), release() {} }) };
  const t0 = performance.now();
  await seedDemo(fake, { end: new Date('2024-03-01T00:00:00Z'), table: 'public.prof' });
  console.log('generation only', Math.round(performance.now() - t0));
  await pool.end();
}, 120000);
