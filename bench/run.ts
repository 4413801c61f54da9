/**
 * `npm run bench` — speed as ratios against baselines measured in the same run, never as timed test asserts.
 *   (a) engine alone on generated tuples, tuples/s; smoothing over 30 000 categories vs raw tail sums;
 *   (b) end-to-end freq_rare on a generated table vs the bare aggregate SQL on that table (ratio);
 *   (c) the built executable over gRPC: handshake, cold detection (the first `scores` query, whole demo) vs the bare
 *       aggregate, `scores` QueryData p50/p99 on the seeded demo, sizes;
 *   (d) the spans panel in headless Chromium with 10 000 anomaly groups vs the same panel with none (ratio);
 *   (e) persisted jobs through the built executable: cold backfill vs the bare aggregate, first query after a
 *       restart, refresh after one new bucket, at each of --job-rows (bench/jobs.ts);
 *   (f) scaling: detection vs the bare aggregate, tuples/s and detection's peak RSS, on tables of each
 *       --scale-rows × --scale-over distinct over entities (bench/scale.ts), as a markdown table; then the
 *       built executable's cold job backfill and its peak RSS at the most distinct over entities;
 *   (g) shards: one server vs a coordinator with two postgres_fdw shards on the same --shard-rows rows, time
 *       and bytes the shards send the coordinator, bare single-statement aggregate and detection (bench/shards.ts).
 * Options: --rows N (default 1 000 000; the big run is --rows 10000000), --database-url URL (keeps the generated
 *   tables between runs), --demo-days N (30), --demo-rows-per-day N (20000), --calls N (30), --skip-query-data,
 *   --panel-groups N (10000), --skip-panels, --job-rows N,N (1000000,10000000), --skip-jobs,
 *   --scale-rows N,N (1000000,3000000; README's table is from 1000000,3000000,10000000), --scale-over N,N
 *   (1000,50000,1000000), --scale-repeats N (3, 1 from 10 M rows), --skip-job-memory (the built executable's
 *   cold job backfill after (f)'s table, bench/jobMemory.ts), --shard-rows N (1000000),
 *   --only a,b,… (sections to run, by letter or name: engine, end-to-end, query-data, panels, jobs, scaling,
 *   shards).
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, startEmbeddedPostgres } from '../pkg-backend/src/store/index.ts';
import { benchEngine, benchHighCardinality, benchSmoothing, generateBuckets } from './engine.ts';
import { benchEndToEnd, createBenchTable } from './endToEnd.ts';
import { benchQueryData } from './queryData.ts';
import { benchSpansPanel } from './panels.ts';
import { benchJobs } from './jobs.ts';
import { benchJobMemory } from './jobMemory.ts';
import { benchScaleCell, scaleMarkdown, scaleTableName, sizeLabel, type ScaleCell } from './scale.ts';
import { benchShards, type ShardsMeasure } from './shards.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'database-url': { type: 'string' },
    'demo-days': { type: 'string', default: '30' },
    'demo-rows-per-day': { type: 'string', default: '20000' },
    calls: { type: 'string', default: '30' },
    'skip-query-data': { type: 'boolean', default: false },
    'panel-groups': { type: 'string', default: '10000' },
    'skip-panels': { type: 'boolean', default: false },
    'job-rows': { type: 'string', default: '1000000,10000000' },
    'skip-jobs': { type: 'boolean', default: false },
    'scale-rows': { type: 'string', default: '1000000,3000000' },
    'scale-over': { type: 'string', default: '1000,50000,1000000' },
    'scale-repeats': { type: 'string' },
    'skip-job-memory': { type: 'boolean', default: false },
    'shard-rows': { type: 'string', default: '1000000' },
    only: { type: 'string' },
  },
});
const rows = Number(values.rows);

const SECTIONS = {
  a: 'engine',
  b: 'end-to-end',
  c: 'query-data',
  d: 'panels',
  e: 'jobs',
  f: 'scaling',
  g: 'shards',
} as const;
type Section = keyof typeof SECTIONS;
const only = values.only?.split(',').map((s) => s.trim().toLowerCase());
for (const name of only ?? []) {
  if (!Object.entries(SECTIONS).some(([letter, word]) => name === letter || name === word)) {
    throw new Error(
      `--only: unknown section "${name}"; use ${Object.entries(SECTIONS)
        .map(([l, w]) => `${l} or ${w}`)
        .join(', ')}`,
    );
  }
}
const skipped: Record<Section, boolean> = {
  a: false,
  b: false,
  c: values['skip-query-data'],
  d: values['skip-panels'],
  e: values['skip-jobs'],
  f: false,
  g: false,
};
const runs = (section: Section): boolean =>
  !skipped[section] && (!only || only.includes(section) || only.includes(SECTIONS[section]));
/** A comma-separated list of whole numbers of at least `min`, refused with the option's name. */
const counts = (option: string, text: string, min: number, what: string): number[] =>
  text.split(',').map((s) => {
    const n = Number(s.trim().replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min) {
      throw new Error(`${option}: "${s}" is not a whole number of ${what} of at least ${min.toLocaleString('en')}`);
    }
    return n;
  });
