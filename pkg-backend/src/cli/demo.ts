/**
 * `npm start` for now: the embedded Postgres, the demo table seeded when empty, and each detector the demo's
 * injected anomalies call for, with the anomaly groups it finds.
 */
import type { Database } from './database.ts';
import { runDetection } from '../query/detection.ts';
import { tableBounds } from '../store/bounds.ts';
import { StoreError } from '../store/errors.ts';
import { detectionTable } from './output.ts';
import { offerGrafana } from './grafana.ts';

export const DEMO_TABLE = 'public.weblogs';
export const DEMO_SUCCESS = { field: 'state', op: '=', value: '1' } as const;

/** The detectors named by the demo's injected anomalies (see pkg-backend/src/demo/seed.ts). */
export const DEMO_DETECTORS = [
  { function: 'rare', by: 'state', bucketSpan: '5m' },
  { function: 'freq_rare', by: 'state', over: 'ip', bucketSpan: '5m' },
  { function: 'rare', by: 'country', over: 'key', bucketSpan: '5m' },
] as const satisfies readonly { function: 'rare' | 'freq_rare'; by: string; over?: string; bucketSpan: string }[];

export async function runDemo(db: Database, out: (s: string) => void): Promise<void> {
  const { seedDemo } = await import('../demo/seed.ts');
  const rows = await tableBounds(db.pool, { table: DEMO_TABLE, timeColumn: 'ts' }).then(
    (b) => b.rows,
    (e: unknown) => {
      if (e instanceof StoreError && e.kind === 'table_missing') return 0;
      throw e;
    },
  );
  if (rows === 0) {
    out(`Seeding ${DEMO_TABLE} (30 days of licensing Web API requests with injected anomalies)…\n`);
    const seeded = await seedDemo(db.pool, {});
    out(`  ${seeded.rows.toLocaleString('en')} rows; injected: ${seeded.injected.map((i) => `${i.kind} (${i.entity})`).join(', ')}\n`);
  } else {
    out(`${DEMO_TABLE} already holds ${rows.toLocaleString('en')} rows (delete .rarity/ to reseed).\n`);
  }
  out(`Database: ${db.url}${db.embedded ? ' (embedded, data in .rarity/pg)' : ''}\n\n`);
  for (const d of DEMO_DETECTORS) {
    const result = await runDetection(db.pool, {
      table: DEMO_TABLE,
      timeColumn: 'ts',
      idColumn: 'id',
      function: d.function,
      byField: d.by,
      overField: 'over' in d ? d.over : undefined,
      bucketSpan: d.bucketSpan,
      successRule: DEMO_SUCCESS,
    });
    out(detectionTable(result) + '\n\n');
  }
  await offerGrafana(db, out);
}
