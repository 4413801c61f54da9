/**
 * Persisted jobs through the built executable over real gRPC: after kill -9 and a restart the same query
 * gives identical frames without reading history again; SIGKILLs during a long backfill (tiny chunks via
 * RARITY_JOB_CHUNK_BUCKETS) leave a job that finishes with exactly the results of an uninterrupted run; SIGTERM
 * mid-backfill exits before the shutdown deadline with the last chunk committed whole; two
 * backends answering one cold query at once give the same frames with one advancer; a role that cannot keep
 * state still answers, in-process, with the advice as a notice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { seedDemo, type SeedResult } from '../../pkg-backend/src/demo/seed.ts';
import { prepareDetection } from '../../pkg-backend/src/query/detection.ts';
import { detectorRequest } from '../../pkg-backend/src/query/request.ts';
import { openStateStore, type StateStore } from '../../pkg-backend/src/store/index.ts';
import type { RarityDataSourceOptions, RarityQuery } from '../../common/queryModel.ts';
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

const DB = 'rarity_backend_jobs';
const ROLE = 'rarity_backend_jobs_reader';
let url: string;
let pool: pg.Pool;
let seed: SeedResult;
let state: StateStore;

const launched = backends();
const backend = launched.start;
const kill = launched.kill;

type Json = Partial<RarityQuery> & Record<string, unknown>;

async function query(client: PluginClients, json: Json, ds = grafanaDatasource(url)): Promise<DecodedFrame[]> {
  const res = await client.queryData({
    pluginContext: pluginContext(ds),
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

const keyOf = async (json: Json) =>
  (await prepareDetection(pool, detectorRequest(json as RarityQuery, WEBLOGS_JSON as RarityDataSourceOptions))).key;

beforeAll(async () => {
  ensureBuiltExecutable();
  url = await createDatabase(DB);
  pool = new pg.Pool({ connectionString: url, max: 6 });
  // Ends at the current hour, so a job reaches "now" without a long stretch of empty buckets.
  seed = await seedDemo(pool, { days: 10, rowsPerDay: 6000 });
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
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  await c.query(`DROP ROLE IF EXISTS ${ROLE}`);
  await c.end();
});

describe('persisted jobs through the backend', () => {
  it(
    'answers identically after kill -9 and a restart, without reading history again',
    { timeout: 120_000 },
    async () => {
      const detector = { function: 'rare', byField: 'state', bucketSpan: '5m' } as const;
      const first = await backend();
      const before = [];
      for (const queryType of ['scores', 'records', 'groups'] as const) {
        before.push(await query(first.client, { ...detector, queryType, minScore: 0 }));
      }
      expect(stat(before[0], 'Buckets processed')).toBeGreaterThan(1000);
      const job = await state.getJob(await keyOf(detector));
      await kill(first);

      const second = await backend();
      for (const [i, queryType] of (['scores', 'records', 'groups'] as const).entries()) {
        const after = await query(second.client, { ...detector, queryType, minScore: 0 });
        expect(shown(after)).toEqual(shown(before[i]));
        // At most the still-filling bucket, scored on a copy; history comes from the state store.
        expect(stat(after, 'Buckets processed')).toBeLessThanOrEqual(1);
      }
      const again = await state.getJob(await keyOf(detector));
      expect(again!.historyStart).toBe(job!.historyStart);
      expect(again!.processedUntil!).toBeGreaterThanOrEqual(job!.processedUntil!);
    },
  );

  it(
    'survives SIGKILL during a long backfill and ends with the results of an uninterrupted run',
    { timeout: 180_000 },
    async () => {
      const detector = { function: 'freq_rare', byField: 'state', overField: 'ip', bucketSpan: '10m' } as const;
      const key = await keyOf(detector);
      let last = -Infinity;
      for (const step of [1, 2, 3]) {
        const b = await backend({ RARITY_JOB_CHUNK_BUCKETS: '3' });
        void query(b.client, { ...detector, queryType: 'scores' }).catch(() => undefined);
        // Kill once the job has moved on by a few chunks since the previous kill.
        for (;;) {
          const job = await state.getJob(key);
          if (
            job?.processedUntil != null &&
            job.processedUntil >= Math.max(last, job.historyStart!) + step * 9 * 600_000
          ) {
            break;
          }
          await new Promise((r) => setTimeout(r, 10));
        }
        await kill(b);
        const job = await state.getJob(key);
        expect(job!.processedUntil!).toBeGreaterThanOrEqual(last);
        last = job!.processedUntil!;
      }
      const final = await backend({ RARITY_JOB_CHUNK_BUCKETS: '3' });
      const frames = await query(final.client, { ...detector, queryType: 'scores' });
      expect(frames.length).toBeGreaterThan(0);
      expect((await state.getJob(key))!.status).toBe('current');

      const range = [seed.from.getTime(), seed.to.getTime()] as const;
      const interrupted = await state.readResults(key, ...range);
      // The uninterrupted run is the backend's too: another runtime may round the maths' last bit differently.
      await state.resetJob(key);
      await query(final.client, { ...detector, queryType: 'scores' });
      const uninterrupted = await state.readResults(key, ...range);
      expect(uninterrupted.buckets.length).toBeGreaterThan(1000);
      expect(interrupted.buckets).toEqual(uninterrupted.buckets);
      expect(interrupted.records).toEqual(uninterrupted.records);
      expect(interrupted.groups).toEqual(uninterrupted.groups);
    },
  );

  it(
    'stops cleanly on SIGTERM in the middle of a backfill, leaving a job that resumes',
    { timeout: 120_000 },
    async () => {
      const detector = { function: 'rare', byField: 'state', bucketSpan: '2m' } as const;
      const key = await keyOf(detector);
      const b = await backend({ RARITY_JOB_CHUNK_BUCKETS: '2' });
      void query(b.client, { ...detector, queryType: 'scores' }).catch(() => undefined);
      while ((await state.getJob(key))?.processedUntil == null) {
        await new Promise((r) => setTimeout(r, 10));
      }
      b.plugin.child.kill('SIGTERM');
      const exit = await b.plugin.waitForExit(5000);
      // Cleanup finished before the shutdown's hard deadline (1.5 s), which would have logged this line.
      expect(exit.code).toBe(0);
      expect(b.plugin.stderr.some((l) => l.raw.includes('cleanup did not finish in time'))).toBe(false);
      const stopped = await state.getJob(key);
      expect(stopped!.status).toBe('backfilling');
      const snapshots = await state.listSnapshots(key);
      expect(snapshots.at(-1)!.until).toBe(stopped!.processedUntil);
      const next = await backend();
      await query(next.client, { ...detector, queryType: 'scores' });
      expect((await state.getJob(key))!.status).toBe('current');
    },
  );

  it('answers one cold query from two backends at once with one advancer', { timeout: 120_000 }, async () => {
    const detector = { function: 'rare', byField: 'state', bucketSpan: '15m' } as const;
    const [x, y] = await Promise.all([backend(), backend()]);
    const [a, b] = await Promise.all([
      query(x.client, { ...detector, queryType: 'scores' }),
      query(y.client, { ...detector, queryType: 'scores' }),
    ]);
    expect(shown(a)).toEqual(shown(b));
    const processed = [stat(a, 'Buckets processed'), stat(b, 'Buckets processed')].sort((p, q) => p - q);
    expect(processed[0]).toBeLessThanOrEqual(1);
    expect(processed[1]).toBeGreaterThan(100);
  });

  it('answers in-process with the advice when the role cannot keep state', { timeout: 60_000 }, async () => {
    const admin = (sql: string) => pool.query(sql);
    await admin(`DROP ROLE IF EXISTS ${ROLE}`);
    await admin(`CREATE ROLE ${ROLE} LOGIN PASSWORD 'reader'`);
    await admin(`GRANT CONNECT ON DATABASE ${DB} TO ${ROLE}`);
    await admin(`GRANT SELECT ON ${seed.table} TO ${ROLE}`);
    const b = await backend();
    const ds = grafanaDatasource(url, { user: ROLE }, { uid: 'reader', secure: { password: 'reader' } });
    const frames = await query(
      b.client,
      { function: 'rare', byField: 'state', bucketSpan: '5m', queryType: 'scores' },
      ds,
    );
    const notices = frames[0].meta?.notices as Array<{ text: string }>;
    expect(notices.map((n) => n.text)).toEqual([
      expect.stringMatching(/^results are not persisted: grant CREATE on schema rarity/),
    ]);
    expect(stat(frames, 'Buckets processed')).toBeGreaterThan(1000);
  });
});