const jobRows = counts('--job-rows', values['job-rows'], 10_000, 'rows');
const scaleRows = counts('--scale-rows', values['scale-rows'], 10_000, 'rows');
const scaleOver = counts('--scale-over', values['scale-over'], 1, 'distinct over entities');
const shardRows = counts('--shard-rows', values['shard-rows'], 10_000, 'rows')[0];
const scaleRepeats =
  values['scale-repeats'] === undefined ? undefined : counts('--scale-repeats', values['scale-repeats'], 1, 'runs')[0];

const fmt = (n: number) => Math.round(n).toLocaleString('en');
let headed = false;
/** A section's title, a blank line before all but the first. */
const heading = (text: string): void => {
  console.log(`${headed ? '\n' : ''}${text}`);
  headed = true;
};

if (runs('a')) {
  heading('(a) engine alone');
  for (const [label, spec, population] of [
    ['rare by v (500 values)', { function: 'rare', byField: 'v', bucketSpanSeconds: 300 }, false],
    ['rare by state over ip', { function: 'rare', byField: 'state', overField: 'ip', bucketSpanSeconds: 300 }, true],
    [
      'freq_rare by state over ip',
      { function: 'freq_rare', byField: 'state', overField: 'ip', bucketSpanSeconds: 300 },
      true,
    ],
  ] as const) {
    const inputs = generateBuckets(2000, 200, population);
    const r = benchEngine(spec, inputs);
    console.log(
      `  ${label.padEnd(30)} ${fmt(r.perSecond).padStart(12)} tuples/s  (${fmt(r.tuples)} tuples in ${r.seconds.toFixed(2)} s; first pass ${fmt(r.coldPerSecond)} tuples/s)`,
    );
  }
  const high = benchHighCardinality();
  console.log(
    `  freq_rare, ${fmt(high.distinctOver)} distinct over entities ${fmt(high.perSecond).padStart(12)} tuples/s  (model ${(high.modelBytes / 1e6).toFixed(0)} MB, ${high.memoryStatus}; RSS ${(high.rssBytes / 1e6).toFixed(0)} MB, peak ${(high.peakRssBytes / 1e6).toFixed(0)} MB)`,
  );
  const smoothing = benchSmoothing(30_000);
  console.log(
    `  smoothed tail probabilities, 30 000 categories: ${smoothing.smoothed.toFixed(1)} ms vs raw tail sums ${smoothing.raw.toFixed(1)} ms (baseline) = ${(smoothing.smoothed / smoothing.raw).toFixed(1)}×`,
  );
}

