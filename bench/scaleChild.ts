/**
 * One measurement of (f) in a process of its own, so its peak RSS is that measurement's alone: the bare
 * aggregate (the baseline), rarity detection (freq_rare by state over ip in 5-minute buckets over [from, to)), or
 * the stream detection reads (the same chunked, prefetching pushdown, its buckets assembled and dropped): what
 * detection costs before the engine scores anything.
 * Prints one JSON line on stdout: { measure, seconds, tuples, maxRssKb, rssBeforeKb }. bench/scale.ts runs it bundled;
 * by hand:
 *   node bin/run-ts.mjs bench/scaleChild.ts --database-url URL --table T --measure bare|stream|detect --from ISO --to ISO
 */
import { parseArgs } from 'node:util';
import { chunkedBuckets } from '../pkg-backend/src/query/bucketFeed.ts';
import { startGcPacer } from '../pkg-backend/src/plugin/gcPacer.ts';
import { runDetection } from '../pkg-backend/src/query/detection.ts';
import { detectorRequest } from '../pkg-backend/src/query/request.ts';
import { createPool, describeTable, runBareAggregate } from '../pkg-backend/src/store/index.ts';
import { BENCH_SPAN_SECONDS, BENCH_SUCCESS_RULE, benchPlan } from './shape.ts';

export type ScaleMeasure = 'bare' | 'stream' | 'detect';

export interface ScaleChildReport {
  measure: ScaleMeasure;
  seconds: number;
  /** Rows of the aggregate (bare), tuples streamed (stream) or tuples the engine consumed (detect). */
  tuples: number;
  /** process.resourceUsage().maxRSS at the end, in kB: the whole process, startup included. */
  maxRssKb: number;
  /** The same just before the measurement: what the process holds before doing any of the work. */
  rssBeforeKb: number;
}

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    table: { type: 'string' },
    measure: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
  },
});
const url = values['database-url'];
const table = values.table;
const measure = values.measure;
const from = new Date(values.from ?? '');
const to = new Date(values.to ?? '');
if (!url || !table || (measure !== 'bare' && measure !== 'stream' && measure !== 'detect')) {
  throw new Error('scaleChild needs --database-url URL --table T --measure bare|stream|detect --from ISO --to ISO');
}
if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
  throw new Error(`scaleChild: --from "${values.from}" and --to "${values.to}" must be ISO times`);
}

// As the plugin's executable does (plugin/main.ts): under bun the collector is paced, under node nothing runs.
const gcPacer = startGcPacer();
const pool = createPool({ connectionString: url, statementTimeoutMs: 0, applicationName: 'rarity-bench-scale' });
try {
  // Connect before the clock starts: both measures then time the work, not a fresh connection.
  await pool.query('SELECT 1');
  // The plan's column lookups stay off the baseline's clock, as in (b); detection's own are on its clock.
  const info = measure === 'bare' ? await describeTable(pool, table) : undefined;
  const rssBeforeKb = process.resourceUsage().maxRSS;
  let tuples: number;
  const started = process.hrtime.bigint();
  if (info) {
    const plan = benchPlan(info, from, to);
    tuples = await runBareAggregate(pool, plan);
  } else if (measure === 'stream') {
    // Column lookups on the clock, as detection has them.
    const plan = benchPlan(await describeTable(pool, table), from, to);
    tuples = 0;
    for await (const bucket of chunkedBuckets(pool, plan, BENCH_SPAN_SECONDS * 1000)) {
      tuples += bucket.tuples.length;
    }
  } else {
    const result = await runDetection(
      pool,
      detectorRequest(
        { function: 'freq_rare', byField: 'state', overField: 'ip', bucketSpan: '5m' },
        { table, timeColumn: 'ts', idColumn: 'id', successRule: BENCH_SUCCESS_RULE },
      ),
      { from, to },
    );
    tuples = result.stats.tuples;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const report: ScaleChildReport = {
    measure,
    seconds,
    tuples,
    maxRssKb: process.resourceUsage().maxRSS,
    rssBeforeKb,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
} finally {
  gcPacer.stop();
  await pool.end();
}
