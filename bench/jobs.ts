/**
 * (e) Persisted detection jobs (docs/persistence.md) through the built executable, as Grafana would see them:
 * freq_rare by state over ip, 5m buckets, on a generated table of each size. Per size, against the bare
 * aggregate over the whole table in the same run:
 *   - cold backfill: an empty job brought up to date by a `scores` query over the whole range, then by the
 *     background runner, which carries on when the request's 20 s advance budget runs out;
 *   - first query after a restart: the backend killed (SIGKILL) and spawned again, then one `scores` query;
 *   - refresh after one new bucket: rows for the bucket after the job's progress inserted, the wall clock
 *     waited past that bucket's end and its grace, then one `scores` query (it advances that bucket).
 *
 * A job advances to the last complete bucket by the backend's wall clock, so a "new" bucket has to be a
 * recent one. These tables therefore hold the 30 days up to today's midnight (UTC), not January 2026 like
 * (b)'s: a table is reused while the UTC day lasts (with --database-url, across runs), and regenerated after.
 */
import type pg from 'pg';
import type { Table } from 'apache-arrow';
import {
  BENCH_TABLE_DAYS,
  appendBenchRows,
  describeTable,
  ensureBenchTable,
  openStateStore,
  runBareAggregate,
  trimBenchTable,
  type StateStore,
} from '../pkg-backend/src/store/index.ts';
import { prepareDetection } from '../pkg-backend/src/query/detection.ts';
import { detectWithJob } from '../pkg-backend/src/query/jobs/results.ts';
import { scoresFrames } from '../pkg-backend/src/query/frames/scores.ts';
import { parseQuery } from '../pkg-backend/src/query/request.ts';
import {
  connect,
  dataQuery,
  decodeFrames,
  ensureBuiltExecutable,
  pluginContext,
  startPlugin,
  type PluginClients,
  type PluginProcess,
  type TestDatasource,
} from '../test/backend/host.ts';
import { grafanaDatasource } from '../test/backend/e2e.ts';
import { BENCH_SCORES_QUERY, BENCH_SUCCESS_RULE, benchPlan } from './shape.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 86_400_000;
const SPAN = 5 * MINUTE;
/** The executable keeps its jobs here; the section empties it before each cold backfill. */
export const JOBS_BENCH_SCHEMA = 'rarity_bench';
/** Restarts timed for the 7-day query (median), warm-up queries before the refresh, in-process refreshes. */
const RESTARTS = 3;
const WARMUPS = 10;
const IN_PROCESS_REFRESHES = 5;

export interface JobsBenchResult {
  rows: number;
  table: string;
  tableSeconds: number;
  bareSeconds: number;
  bareRuns: number;
  cold: {
    seconds: number;
    /** Latency of the cold query itself, and the notice it came back with when the runner had to finish. */
    firstResponseMs: number;
    notice: string | null;
  };
  restart7d: QueryTiming;
  restart30d: QueryTiming;
  refresh: QueryTiming & {
    newRows: number;
    waitedSeconds: number;
    warmups: number;
    /** The warm-up query that rewound over one late row and committed; null when skipped (just after midnight). */
    commitWarmup: QueryTiming | null;
  };
  /** The same refresh once more, nothing new to advance. */
  warm: QueryTiming;
  /** detectWithJob and the scores frames in this process, one new bucket each, `now` set past it: median. */
  inProcessRefreshMs: number[];
}

export interface QueryTiming {
  ms: number;
  /** The frames' "Detection time": the backend's own share of `ms`. */
  serverMs: number;
  /** The frames' "Buckets processed" (advanced plus interim) and "Requests in range" stats. */
  bucketsProcessed: number;
  requests: number;
  notices: string[];
}

export function jobsTableName(rows: number): string {
  const label = rows % 1_000_000 === 0 ? `${rows / 1_000_000}m` : rows % 1000 === 0 ? `${rows / 1000}k` : `${rows}`;
  return `public.rarity_bench_jobs_${label}`;
}

/** 30 days ending at today's midnight (UTC): the latest data is at most a day old. */
export function jobsTableStart(now = Date.now()): Date {
  return new Date(Math.floor(now / DAY) * DAY - BENCH_TABLE_DAYS * DAY);
}

function datasource(databaseUrl: string, table: string): TestDatasource {
  // queryTimeoutSeconds stays at its default (30 s): chunks are sized to a quarter of it.
  return grafanaDatasource(
    databaseUrl,
    { table, successRule: BENCH_SUCCESS_RULE, stateSchema: JOBS_BENCH_SCHEMA },
    { uid: 'rarity-bench-jobs' },
  );
}

function medianBy<T extends { ms: number }>(xs: T[]): T {
  return [...xs].sort((a, b) => a.ms - b.ms)[Math.floor(xs.length / 2)];
}