let url = values['database-url'] ?? process.env.DATABASE_URL;
let stop: (() => Promise<void>) | undefined;
let dataDir: string | undefined;
const needsDatabase = runs('b') || runs('c') || runs('e') || runs('f') || runs('g');
if (!url && needsDatabase) {
  dataDir = mkdtempSync(join(tmpdir(), 'rarity-bench-pg-'));
  const handle = await startEmbeddedPostgres({ dataDir, persistent: false });
  url = handle.url;
  stop = handle.stop;
}
const pool = createPool({ connectionString: url, statementTimeoutMs: 0, applicationName: 'rarity-bench' });
try {
  if (runs('b')) {
    heading(`(b) end to end on ${fmt(rows)} rows (freq_rare by state over ip, 5m buckets, 30 days)`);
    const t0 = Date.now();
    await createBenchTable(pool, rows);
    console.log(`  table ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const r = await benchEndToEnd(pool);
    console.log(`  bare aggregate SQL   ${r.bare.toFixed(3)} s (baseline)`);
    console.log(`  rarity detection     ${r.detect.toFixed(3)} s`);
    console.log(`  ratio detection / aggregate = ${(r.detect / r.bare).toFixed(2)}×`);
  }

  if (runs('c') && url) {
    const days = Number(values['demo-days']);
    const rowsPerDay = Number(values['demo-rows-per-day']);
    heading(
      `(c) built executable over gRPC: scores (freq_rare by state over ip, 5m, 7-day ranges) on the demo, ${days} days × ${fmt(rowsPerDay)} rows`,
    );
    const q = await benchQueryData(pool, { databaseUrl: url, days, rowsPerDay, calls: Number(values.calls) });
    console.log(`  demo seeded: ${fmt(q.rows)} rows in ${q.seedSeconds.toFixed(1)} s`);
    console.log(`  handshake (spawn → first stdout line): ${q.handshakeMs.map((ms) => `${ms} ms`).join(', ')}`);
    const bare = (q.cold.bareSeconds[0] + q.cold.bareSeconds[1]) / 2;
    console.log(
      `  cold detection in the built executable: ${q.cold.seconds.toFixed(2)} s vs bare aggregate ${bare.toFixed(2)} s = ${(q.cold.seconds / bare).toFixed(2)}× (the process's first scores query, X-Cache-Skip, whole ${days} days: ${q.cold.mode}; aggregate the mean of ${q.cold.bareSeconds.map((x) => `${x.toFixed(2)} s`).join(' before and ')} after)`,
    );
    if (q.cold.answered) {
      console.log(
        `    … the query answered after ${q.cold.answered.seconds.toFixed(2)} s ("${q.cold.answered.notice}"); the background runner finished the backfill`,
      );
    }
    console.log(
      `  QueryData scores × ${q.latenciesMs.length} (X-Cache-Skip, distinct ranges): p50 ${q.p50.toFixed(0)} ms, p99 ${q.p99.toFixed(0)} ms (min ${Math.min(...q.latenciesMs).toFixed(0)}, max ${Math.max(...q.latenciesMs).toFixed(0)})`,
    );
    for (const s of q.sizes) {
      console.log(
        `  ${s.file.padEnd(36)} ${s.bytes < 1e6 ? `${s.bytes} bytes (launcher)`.padStart(20) : `${(s.bytes / 1e6).toFixed(1)} MB`.padStart(20)}`,
      );
    }
  }

  if (runs('d')) {
    const groups = Number(values['panel-groups']);
    heading(`(d) spans panel in headless Chromium: mount to painted, a week of 5-minute scores, median of 7`);
    const p = await benchSpansPanel({ groups });
    console.log(`  0 groups (baseline)   ${p.baselineMs.toFixed(0)} ms`);
    console.log(`  ${fmt(p.groups)} groups        ${p.withGroupsMs.toFixed(0)} ms`);
    console.log(`  ratio ${fmt(p.groups)} groups / baseline = ${(p.withGroupsMs / p.baselineMs).toFixed(2)}×`);
  }

  if (runs('e') && url) {
    for (const n of jobRows) {
      heading(
        `(e) persisted jobs, freq_rare by state over ip, 5m buckets, ${fmt(n)} rows (built executable over gRPC)`,
      );
      const j = await benchJobs(pool, { databaseUrl: url, rows: n, log: (line) => console.error(`  … ${line}`) });
      const ms = (t: { ms: number }) => `${t.ms.toFixed(0)} ms`.padEnd(8);
      const detail = (t: { serverMs: number; bucketsProcessed: number; requests: number }) =>
        `${fmt(t.serverMs)} ms in the backend, ${fmt(t.bucketsProcessed)} buckets processed, ${fmt(t.requests)} requests in range`;
      const inProcess = [...j.inProcessRefreshMs].sort((x, y) => x - y);
      console.log(`  table ${j.table} ready in ${j.tableSeconds.toFixed(1)} s`);
      console.log(
        `  bare aggregate (baseline)      ${j.bareSeconds.toFixed(2)} s (${j.bareRuns > 1 ? `median of ${j.bareRuns}` : 'one run'})`,
      );
      console.log(
        `  cold backfill                  ${j.cold.seconds.toFixed(2)} s  = ${(j.cold.seconds / j.bareSeconds).toFixed(2)}× the aggregate${j.cold.notice ? ` (the query answered after ${(j.cold.firstResponseMs / 1000).toFixed(1)} s: "${j.cold.notice}"; the background runner finished)` : ' (within the query)'}`,
      );
      console.log(
        `  first query after restart      ${ms(j.restart7d)}(target < 1 s; last 7 days, median of 3 restarts; ${detail(j.restart7d)})`,
      );
      console.log(`    … over the whole 30 days     ${ms(j.restart30d)}(${detail(j.restart30d)})`);
      console.log(
        `  refresh after one new bucket   ${ms(j.refresh)}(target < 100 ms; ${fmt(j.refresh.newRows)} new rows, after ${j.refresh.warmups} warm-up queries; ${detail(j.refresh)})`,
      );
      console.log(`    … the same again, nothing new ${ms(j.warm)}(${detail(j.warm)})`);
      if (j.refresh.commitWarmup) {
        console.log(
          `    … the warm-up before, one late row rewound and committed: ${ms(j.refresh.commitWarmup)}(${detail(j.refresh.commitWarmup)})`,
        );
      }
      console.log(
        `    … in-process detectWithJob + frames, one new bucket each: median ${inProcess[Math.floor(inProcess.length / 2)].toFixed(0)} ms of ${inProcess.map((x) => x.toFixed(0)).join(', ')}`,
      );
      for (const t of [j.restart7d, j.restart30d, j.refresh, j.warm]) {
        for (const text of t.notices) {
          console.log(`  notice: ${text}`);
        }
      }
    }
  }

  if (runs('f') && url) {
    heading(
      `(f) scaling: freq_rare by state over ip, 5m buckets, 30 days; bare aggregate, detection's stream alone and detection each in a child process, alternately${scaleRepeats ? `, median of ${scaleRepeats}` : ', median of 3 (one run from 10 M rows)'}; children bundled, on node; then one detection under bun, the shipped runtime, when installed`,
    );
    const cells: ScaleCell[] = [];
    for (const n of scaleRows) {
      for (const over of scaleOver) {
        cells.push(
          await benchScaleCell(pool, {
            databaseUrl: url,
            rows: n,
            distinctOver: over,
            repeats: scaleRepeats,
            log: (line) => console.error(`  … ${line}`),
          }),
        );
      }
    }
    for (const line of scaleMarkdown(cells)) {
      console.log(`  ${line}`);
    }
    if (cells.some((c) => c.distinctOver > c.rows)) {
      console.log('  ¹ fewer rows than distinct over entities asked for: every row has its own address');
    }
    for (const c of cells.filter((c) => c.detectTuples !== c.tuples)) {
      console.log(
        `  note: at ${sizeLabel(c.rows)} rows × ${sizeLabel(c.distinctOver)} the engine consumed ${fmt(c.detectTuples)} tuples, the aggregate returned ${fmt(c.tuples)}`,
      );
    }
    const idle = Math.max(...cells.map((c) => c.idleRssBytes));
    console.log(
      `  peak RSS is the detection child's whole process; one holds up to ${(idle / 1e6).toFixed(0)} MB before detecting`,
    );
    if (!values['skip-job-memory']) {
      // The most distinct over entities asked for: the model, and so every snapshot a job writes, is largest there.
      const over = Math.max(...scaleOver);
      for (const n of scaleRows) {
        const table = scaleTableName(n, over);
        const m = await benchJobMemory(pool, { databaseUrl: url, table });
        const mb = (bytes: number | null | undefined) => (bytes == null ? 'n/a' : `${(bytes / 1e6).toFixed(0)} MB`);
        console.log(
          m
            ? `  built executable, cold persisted-job backfill of the same detector on ${sizeLabel(n)} × ${sizeLabel(over)}: ${m.seconds.toFixed(2)} s, peak RSS ${mb(m.peakRssBytes)}; the query again after a restart: ${m.restart.seconds.toFixed(2)} s, peak RSS ${mb(m.restart.peakRssBytes)} (bench/jobMemory.ts)`
            : `  built executable, job backfill: skipped, the role may not keep state`,
        );
      }
    }
  }

  if (runs('g')) {
    heading(
      `(g) shards: 5m buckets, 30 days of ${fmt(shardRows)} rows; one server vs a coordinator (first 10 days) + two postgres_fdw shards (10 days each)`,
    );
    const s = await benchShards(pool, { rows: shardRows, log: (line) => console.error(`  … ${line}`) });
    const line = (label: string, m: ShardsMeasure, base: ShardsMeasure) =>
      console.log(
        `  ${label.padEnd(48)} ${m.seconds.toFixed(2).padStart(7)} s (${(m.seconds / base.seconds).toFixed(2)}× one server)  ${fmt(m.bytes).padStart(13)} bytes from the shards`,
      );
    console.log(`  sharded copy made in ${s.copySeconds.toFixed(1)} s`);
    for (const d of s.detectors) {
      console.log(`  ${d.label}:`);
      line('  one server, bare aggregate (baseline)', d.plain.bare, d.plain.bare);
      line('  one server, pushdown stream (weekly chunks)', d.plain.stream, d.plain.bare);
      line('  one server, detection', d.plain.detect, d.plain.bare);
      line('  coordinator + 2 shards, bare aggregate', d.sharded.bare, d.plain.bare);
      line('  coordinator + 2 shards, partition-wise stream', d.sharded.stream, d.plain.bare);
      line('  coordinator + 2 shards, detection', d.sharded.detect, d.plain.bare);
      if (d.sharded.stream.bytes > 0) {
        console.log(
          `    bytes from the shards, single statement / partition-wise stream = ${(d.sharded.bare.bytes / d.sharded.stream.bytes).toFixed(2)}×`,
        );
      }
    }
  }
} finally {
  await pool.end();
  await stop?.();
  if (dataDir) {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
