/**
 * Beside (f): the built executable's own peak memory on the shape (f) is hardest on. One cold `scores` query of
 * the same detector over the whole table, through gRPC as Grafana sends it, with a state schema of its own
 * emptied first: the persisted job backfills (the query answers when its advance budget runs out, the
 * background runner finishes), writing a snapshot of the model with every chunk; then the same query in a fresh
 * process, which restores the model from the latest snapshot (a restart, a second replica). (f) measures
 * in-process detection, which keeps no snapshots; this is the path a plugin that may keep state takes.
 * The resident set is read from /proc every few milliseconds, so the figure is Linux's; elsewhere it is null.
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { BENCH_TABLE_DAYS, BENCH_TABLE_START } from '../pkg-backend/src/store/index.ts';
import { grafanaDatasource } from '../test/backend/e2e.ts';
import { connect, dataQuery, ensureBuiltExecutable, pluginContext, startPlugin } from '../test/backend/host.ts';
import { emptiedStateStore, waitUntilCurrent } from './queryData.ts';
import { BENCH_SCORES_QUERY, BENCH_SUCCESS_RULE } from './shape.ts';

const SCHEMA = 'rarity_bench_job_memory';
const DAY = 86_400_000;

export interface JobMemoryMeasure {
  /** From the query until the job was current. */
  seconds: number;
  /** Largest resident set the executable's process had, bytes; null where /proc is not there to read. */
  peakRssBytes: number | null;
  /** The same query answered by a fresh process once the job is current: it restores the model from the snapshot. */
  restart: { seconds: number; peakRssBytes: number | null };
}

/** Resident bytes of a process, or null when the system does not say. */
function residentBytes(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;
  } catch {
    return null;
  }
}

/** The cold backfill of `table`, then the query after a restart; null when the role may not keep state (no job). */
export async function benchJobMemory(
  pool: pg.Pool,
  options: { databaseUrl: string; table: string },
): Promise<JobMemoryMeasure | null> {
  ensureBuiltExecutable();
  const store = await emptiedStateStore(pool, SCHEMA);
  if (!store) {
    return null;
  }
  const ds = grafanaDatasource(
    options.databaseUrl,
    { table: options.table, successRule: BENCH_SUCCESS_RULE, queryTimeoutSeconds: 600, stateSchema: SCHEMA },
    { uid: 'rarity-bench-job-memory' },
  );
  const from = BENCH_TABLE_START.getTime();
  // As in (f): the last generated row sits exactly at the end of the days.
  const to = from + BENCH_TABLE_DAYS * DAY + 1000;
  const cold = await measured(ds, from, to, options.table, () => waitUntilCurrent(store, 30 * 60_000, SCHEMA));
  const restart = await measured(ds, from, to, options.table, async () => undefined);
  return { ...cold, restart };
}

/** One `scores` query of [from, to) in a plugin process of its own, and its peak until `settled` resolves. */
async function measured(
  ds: ReturnType<typeof grafanaDatasource>,
  from: number,
  to: number,
  table: string,
  settled: () => Promise<unknown>,
): Promise<{ seconds: number; peakRssBytes: number | null }> {
  const plugin = await startPlugin();
  const pid = plugin.child.pid!;
  let peak = residentBytes(pid);
  const sampler = setInterval(() => {
    const now = residentBytes(pid);
    peak = now === null || peak === null ? null : Math.max(peak, now);
  }, 2);
  const client = connect(plugin.address);
  try {
    const started = process.hrtime.bigint();
    const res = await client.queryData({
      pluginContext: pluginContext(ds),
      headers: { 'X-Cache-Skip': 'true' },
      queries: [dataQuery('A', BENCH_SCORES_QUERY, { from, to, queryType: 'scores' })],
    });
    const error = res.responses.A?.error;
    if (error) {
      throw new Error(`the scores query on ${table} failed: ${error}`);
    }
    await settled();
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssBytes: peak };
  } finally {
    clearInterval(sampler);
    client.close();
    await plugin.dispose();
  }
}