function elapsedMs(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function frameMeta(t: Table): {
  stats?: Array<{ displayName: string; value: number }>;
  notices?: Array<{ text: string }>;
} {
  const raw = t.schema.metadata.get('meta');
  return raw ? (JSON.parse(raw) as ReturnType<typeof frameMeta>) : {};
}

/** One `scores` QueryData over [from, to), past the 10 s result cache; fails loudly on an error or no frames. */
async function scores(client: PluginClients, ds: TestDatasource, from: number, to: number): Promise<QueryTiming> {
  const started = process.hrtime.bigint();
  const res = await client.queryData({
    pluginContext: pluginContext(ds),
    headers: { 'X-Cache-Skip': 'true' },
    queries: [dataQuery('A', BENCH_SCORES_QUERY, { from, to, queryType: 'scores' })],
  });
  const ms = elapsedMs(started);
  const r = res.responses.A;
  if (r.error) {
    throw new Error(`scores query failed: ${r.error}`);
  }
  const frames = decodeFrames(r.frames);
  if (frames.length === 0) {
    throw new Error('scores query returned no frames');
  }
  const meta = frameMeta(frames[0]);
  const stat = (name: string) => meta.stats?.find((s) => s.displayName === name)?.value ?? NaN;
  return {
    ms,
    serverMs: stat('Detection time'),
    bucketsProcessed: stat('Buckets processed'),
    requests: stat('Requests in range'),
    notices: (meta.notices ?? []).map((n) => n.text),
  };
}

async function onlyJob(store: StateStore) {
  const jobs = await store.listJobs();
  if (jobs.length !== 1) {
    throw new Error(`expected one job in schema ${JOBS_BENCH_SCHEMA}, found ${jobs.length}`);
  }
  return jobs[0];
}

/** Resolves once the only job is current; throws when it failed or stays behind for `timeoutMs`. */
async function waitUntilCurrent(store: StateStore, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await onlyJob(store);
    if (job.status === 'current') {
      return;
    }
    if (job.status === 'failed') {
      throw new Error(`the job failed during its backfill: ${job.lastError ?? 'no error recorded'}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`the job is still ${job.status} after ${timeoutMs / 1000} s`);
    }
    await sleep(100);
  }
}

/**
 * The refresh must advance its bucket itself, before the runner's first round in the new process (5 min
 * after that process's first query): keep that first query off the first seconds of a 5-minute slot.
 */
async function awayFromSlotStart(): Promise<void> {
  const into = Date.now() % SPAN;
  if (into < 10 * SECOND || into > SPAN - 30 * SECOND) {
    await sleep((SPAN - into + 10 * SECOND) % SPAN);
  }
}

/**
 * The refresh again without the executable and without waiting for the wall clock: detectWithJob is told
 * `now` is past each new bucket's grace, so several samples fit in a second. The job then runs ahead of the
 * wall clock, which is why this comes last (the next run starts from an empty job).
 */
async function refreshInProcess(
  pool: pg.Pool,
  store: StateStore,
  table: string,
  rows: number,
  newRows: number,
): Promise<number[]> {
  const settings = { table, timeColumn: 'ts', idColumn: 'id', successRule: BENCH_SUCCESS_RULE };
  const job = await onlyJob(store);
  const key = (
    await prepareDetection(
      pool,
      parseQuery(BENCH_SCORES_QUERY, 'scores', { from: new Date(0), to: new Date() }, settings).detector,
    )
  ).key;
  if (key !== job.key) {
    // Another key would mean a second job, backfilled cold inside the "refresh".
    throw new Error(`the in-process query names job ${key}, not the executable's ${job.key}`);
  }
  const samples: number[] = [];
  for (let i = 0; i < IN_PROCESS_REFRESHES; i++) {
    const bucket = (await onlyJob(store)).processedUntil!;
    await appendBenchRows(pool, table, { from: new Date(bucket), to: new Date(bucket + SPAN) }, newRows);
    const now = bucket + 2 * SPAN + SECOND;
    const timeRange = { from: new Date(now - 7 * DAY), to: new Date(now) };
    const started = process.hrtime.bigint();
    const parsed = parseQuery(BENCH_SCORES_QUERY, 'scores', timeRange, settings);
    const answer = await detectWithJob(pool, store, parsed.detector, parsed.window, { now });
    scoresFrames(answer.result, 'A', { minScore: parsed.minScore, limit: parsed.limit });
    samples.push(elapsedMs(started));
    if (answer.result.stats.bucketsProcessed < 1) {
      throw new Error(
        `the in-process refresh processed no bucket (rows ${rows}, bucket ${new Date(bucket).toISOString()})`,
      );
    }
  }
  return samples;
}

export interface JobsBenchOptions {
  databaseUrl: string;
  rows: number;
  /** Progress lines (table generation, waits). */
  log?: (line: string) => void;
  backfillTimeoutMs?: number;
}

export async function benchJobs(pool: pg.Pool, options: JobsBenchOptions): Promise<JobsBenchResult> {
  const { rows } = options;
  const log = options.log ?? (() => undefined);
  ensureBuiltExecutable();
  const table = jobsTableName(rows);
  const start = jobsTableStart();
  const end = new Date(start.getTime() + BENCH_TABLE_DAYS * DAY);

  const t0 = Date.now();
  await ensureBenchTable(pool, table, rows, { start });
  const tableSeconds = (Date.now() - t0) / 1000;

  const info = await describeTable(pool, table);
  const plan = benchPlan(info, start, new Date(end.getTime() + SECOND));
  const bare: number[] = [];
  // Three at up to a few million rows, one above: at 10 M one aggregate takes a minute or more.
  const repeats = rows <= 2_000_000 ? 3 : 1;
  for (let i = 0; i < repeats; i++) {
    const started = process.hrtime.bigint();
    await runBareAggregate(pool, plan);
    bare.push(elapsedMs(started) / 1000);
  }
  const bareSeconds = bare.sort((a, b) => a - b)[Math.floor(bare.length / 2)];

  const opened = await openStateStore(pool, { schema: JOBS_BENCH_SCHEMA });
  if (opened.status !== 'ready') {
    throw new Error(`the jobs benchmark needs a writable state schema ${JOBS_BENCH_SCHEMA}: ${opened.advice}`);
  }
  const store = opened.store;
  for (const job of await store.listJobs()) {
    await store.deleteJob(job.key);
  }

  const ds = datasource(options.databaseUrl, table);
  let plugin: PluginProcess | undefined;
  let client: PluginClients | undefined;
  const restart = async (): Promise<PluginClients> => {
    client?.close();
    await plugin?.dispose(); // SIGKILL: no shutdown, the runner's state is simply gone
    plugin = await startPlugin();
    client = connect(plugin.address);
    return client;
  };
  try {
    // Cold backfill: the whole range, as a dashboard over the table's 30 days would ask.
    let c = await restart();
    const coldStarted = process.hrtime.bigint();
    const cold = await scores(c, ds, start.getTime(), Date.now());
    const firstResponseMs = cold.ms;
    const notice = cold.notices.find((n) => n.startsWith('processing history')) ?? null;
    if (notice) {
      log(`cold query answered after ${(firstResponseMs / 1000).toFixed(1)} s with "${notice}"; the runner goes on`);
      await waitUntilCurrent(store, options.backfillTimeoutMs ?? 30 * MINUTE);
    }
    const coldSeconds = elapsedMs(coldStarted) / 1000;

    c = await restart();
    const restart30d = await scores(c, ds, start.getTime(), Date.now());

    const restarts: QueryTiming[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      if (i === RESTARTS - 1) {
        await awayFromSlotStart();
      }
      c = await restart();
      restarts.push(await scores(c, ds, Date.now() - 7 * DAY, Date.now()));
    }
    const restart7d = medianBy(restarts);

    // One new bucket right after the job's progress: not late (the job has not reached it), complete once
    // the wall clock passes its end plus the one span of grace (checkpoint.ts).
    const job = await onlyJob(store);
    if (job.processedUntil === null) {
      throw new Error('the job has no progress after its backfill');
    }
    const bucket = job.processedUntil;
    // A process serving dashboards for days has committed chunks before. This one has not: one late row
    // (trimmed with the rest) makes the first warm-up rewind and commit, so the refresh does not pay for
    // the first commit in the process (JIT, zlib, the state tables' first statements on its connections).
    let commitWarmup: QueryTiming | null = null;
    if (bucket - SPAN > end.getTime()) {
      await appendBenchRows(pool, table, { from: new Date(bucket - SPAN), to: new Date(bucket) }, 1);
      commitWarmup = await scores(c, ds, Date.now() - 7 * DAY, Date.now());
    }
    const newRows = Math.max(1, Math.round(rows / ((BENCH_TABLE_DAYS * DAY) / SPAN)));
    await appendBenchRows(pool, table, { from: new Date(bucket), to: new Date(bucket + SPAN) }, newRows);
    const due = bucket + 2 * SPAN + SECOND;
    const waitedSeconds = Math.max(0, (due - Date.now()) / 1000);
    log(`waiting ${waitedSeconds.toFixed(0)} s for the new bucket to complete, meanwhile warming the process up`);
    // A plugin process serves dashboards for days: warm it like one (these see the new rows as interim only).
    let warmups = 0;
    while (warmups < WARMUPS && Date.now() + 2 * SECOND < due) {
      await scores(c, ds, Date.now() - 7 * DAY, Date.now());
      warmups++;
      await sleep(Math.min(2 * SECOND, due - Date.now() - 2 * SECOND));
    }
    await sleep(due - Date.now());
    const refresh = await scores(c, ds, Date.now() - 7 * DAY, Date.now());
    const warm = await scores(c, ds, Date.now() - 7 * DAY, Date.now());
    client?.close();
    await plugin?.dispose();
    plugin = undefined;
    client = undefined;
    const inProcess = await refreshInProcess(pool, store, table, rows, newRows);
    return {
      rows,
      table,
      tableSeconds,
      bareSeconds,
      bareRuns: bare.length,
      cold: { seconds: coldSeconds, firstResponseMs, notice },
      restart7d,
      restart30d,
      refresh: { ...refresh, newRows, waitedSeconds, warmups, commitWarmup },
      warm,
      inProcessRefreshMs: inProcess,
    };
  } finally {
    client?.close();
    await plugin?.dispose();
    await trimBenchTable(pool, table, { start });
  }
}
