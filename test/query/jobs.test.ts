/**
 * Persisted detection jobs against a real server: a job answers exactly what the in-process path answers
 * for the same data, resumes from committed state without reading history again (a new StateStore stands
 * for a restarted process), chunks however small change nothing, interim buckets stay out of alerts, a
 * held lock gives a progress notice, and late rows are re-scored to what a from-scratch run gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { RarityQuery } from '../../common/queryModel.ts';
import { createPool, openStateStore, type StateStore } from '../../pkg-backend/src/store/index.ts';
import { prepareDetection, runDetection, type DetectionResult } from '../../pkg-backend/src/query/detection.ts';
import { advanceJob } from '../../pkg-backend/src/query/jobs/advance.ts';
import { JobModel, type ModelState } from '../../pkg-backend/src/query/jobs/model.ts';
import { detectWithJob } from '../../pkg-backend/src/query/jobs/results.ts';
import { detectorRequest, type DetectorRequest, type TimeWindow } from '../../pkg-backend/src/query/request.ts';
import { createDatabase } from '../setup/databases.ts';

let pool: pg.Pool;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;
const MIN = 60_000;

async function insertHours(fromHour: number, toHour: number) {
  await pool.query(
    `INSERT INTO logs (ts, ip, state)
     SELECT to_timestamp($1::float8 / 1000) + g * interval '1 minute',
            '10.0.0.' || (g % 7),
            CASE WHEN g % 997 = 500 THEN 9 WHEN g % 53 = 0 THEN 2 WHEN g % 211 = 7 THEN 5 ELSE 1 END
       FROM generate_series(0, $2 - 1) g`,
    [T0 + fromHour * HOUR, (toHour - fromHour) * 60],
  );
}

const request = (from: number, to: number, extra: Partial<RarityQuery> = {}): [DetectorRequest, TimeWindow] => [
  detectorRequest(
    { function: 'rare', byField: 'state', bucketSpan: '10m', ...extra },
    { table: 'public.logs', timeColumn: 'ts', idColumn: 'id' },
  ),
  { from: new Date(from), to: new Date(to) },
];

async function store(schema: string): Promise<StateStore> {
  const opened = await openStateStore(pool, { schema });
  if (opened.status !== 'ready') {
    throw new Error(opened.reason);
  }
  return opened.store;
}

const noStats = (r: DetectionResult) => ({ ...r, stats: { ...r.stats, bucketsProcessed: 0, tuples: 0 } });

beforeAll(async () => {
  pool = createPool({ connectionString: await createDatabase('rarity_jobs'), max: 6 });
  await pool.query('CREATE TABLE logs (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, ip text, state int)');
  await insertHours(0, 48);
});
afterAll(() => pool.end());

describe('persisted detection jobs', () => {
  const now = T0 + 48 * HOUR + 30 * MIN;

  it('answers what the in-process path answers, and a restarted process reads instead of recomputing', async () => {
    const s = await store('jobs_restart');
    const window = request(T0 + 40 * HOUR, now);
    const first = await detectWithJob(pool, s, ...window, { now });
    const full = await runDetection(pool, ...window);
    expect(first.current).toBe(true);
    expect(first.notices).toEqual([]);
    expect(noStats(first.result)).toEqual(noStats(full));
    expect(first.result.stats.bucketsProcessed).toBe(full.stats.bucketsProcessed);

    const restarted = await store('jobs_restart');
    const again = await detectWithJob(pool, restarted, ...window, { now });
    expect(again.result).toEqual({ ...first.result, stats: { ...first.result.stats, bucketsProcessed: 0, tuples: 0 } });
    const whole = request(T0, now);
    expect(noStats((await detectWithJob(pool, restarted, ...whole, { now })).result)).toEqual(
      noStats(await runDetection(pool, ...whole)),
    );
  });

  it("hands an unfinished request's model to the next advance, which goes on from it instead of the snapshot", async () => {
    const window = request(T0, now);
    const s = await store('jobs_resume');
    // No budget: the request commits one chunk and leaves the rest of the backfill.
    const first = await detectWithJob(pool, s, ...window, { now, maxChunkBuckets: 12, advanceBudgetMs: 0 });
    expect(first.current).toBe(false);
    const resume = first.resume!;
    expect(resume.until).toBe((await s.getJob(resume.prepared.key))?.processedUntil);
    const written = (await s.latestSnapshot(resume.prepared.key))!;
    const behind = new JobModel(resume.prepared, written.until, written.state as ModelState);
    const reads: number[] = [];
    const counting = new Proxy(s, {
      get: (target, name, receiver) =>
        name === 'latestSnapshot'
          ? (key: string) => (reads.push(1), target.latestSnapshot(key))
          : (Reflect.get(target, name, receiver) as unknown),
    });
    const prepared = await prepareDetection(pool, window[0]);
    const handed = await advanceJob(pool, counting, prepared, { now, resume });
    expect(handed.acquired && handed.value.complete).toBe(true);
    expect(reads).toEqual([]);
    // The same results as a job advanced without a handover, and a model that is not where the job is, is left.
    const plain = await store('jobs_resume_plain');
    await advanceJob(pool, plain, prepared, { now, maxChunkBuckets: 12 });
    expect(await s.readResults(prepared.key, T0, now)).toEqual(await plain.readResults(prepared.key, T0, now));
    const stale = await advanceJob(pool, counting, prepared, { now: now + 3 * HOUR, resume: behind });
    expect(stale.acquired).toBe(true);
    expect(reads.length).toBe(1);
  });

  it('gives the same results in chunks of any size', async () => {
    const [req] = request(T0, now);
    const prepared = await prepareDetection(pool, req);
    const big = await store('jobs_big');
    const small = await store('jobs_small');
    const a = await advanceJob(pool, big, prepared, { now });
    const b = await advanceJob(pool, small, prepared, { now, maxChunkBuckets: 7 });
    expect(a.acquired && b.acquired).toBe(true);
    if (!a.acquired || !b.acquired) {
      return;
    }
    expect(b.value.chunks).toBeGreaterThan(a.value.chunks);
    expect(b.value.processedUntil).toBe(a.value.processedUntil);
    const all = [T0, now] as const;
    const ra = await big.readResults(prepared.key, ...all);
    const rb = await small.readResults(prepared.key, ...all);
    expect(rb).toEqual(ra);
    expect(ra.records.length).toBeGreaterThan(0);
    expect(ra.groups.length).toBeGreaterThan(0);
  });

  it('leaves interim buckets out of alert evaluations unless the query asks for them', async () => {
    const s = await store('jobs_interim');
    // The bucket at 47:50 is still within its grace span, so it is scored on a copy only.
    const early = T0 + 48 * HOUR + 5 * MIN;
    const window = request(T0 + 46 * HOUR, T0 + 48 * HOUR);
    const dashboard = await detectWithJob(pool, s, ...window, { now: early });
    expect(dashboard.interimFrom).toBe(T0 + 47 * HOUR + 50 * MIN);
    expect(noStats(dashboard.result)).toEqual(noStats(await runDetection(pool, ...window)));
    const alert = await detectWithJob(pool, s, ...window, { now: early, fromAlert: true });
    expect(alert.interimFrom).toBeNull();
    expect(alert.result.buckets.at(-1)!.time).toBe(T0 + 47 * HOUR + 40 * MIN);
    expect(alert.result.records.every((r) => r.time < T0 + 47 * HOUR + 50 * MIN)).toBe(true);
    const asked = await detectWithJob(pool, s, ...window, { now: early, fromAlert: true, includeInterim: true });
    expect(asked.result).toEqual({ ...dashboard.result, stats: asked.result.stats });
  });

  it('answers from committed results with a progress notice while another process holds the job', async () => {
    const s = await store('jobs_locked');
    const window = request(T0, now);
    const prepared = await prepareDetection(pool, window[0]);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = s.withJobLock(prepared.key, async () => {
      locked();
      await held;
    });
    await isLocked;
    const answer = await detectWithJob(pool, s, ...window, { now, lockWaitMs: 0 });
    release();
    await holder;
    expect(answer.current).toBe(false);
    expect(answer.notices.map((n) => n.text)).toEqual([
      'processing history: 0 %, nothing analysed yet; results after that follow once the job has caught up',
    ]);
    expect(answer.result.buckets).toEqual([]);
    const later = await detectWithJob(pool, s, ...window, { now });
    expect(noStats(later.result)).toEqual(noStats(await runDetection(pool, ...window)));
  });

  it('re-scores late rows to what a from-scratch run over the final data gives', async () => {
    const s = await store('jobs_late');
    const window = request(T0, now);
    const before = await detectWithJob(pool, s, ...window, { now, maxChunkBuckets: 12 });
    await pool.query(
      `INSERT INTO logs (ts, ip, state) SELECT to_timestamp($1::float8 / 1000), '10.0.0.1', 77 FROM generate_series(1, 3)`,
      [T0 + 30 * HOUR + MIN],
    );
    const after = await detectWithJob(pool, s, ...window, { now, maxChunkBuckets: 12 });
    expect(after.result.stats.rows).toBe(before.result.stats.rows + 3);
    // Re-analysed from the last snapshot before 30:00, not from the start of the history.
    expect(after.result.stats.bucketsProcessed).toBeLessThan(before.result.stats.bucketsProcessed);
    expect(noStats(after.result)).toEqual(noStats(await runDetection(pool, ...window)));
    const fresh = await store('jobs_late_fresh');
    const prepared = await prepareDetection(pool, window[0]);
    await advanceJob(pool, fresh, prepared, { now });
    const rescored = await s.readResults(prepared.key, T0, now);
    const scratch = await fresh.readResults(prepared.key, T0, now);
    expect(rescored.buckets).toEqual(scratch.buckets);
    expect(rescored.records).toEqual(scratch.records);
    expect(rescored.groups.map(({ revised: _r, ...g }) => g)).toEqual(scratch.groups.map(({ revised: _r, ...g }) => g));
  });
});
