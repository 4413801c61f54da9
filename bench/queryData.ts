/**
 * (c) The built executable as Grafana runs it (test/backend/host.ts: spawned without PATH, real gRPC):
 * handshake latency, QueryData latency of `scores` (freq_rare by state over ip, 7-day ranges) on the seeded
 * demo, and the size of each executable in dist/datasource/. Every call has its own 7-day window and sends
 * X-Cache-Skip, so the 10 s result cache (pkg-backend/src/query/cache.ts) never answers instead of the work.
 *
 * Before those, the process's first query: cold detection over the whole demo, against the bare aggregate of
 * the same plan. The datasource keeps jobs in a schema of its own (STATE_SCHEMA), emptied first, so with a
 * role that may keep state the cold query backfills an empty persisted job (the runner finishing it when the
 * query's advance budget runs out), and without one it is in-process detection; the result says which.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { seedDemo } from '../pkg-backend/src/demo/seed.ts';
import { describeTable, openStateStore, runBareAggregate, type StateStore } from '../pkg-backend/src/store/index.ts';
import {
  backendOutDir,
  connect,
  dataQuery,
  decodeFrames,
  ensureBuiltExecutable,
  pluginContext,
  startPlugin,
  type PluginClients,
  type TestDatasource,
} from '../test/backend/host.ts';
import { grafanaDatasource } from '../test/backend/e2e.ts';
import { BENCH_SCORES_QUERY, BENCH_SUCCESS_RULE, benchPlan } from './shape.ts';

export const DEMO_TABLE = 'public.rarity_bench_weblogs';
/** This section's jobs only: emptying it never touches another datasource's (or section's) state. */
export const STATE_SCHEMA = 'rarity_bench_query_data';
const DAY = 86_400_000;
const HOUR = 3_600_000;

export interface QueryDataBenchOptions {
  databaseUrl: string;
  days?: number;
  rowsPerDay?: number;
  calls?: number;
  handshakes?: number;
}

export interface QueryDataBenchResult {
  rows: number;
  seedSeconds: number;
  handshakeMs: number[];
  latenciesMs: number[];
  p50: number;
  p99: number;
  sizes: Array<{ file: string; bytes: number }>;
  cold: ColdDetection;
}

export interface ColdDetection {
  /** Until the answer, or, when the query left a backfill to the runner, until the job was current. */
  seconds: number;
  /** The bare aggregate of the same plan, run just before and just after the cold query. */
  bareSeconds: [number, number];
  mode: 'persisted job backfill' | 'in-process';
  /** The query's own latency when the runner had to finish the backfill, with its notice; else null. */
  answered: { seconds: number; notice: string } | null;
}

/** Nearest-rank percentile. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

function datasource(databaseUrl: string): TestDatasource {
  return grafanaDatasource(
    databaseUrl,
    { table: DEMO_TABLE, successRule: BENCH_SUCCESS_RULE, queryTimeoutSeconds: 300, stateSchema: STATE_SCHEMA },
    { uid: 'rarity-bench' },
  );
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The state store the executable will use for this datasource (same server, role and schema), emptied; null
 * when the role may not keep state there, so the executable will detect in-process.
 */
export async function emptiedStateStore(pool: pg.Pool, schema = STATE_SCHEMA): Promise<StateStore | null> {
  const opened = await openStateStore(pool, { schema });
  if (opened.status !== 'ready') {
    return null;
  }
  for (const job of await opened.store.listJobs()) {
    await opened.store.deleteJob(job.key);
  }
  return opened.store;
}

