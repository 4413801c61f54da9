/**
 * `npm start` for now: the embedded Postgres, the demo table seeded when empty, and each detector the demo's
 * injected anomalies call for, with the anomaly groups it finds.
 */
import type { RarityDataSourceOptions, RarityQuery } from '../../../common/queryModel.ts';
import { runDetection } from '../query/detection.ts';
import { detectorRequest } from '../query/request.ts';
import { StoreError, tableBounds } from '../store/index.ts';
import type { Database } from './database.ts';
import { offerGrafana } from './grafana.ts';
import { detectionTable } from './output.ts';

export const DEMO_TABLE = 'public.weblogs';

/** The datasource settings the demo's provisioning uses, as the command line has no datasource. */
export const DEMO_SETTINGS: RarityDataSourceOptions = {
  table: DEMO_TABLE,
  timeColumn: 'ts',
  idColumn: 'id',
  successRule: { field: 'state', op: '=', value: '1' },
};

/** The detectors named by the demo's injected anomalies (see pkg-backend/src/demo/seed.ts). */
export const DEMO_DETECTORS: ReadonlyArray<Partial<RarityQuery>> = [
  { function: 'rare', byField: 'state', bucketSpan: '5m' },
  { function: 'freq_rare', byField: 'state', overField: 'ip', bucketSpan: '5m' },
  { function: 'rare', byField: 'country', overField: 'key', bucketSpan: '5m' },
];

export async function runDemo(db: Database, out: (s: string) => void): Promise<void> {
  const { seedDemo } = await import('../demo/seed.ts');
  const rows = await tableBounds(db.pool, { table: DEMO_TABLE, timeColumn: 'ts' }).then(
    (b) => b.rows,
    (e: unknown) => {
      if (e instanceof StoreError && e.kind === 'table_missing') {
        return 0;
      }
      throw e;
    },
  );
  if (rows === 0) {
    out(`Seeding ${DEMO_TABLE} (30 days of licensing Web API requests with injected anomalies)…\n`);
    const seeded = await seedDemo(db.pool, {});
    out(
      `  ${seeded.rows.toLocaleString('en')} rows; injected: ${seeded.injected.map((i) => `${i.kind} (${i.entity})`).join(', ')}\n`,
    );
    const t = seeded.keyTakeover;
    // Found only by a job partitioned by key (the Cryptolens preset), not by the detectors below.
    out(
      `  and key_takeover (${t.key}): ${t.start} – ${t.end}, ${t.requests} requests (${t.failed} failed) ` +
        `from ${t.machineCodes.length} new machine codes on ${t.ips.length} new IPs ` +
        `(usually ${t.usualMachineCodes.join(', ')} on ${t.usualIps.join(', ')})\n` +
        `    machine codes: ${t.machineCodes.join(', ')}\n    IPs: ${t.ips.join(', ')}\n`,
    );
  } else {
    out(
      `${DEMO_TABLE} already holds ${rows.toLocaleString('en')} rows (${db.dataDir ? `delete ${db.dataDir}` : `drop it`} to reseed).\n`,
    );
  }
  out(`Database: ${db.url}${db.dataDir ? ` (embedded, data in ${db.dataDir})` : ''}\n\n`);
  for (const query of DEMO_DETECTORS) {
    const result = await runDetection(db.pool, detectorRequest(query, DEMO_SETTINGS));
    out(detectionTable(result) + '\n\n');
  }
  await offerGrafana(db, out);
}
