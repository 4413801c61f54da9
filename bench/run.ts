/**
 * `npm run bench` — speed as ratios against baselines measured in the same run, never as timed test asserts.
 *   (a) engine alone on generated tuples, tuples/s;
 *   (b) end-to-end freq_rare on a generated table vs the bare aggregate SQL on that table (ratio).
 * Options: --rows N (default 1 000 000; the big run is --rows 10000000), --database-url URL.
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from '../pkg-backend/src/store/connection.ts';
import { startEmbeddedPostgres } from '../pkg-backend/src/store/embedded.ts';
import { benchEngine, generateBuckets } from './engine.ts';
import { benchEndToEnd, createBenchTable } from './endToEnd.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, 'database-url': { type: 'string' } } });
const rows = Number(values.rows);

const fmt = (n: number) => Math.round(n).toLocaleString('en');

console.log('(a) engine alone');
for (const [label, spec, population] of [
  ['rare by v (500 values)', { function: 'rare', byField: 'v', bucketSpanSeconds: 300 }, false],
  ['rare by state over ip', { function: 'rare', byField: 'state', overField: 'ip', bucketSpanSeconds: 300 }, true],
  ['freq_rare by state over ip', { function: 'freq_rare', byField: 'state', overField: 'ip', bucketSpanSeconds: 300 }, true],
] as const) {
  const inputs = generateBuckets(2000, 200, population);
  const r = benchEngine(spec, inputs);
  console.log(`  ${label.padEnd(30)} ${fmt(r.perSecond).padStart(12)} tuples/s  (${fmt(r.tuples)} tuples in ${r.seconds.toFixed(2)} s)`);
}

let url = values['database-url'] ?? process.env.DATABASE_URL;
let stop: (() => Promise<void>) | undefined;
let dataDir: string | undefined;
if (!url) {
  dataDir = mkdtempSync(join(tmpdir(), 'rarity-bench-pg-'));
  const handle = await startEmbeddedPostgres({ dataDir, persistent: false });
  url = handle.url;
  stop = handle.stop;
}
const pool = createPool({ connectionString: url, statementTimeoutMs: 0, applicationName: 'rarity-bench' });
try {
  console.log(`\n(b) end to end on ${fmt(rows)} rows (freq_rare by state over ip, 5m buckets, 30 days)`);
  const t0 = Date.now();
  await createBenchTable(pool, rows);
  console.log(`  table ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const r = await benchEndToEnd(pool);
  console.log(`  bare aggregate SQL   ${r.bare.toFixed(3)} s (baseline)`);
  console.log(`  rarity detection     ${r.detect.toFixed(3)} s`);
  console.log(`  ratio detection / aggregate = ${(r.detect / r.bare).toFixed(2)}×`);
} finally {
  await pool.end();
  await stop?.();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