/** Waits for the store's one job to be current; `schema` names it in errors. */
export async function waitUntilCurrent(store: StateStore, timeoutMs: number, schema = STATE_SCHEMA): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await store.listJobs();
    if (jobs.length !== 1) {
      throw new Error(`expected one job in schema ${schema} after the cold query, found ${jobs.length}`);
    }
    if (jobs[0].status === 'current') {
      return;
    }
    if (jobs[0].status === 'failed') {
      throw new Error(`the cold backfill failed: ${jobs[0].lastError ?? 'no error recorded'}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`the cold backfill is still ${jobs[0].status} after ${timeoutMs / 1000} s`);
    }
    await sleep(100);
  }
}

/**
 * The plugin process's first `scores` query, over [from, now) — the whole demo — timed against the bare
 * aggregate of the plan that query runs (same table, columns, success rule, 5-minute span and range).
 */
export async function coldDetection(
  pool: pg.Pool,
  client: PluginClients,
  ds: TestDatasource,
  store: StateStore | null,
  from: number,
): Promise<ColdDetection> {
  const to = Date.now();
  const info = await describeTable(pool, DEMO_TABLE);
  const plan = benchPlan(info, new Date(from), new Date(to));
  const bare = async () => {
    const started = process.hrtime.bigint();
    await runBareAggregate(pool, plan);
    return seconds(started);
  };
  const before = await bare();
  const started = process.hrtime.bigint();
  const res = await client.queryData({
    pluginContext: pluginContext(ds),
    headers: { 'X-Cache-Skip': 'true' },
    queries: [dataQuery('A', BENCH_SCORES_QUERY, { from, to, queryType: 'scores' })],
  });
  const answeredSeconds = seconds(started);
  const r = res.responses.A;
  if (r.error) {
    throw new Error(`the cold scores query failed: ${r.error}`);
  }
  if (!r.frames?.length) {
    throw new Error('the cold scores query returned no frames');
  }
  const meta = decodeFrames(r.frames)[0].schema.metadata.get('meta');
  const notices = ((meta ? JSON.parse(meta) : {}) as { notices?: Array<{ text: string }> }).notices ?? [];
  let answered: ColdDetection['answered'] = null;
  if (store) {
    const jobs = await store.listJobs();
    if (jobs.length !== 1) {
      throw new Error(`expected the cold query to make one job in schema ${STATE_SCHEMA}, found ${jobs.length}`);
    }
    if (jobs[0].status !== 'current') {
      const notice = notices.find((n) => n.text.startsWith('processing history'))?.text ?? `job ${jobs[0].status}`;
      answered = { seconds: answeredSeconds, notice };
      await waitUntilCurrent(store, 30 * 60_000);
    }
  }
  const coldSeconds = seconds(started);
  const after = await bare();
  return {
    seconds: coldSeconds,
    bareSeconds: [before, after],
    mode: store ? 'persisted job backfill' : 'in-process',
    answered,
  };
}

export async function benchQueryData(pool: pg.Pool, options: QueryDataBenchOptions): Promise<QueryDataBenchResult> {
  const days = options.days ?? 30;
  const rowsPerDay = options.rowsPerDay ?? 20_000;
  const calls = options.calls ?? 30;
  ensureBuiltExecutable();

  const t0 = Date.now();
  const end = new Date(Math.floor(Date.now() / HOUR) * HOUR);
  const seed = await seedDemo(pool, { days, rowsPerDay, end, table: DEMO_TABLE });
  const seedSeconds = (Date.now() - t0) / 1000;

  const handshakeMs: number[] = [];
  for (let i = 0; i < (options.handshakes ?? 3) - 1; i++) {
    const p = await startPlugin();
    handshakeMs.push(p.handshakeMs);
    await p.dispose();
  }
  const store = await emptiedStateStore(pool);
  const plugin = await startPlugin();
  handshakeMs.push(plugin.handshakeMs);
  const client = connect(plugin.address);
  const ds = datasource(options.databaseUrl);
  const latenciesMs: number[] = [];
  let cold: ColdDetection;
  try {
    cold = await coldDetection(pool, client, ds, store, seed.from.getTime());
    // 7-day windows ending at distinct hours, newest first, all after the learning days.
    const lastEnd = seed.to.getTime();
    const firstEnd = seed.from.getTime() + 7 * DAY + 3 * DAY;
    const step = Math.max(HOUR, Math.floor((lastEnd - firstEnd) / Math.max(1, calls - 1) / HOUR) * HOUR);
    for (let i = 0; i < calls; i++) {
      const to = Math.max(firstEnd, lastEnd - i * step);
      const started = process.hrtime.bigint();
      const res = await client.queryData({
        pluginContext: pluginContext(ds),
        headers: { 'X-Cache-Skip': 'true' },
        queries: [dataQuery('A', BENCH_SCORES_QUERY, { from: to - 7 * DAY, to, queryType: 'scores' })],
      });
      latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
      const r = res.responses.A;
      if (r.error) {
        throw new Error(`scores query failed: ${r.error}`);
      }
      if (!r.frames?.length) {
        throw new Error('scores query returned no frames');
      }
    }
  } finally {
    client.close();
    await plugin.dispose();
  }

  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const dir = backendOutDir();
  const sizes = readdirSync(dir)
    .filter((f) => f.startsWith('gpx_rarity_'))
    .map((file) => ({ file, bytes: statSync(join(dir, file)).size }));
  return {
    rows: seed.rows,
    seedSeconds,
    handshakeMs,
    latenciesMs,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    sizes,
    cold,
  };
}
