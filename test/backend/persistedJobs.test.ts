/**
 * Jobs with several detectors persisted through the built executable over real gRPC: after kill -9 and a
 * restart the same query gives identical frames without reading history again; SIGKILLs during a long
 * backfill (tiny chunks) leave a job that finishes with exactly the results of an uninterrupted run; two
 * backends answering one cold query at once give the same frames with one advancer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { RarityDataSourceOptions, RarityQuery } from '../../common/queryModel.ts';
import { seedDemo, type SeedResult } from '../../pkg-backend/src/demo/seed.ts';
import { resolveJob } from '../../pkg-backend/src/query/jobResolve.ts';
import { jobQueryRequest } from '../../pkg-backend/src/query/request.ts';
import { openStateStore, type StateStore } from '../../pkg-backend/src/store/index.ts';
import {
  DAY,
  WEBLOGS_JSON,
  createDatabase,
  dropDatabase,
  grafanaDatasource,
  readFrames,
  type DecodedFrame,
} from './e2e.ts';
import {
  connect,
  dataQuery,
  ensureBuiltExecutable,
  grafanaEnv,
  pluginContext,
  startPlugin,
  type PluginClients,
  type PluginProcess,
} from './host.ts';
import { backends, shown, stat } from './restartable.ts';

const DB = 'rarity_backend_persisted_jobs';
let url: string;
let pool: pg.Pool;
let seed: SeedResult;
let state: StateStore;

const job = (bucketSpan: string) => ({
  bucketSpan,
  detectors: [
    { function: 'rare', byField: 'state', partitionField: 'key' },
    { function: 'freq_rare', byField: 'state', overField: 'ip' },
  ],
  influencers: ['key', 'ip'],
  limit: 10_000,
  minScore: 0,
});

const launched = backends();
const backend = launched.start;
const kill = launched.kill;

async function query(client: PluginClients, json: Record<string, unknown>): Promise<DecodedFrame[]> {
  const res = await client.queryData({
    pluginContext: pluginContext(grafanaDatasource(url)),
    headers: { 'X-Cache-Skip': 'true' },
    queries: [
      dataQuery(
        'A',
        { ...json, refId: 'A' },
        { from: seed.from.getTime() + 3 * DAY, to: seed.to.getTime(), queryType: String(json.queryType) },
      ),
    ],
  });
  const answer = res.responses.A;
  if (answer.error) {
    throw new Error(answer.error);
  }
  return readFrames(answer.frames);
}

const keyOf = async (json: Record<string, unknown>) =>
  (await resolveJob(pool, jobQueryRequest(json as unknown as RarityQuery, WEBLOGS_JSON as RarityDataSourceOptions)))
    .key;

beforeAll(async () => {
  ensureBuiltExecutable();
  url = await createDatabase(DB);
  pool = new pg.Pool({ connectionString: url, max: 6 });
  seed = await seedDemo(pool, { days: 6, rowsPerDay: 3000 });
  const opened = await openStateStore(pool);
  if (opened.status !== 'ready') {
    throw new Error(opened.reason);
  }
  state = opened.store;
}, 120_000);

afterAll(async () => {
  await launched.disposeAll();
  await pool.end();
  await dropDatabase(DB).catch(() => undefined);
});

describe('persisted jobs of several detectors through the backend', () => {
  it(
    'answers identically after kill -9 and a restart, without reading history again',
    { timeout: 120_000 },
    async () => {
      const json = job('1h');
      const first = await backend();
      const types = ['scores', 'records', 'groups', 'influencers'] as const;
      const before = [];
      for (const queryType of types) {
        before.push(await query(first.client, { ...json, queryType }));
      }
      expect(stat(before[0], 'Buckets processed')).toBeGreaterThan(100);
      expect(JSON.stringify(before[0][0].meta?.notices ?? [])).not.toMatch(/not persisted/);
      const row = await state.getJob(await keyOf(json));
      expect(row?.status).toBe('current');
      expect((row?.definition as { kind: string }).kind).toBe('job');
      await kill(first);

      const second = await backend();
      for (const [i, queryType] of types.entries()) {
        const after = await query(second.client, { ...json, queryType });
        expect(shown(after)).toEqual(shown(before[i]));
        expect(stat(after, 'Buckets processed')).toBe(0);
      }
    },
  );

  it(
    'survives SIGKILL during a long backfill and ends with the results of an uninterrupted run',
    { timeout: 180_000 },
    async () => {
      const json = job('10m');
      const key = await keyOf(json);
      let last = -Infinity;
      for (const step of [1, 2]) {
        const b = await backend({ RARITY_JOB_CHUNK_BUCKETS: '3' });
        void query(b.client, { ...json, queryType: 'scores' }).catch(() => undefined);
        for (;;) {
          const row = await state.getJob(key);
          if (
            row?.processedUntil != null &&
            row.processedUntil >= Math.max(last, row.historyStart!) + step * 9 * 600_000
          ) {
            break;
          }
          await new Promise((r) => setTimeout(r, 10));
        }
        await kill(b);
        const row = await state.getJob(key);
        expect(row!.processedUntil!).toBeGreaterThanOrEqual(last);
        // Progress and the latest snapshot always agree: the kill left no half-written chunk.
        expect((await state.listSnapshots(key)).at(-1)!.until).toBe(row!.processedUntil);
        last = row!.processedUntil!;
      }
      const final = await backend({ RARITY_JOB_CHUNK_BUCKETS: '3' });
      await query(final.client, { ...json, queryType: 'scores' });
      expect((await state.getJob(key))!.status).toBe('current');
      const range = [seed.from.getTime(), seed.to.getTime()] as const;
      const interrupted = await state.readJobResults(key, ...range);
      await state.resetJob(key);
      await query(final.client, { ...json, queryType: 'scores' });
      const uninterrupted = await state.readJobResults(key, ...range);
      expect(uninterrupted.buckets.length).toBeGreaterThan(500);
      expect(uninterrupted.records.length).toBeGreaterThan(0);
      expect(interrupted.buckets).toEqual(uninterrupted.buckets);
      expect(interrupted.records).toEqual(uninterrupted.records);
      expect(interrupted.influencers).toEqual(uninterrupted.influencers);
      expect(interrupted.groups.map(({ revised: _r, ...g }) => g)).toEqual(
        uninterrupted.groups.map(({ revised: _r, ...g }) => g),
      );
    },
  );

  it('answers one cold query from two backends at once with one advancer', { timeout: 120_000 }, async () => {
    const json = job('30m');
    const [x, y] = await Promise.all([backend(), backend()]);
    const [a, b] = await Promise.all([
      query(x.client, { ...json, queryType: 'records' }),
      query(y.client, { ...json, queryType: 'records' }),
    ]);
    expect(shown(a)).toEqual(shown(b));
    const processed = [stat(a, 'Buckets processed'), stat(b, 'Buckets processed')].sort((p, q) => p - q);
    expect(processed[0]).toBe(0);
    expect(processed[1]).toBeGreaterThan(100);
  });
});
