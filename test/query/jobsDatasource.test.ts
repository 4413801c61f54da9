/**
 * Persisted jobs behind the datasource: frames equal to the in-process path's, the fallback's notice, two
 * "processes" (separate pools and stores on one database) answering one cold query at once with one
 * advancer, and the background runner keeping a used job current and stopping promptly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createPool, openStateStore, type StateStore } from '../../pkg-backend/src/store/index.ts';
import type {
  DataQueryInput,
  DatasourceInstance,
  Frame,
  JobStateHandle,
  RequestContext,
} from '../../pkg-backend/src/query/contract.ts';
import { createDatasource } from '../../pkg-backend/src/query/datasource.ts';
import { prepareDetection } from '../../pkg-backend/src/query/detection.ts';
import { detectWithJob } from '../../pkg-backend/src/query/jobs/results.ts';
import { JobRunner } from '../../pkg-backend/src/query/jobs/runner.ts';
import { detectorRequest } from '../../pkg-backend/src/query/request.ts';
import type { DataSourceSettings } from '../../pkg-backend/src/query/settings.ts';
import { createDatabase } from '../setup/databases.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Data up to the current hour, so jobs reach "now" without a long empty stretch. */
const END = Math.floor(Date.now() / HOUR) * HOUR;
const T0 = END - 48 * HOUR;
let url: string;
let pool: pg.Pool;
const pools: pg.Pool[] = [];

const jsonData = { table: 'public.logs', timeColumn: 'ts', idColumn: 'id' };
const settings = { uid: 'ds', id: 1, name: 'ds', jsonData } as unknown as DataSourceSettings;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function stateOf(p: pg.Pool, schema: string): Promise<StateStore> {
  const opened = await openStateStore(p, { schema });
  if (opened.status !== 'ready') {
    throw new Error(opened.reason);
  }
  return opened.store;
}

function instance(key: string, p: pg.Pool, state?: JobStateHandle): DatasourceInstance {
  return { key, settings, pool: p, ...(state ? { state: () => Promise.resolve(state) } : {}) };
}

function ctx(inst: DatasourceInstance, fromAlert = false): RequestContext {
  return {
    instance: inst,
    orgId: 1,
    pluginId: 'rarity',
    pluginVersion: 'test',
    userAgent: 'test',
    headers: { 'X-Cache-Skip': 'true' },
    fromAlert,
    signal: new AbortController().signal,
    logger: silent,
  };
}

const query = (queryType: string, from: number, to: number): DataQueryInput => ({
  refId: 'A',
  queryType,
  json: { queryType, function: 'rare', byField: 'state', bucketSpan: '10m', minScore: 0 },
  timeRange: { from: new Date(from), to: new Date(to) },
  intervalMs: 60_000,
  maxDataPoints: 1000,
});

/** Frames without the per-request stats, notices and interim mark: what a panel shows. */
const shown = (frames: Frame[]) =>
  frames.map((f) => {
    const { interimFrom: _interim, ...custom } = (f.meta?.custom ?? {}) as Record<string, unknown>;
    return { ...f, meta: { ...f.meta, custom, stats: undefined, notices: undefined } };
  });

async function frames(ds: ReturnType<typeof createDatasource>, c: RequestContext, q: DataQueryInput) {
  const answer = (await ds.queryData(c, [q])).get('A')!;
  if (!('frames' in answer) || 'error' in answer) {
    throw new Error(JSON.stringify(answer));
  }
  return answer.frames;
}

beforeAll(async () => {
  url = await createDatabase('rarity_jobs_ds');
  pool = createPool({ connectionString: url, max: 6 });
  await pool.query('CREATE TABLE logs (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, ip text, state int)');
  await pool.query(
    `INSERT INTO logs (ts, ip, state)
     SELECT to_timestamp($1::float8 / 1000) + g * interval '1 minute', '10.0.0.' || (g % 7),
            CASE WHEN g % 997 = 500 THEN 9 WHEN g % 53 = 0 THEN 2 WHEN g % 211 = 7 THEN 5 ELSE 1 END
       FROM generate_series(0, 48 * 60 - 1) g`,
    [T0],
  );
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await pool.end();
});

describe('persisted jobs behind the datasource', () => {
  it('gives the frames of the in-process path, and the fallback says why it is not persisting', async () => {
    const persisted = createDatasource();
    const inProcess = createDatasource();
    const job = instance('ds@1', pool, {
      persisted: true,
      store: await stateOf(pool, 'ds_frames'),
      schema: 'ds_frames',
    });
    const advice = 'results are not persisted: grant CREATE on schema rarity to reader or set a state database';
    const fallback = instance('ds@1', pool, { persisted: false, reason: 'read-only role', advice });
    for (const type of ['scores', 'records', 'groups', 'annotations']) {
      for (const [from, to] of [
        [T0, END + 30 * MIN],
        [T0 + 30 * HOUR, END],
      ]) {
        const a = await frames(persisted, ctx(job), query(type, from, to));
        const b = await frames(inProcess, ctx(fallback), query(type, from, to));
        expect(shown(a)).toEqual(shown(b));
        expect(a[0].meta?.notices).toBeUndefined();
        expect(b[0].meta?.notices).toEqual([{ severity: 'info', text: advice }]);
      }
    }
    await persisted.shutdown?.(500);
    await inProcess.shutdown?.(500);
  });

  it('answers one cold query from two processes at once with one advancer', async () => {
    const [p1, p2] = [createPool({ connectionString: url, max: 4 }), createPool({ connectionString: url, max: 4 })];
    pools.push(p1, p2);
    const [s1, s2] = [await stateOf(p1, 'ds_two'), await stateOf(p2, 'ds_two')];
    const req = detectorRequest(
      { function: 'rare', byField: 'state', bucketSpan: '10m' },
      { table: 'public.logs', timeColumn: 'ts', idColumn: 'id' },
    );
    const window = { from: new Date(T0), to: new Date(END) };
    const [a, b] = await Promise.all([detectWithJob(p1, s1, req, window), detectWithJob(p2, s2, req, window)]);
    expect(a.current && b.current).toBe(true);
    expect({ ...a.result, stats: undefined }).toEqual({ ...b.result, stats: undefined });
    const processed = [a.result.stats.bucketsProcessed, b.result.stats.bucketsProcessed].sort((x, y) => x - y);
    // The waiting one analysed no history: at most the still-filling bucket, on a copy.
    expect(processed[0]).toBeLessThanOrEqual(1);
    expect(processed[1]).toBeGreaterThanOrEqual(48 * 6 - 1);
    const key = (await prepareDetection(p1, req)).key;
    const stored = await s1.readResults(key, T0, END);
    expect(new Set(stored.buckets.map((x) => x.time)).size).toBe(stored.buckets.length);
  });

  it('keeps a used job current in the background and stops promptly', async () => {
    const store = await stateOf(pool, 'ds_runner');
    const runner = new JobRunner({ tickMs: 20 });
    const req = detectorRequest(
      { function: 'rare', byField: 'state', bucketSpan: '10m' },
      { table: 'public.logs', timeColumn: 'ts', idColumn: 'id' },
    );
    const key = (await prepareDetection(pool, req)).key;
    runner.touch('ds@1', pool, store, req, { unfinished: true });
    for (let i = 0; i < 500 && (await store.getJob(key))?.status !== 'current'; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await store.getJob(key))?.status).toBe('current');
    await runner.stop(1000);
    expect(runner.tracked).toBe(1);
  });
});
