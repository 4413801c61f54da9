/**
 * Jobs, chunks, results and snapshots against a real server: every field read back exactly as written,
 * chunks idempotent, progress monotonic, rewinds and retention that leave progress, snapshots and results
 * agreeing.
 */
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createPool } from '../../pkg-backend/src/store/connection.ts';
import { StoreError } from '../../pkg-backend/src/store/errors.ts';
import {
  decodeSnapshot,
  encodeSnapshot,
  openStateStore,
  type StateStore,
} from '../../pkg-backend/src/store/state/index.ts';
import { createDatabase, dropDatabase } from '../setup/databases.ts';
import {
  SPAN_MS,
  START,
  bucketAt,
  chunkFor,
  expectedUntil,
  groupsUntil,
  minutes,
  recordsAt,
  snapshotState,
} from './stateFixtures.ts';

const DB = 'rarity_state_results';
let pool: pg.Pool;
let store: StateStore;
const FAR = minutes(1_000_000);

beforeAll(async () => {
  pool = createPool({ connectionString: await createDatabase(DB), max: 4 });
  const opened = await openStateStore(pool);
  if (opened.status !== 'ready') {
    throw new Error(opened.reason);
  }
  store = opened.store;
});

afterAll(async () => {
  await pool.end();
  await dropDatabase(DB);
});

async function failure(p: Promise<unknown>): Promise<StoreError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  return err as StoreError;
}

async function rowCounts(key: string): Promise<Record<string, number>> {
  const res = await pool.query(
    `SELECT (SELECT count(*)::int FROM rarity.bucket_results WHERE job_key = $1) AS buckets,
            (SELECT count(*)::int FROM rarity.record_results WHERE job_key = $1) AS records,
            (SELECT count(*)::int FROM rarity.group_results WHERE job_key = $1) AS groups,
            (SELECT count(*)::int FROM rarity.model_snapshots WHERE job_key = $1) AS snapshots`,
    [key],
  );
  return res.rows[0];
}

const unrevised = <T extends object>(groups: T[]) => groups.map((g) => ({ ...g, revised: false }));

describe('jobs', () => {
  it('ensureJob inserts once and returns the same row after; another definition under the key is refused', async () => {
    const definition = {
      table: 'public.weblogs',
      function: 'freq_rare',
      by: 'state',
      over: 'ip',
      spanMs: 300_000,
      filters: [{ field: 'x', op: '=', value: 'a"b' }],
    };
    const created = await store.ensureJob('job-a', definition, { historyStart: START });
    expect(created).toMatchObject({
      key: 'job-a',
      definition,
      status: 'created',
      processedUntil: null,
      idWatermark: null,
      historyStart: START,
      learningUntil: null,
      memoryStatus: 'ok',
      modelBytes: null,
      lastError: null,
      lastErrorAt: null,
    });
    const again = await store.ensureJob('job-a', { ...definition });
    expect(again).toEqual(created);
    expect(await store.getJob('job-a')).toEqual(created);
    const conflict = await failure(store.ensureJob('job-a', { ...definition, by: 'other' }));
    expect(conflict.kind).toBe('state_conflict');
    expect(conflict.message).toContain('job job-a is stored with another definition');
    expect((await store.listJobs()).map((j) => j.key)).toContain('job-a');
    expect(await store.getJob('no-such-job')).toBeUndefined();
  });

  it('status and errors are recorded; unknown jobs are named', async () => {
    await store.ensureJob('job-status', { n: 1 });
    await store.setJobError('job-status', 'exceeded the statement timeout');
    const failed = await store.getJob('job-status');
    expect(failed).toMatchObject({ status: 'failed', lastError: 'exceeded the statement timeout' });
    expect(failed!.lastErrorAt).toEqual(expect.any(Number));
    await store.setJobStatus('job-status', 'current');
    expect(await store.getJob('job-status')).toMatchObject({
      status: 'current',
      lastError: 'exceeded the statement timeout',
    });
    expect((await failure(store.setJobStatus('ghost', 'current'))).message).toBe(
      'job ghost does not exist in the state store',
    );
    expect((await failure(store.setJobStatus('job-status', 'sleeping' as never))).kind).toBe('state_invalid');
  });
});

describe('commitChunk and readResults', () => {
  it('round-trips every field of buckets, records, groups and the job exactly', async () => {
    const key = 'job-roundtrip';
    await store.ensureJob(key, { k: key });
    await store.commitChunk(key, chunkFor(minutes(0), minutes(25)));
    await store.commitChunk(key, {
      ...chunkFor(minutes(25), minutes(50)),
      status: 'current',
      memoryStatus: 'soft_limit',
      modelBytes: 123456,
    });
    const read = await store.readResults(key, START, FAR);
    const expected = expectedUntil(minutes(50));
    expect(read.processedUntil).toBe(minutes(50));
    expect(read.buckets).toEqual(expected.buckets);
    expect(read.records).toEqual(expected.records);
    expect(read.groups).toEqual(unrevised(expected.groups));
    expect(read.interim).toEqual({ buckets: [], records: [] });
    // toEqual treats a missing key like undefined; frames must see exactly the written shape.
    expect(read.records.filter((r) => 'groupId' in r).length).toBe(
      expected.records.filter((r) => 'groupId' in r).length,
    );
    expect(read.groups.map((g) => typeof g.startingAt)).toEqual(expected.groups.map(() => 'bigint'));

    const job = await store.getJob(key);
    expect(job).toMatchObject({
      status: 'current',
      processedUntil: minutes(50),
      idWatermark: 50_000n,
      historyStart: START,
      learningUntil: START + 20 * SPAN_MS,
      memoryStatus: 'soft_limit',
      modelBytes: 123456,
    });
  });

  it('reads [from, to) for buckets and records, and every group overlapping the range whole', async () => {
    const key = 'job-roundtrip';
    const read = await store.readResults(key, minutes(12), minutes(15));
    expect(read.buckets.map((b) => b.time)).toEqual([minutes(12), minutes(13), minutes(14)]);
    expect(read.records).toEqual([...recordsAt(minutes(12)), ...recordsAt(minutes(13)), ...recordsAt(minutes(14))]);
    // Group 1 covers minutes [10, 17): overlapping, reported whole; groups 0 ([0, 7)) and 2 ([20, 27)) are not.
    expect(read.groups.map((g) => [g.start, g.end])).toEqual([[minutes(10), minutes(17)]]);
    const edge = await store.readResults(key, minutes(7), minutes(10));
    expect(edge.groups).toEqual([]);
  });

  it('the same chunk twice leaves exactly the rows of once', async () => {
    const key = 'job-idempotent';
    await store.ensureJob(key, { k: key });
    const chunk = chunkFor(minutes(0), minutes(30));
    await store.commitChunk(key, chunk);
    const once = await rowCounts(key);
    const readOnce = await store.readResults(key, START, FAR);
    await store.commitChunk(key, chunk);
    expect(await rowCounts(key)).toEqual(once);
    expect(await store.readResults(key, START, FAR)).toEqual(readOnce);
    expect(once).toEqual({ buckets: 30, records: 90, groups: 3, snapshots: 1 });
  });

  it('a group changing while open is updated in place, never duplicated', async () => {
    const key = 'job-open-group';
    await store.ensureJob(key, { k: key });
    for (let m = 0; m < 30; m += 1) {
      await store.commitChunk(key, chunkFor(minutes(m), minutes(m + 1)));
    }
    const read = await store.readResults(key, START, FAR);
    expect(read.groups).toEqual(unrevised(groupsUntil(minutes(30))));
    expect((await rowCounts(key)).groups).toBe(3);
  });

  it('progress never moves backwards: an older chunk is refused and writes nothing', async () => {
    const key = 'job-monotonic';
    await store.ensureJob(key, { k: key });
    await store.commitChunk(key, chunkFor(minutes(0), minutes(20)));
    const before = await rowCounts(key);
    const stale = { ...chunkFor(minutes(0), minutes(10)), buckets: [{ ...bucketAt(minutes(5)), score: 99 }] };
    const err = await failure(store.commitChunk(key, stale));
    expect(err.kind).toBe('state_conflict');
    expect(err.message).toBe(
      `job ${key} has processed until ${new Date(minutes(20)).toISOString()}; a chunk ending at ${new Date(minutes(10)).toISOString()} would move its progress backwards`,
    );
    expect(await rowCounts(key)).toEqual(before);
    expect((await store.readResults(key, minutes(5), minutes(6))).buckets).toEqual([bucketAt(minutes(5))]);
    expect((await store.latestSnapshot(key))!.until).toBe(minutes(20));
    expect((await store.getJob(key))!.processedUntil).toBe(minutes(20));
  });

  it('refuses chunks that break the invariants, naming what is wrong', async () => {
    const key = 'job-invariants';
    await store.ensureJob(key, { k: key });
    const chunk = chunkFor(minutes(0), minutes(5));
    const cases: Array<[unknown, RegExp]> = [
      [
        { ...chunk, snapshot: { ...chunk.snapshot, until: minutes(4) } },
        /snapshot is at .* but the chunk ends at .*; they must be equal/,
      ],
      [
        { ...chunk, buckets: [...chunk.buckets, bucketAt(minutes(5))] },
        /bucket 2026-01-01T00:05:00.000Z is not before the chunk's end/,
      ],
      [
        { ...chunk, buckets: [...chunk.buckets, bucketAt(minutes(1))] },
        /bucket 2026-01-01T00:01:00.000Z appears twice/,
      ],
      [{ ...chunk, records: [...chunk.records, chunk.records[0]] }, /record .* appears twice/],
      [{ ...chunk, groups: [{ ...chunk.groups[0], end: minutes(6) }] }, /group .* does not end by/],
      [{ ...chunk, processedUntil: 1.5 }, /processedUntil 1.5 is not a whole number/],
    ];
    for (const [bad, message] of cases) {
      const err = await failure(store.commitChunk(key, bad as never));
      expect(err.kind).toBe('state_invalid');
      expect(err.message).toMatch(message);
    }
    expect(await rowCounts(key)).toEqual({ buckets: 0, records: 0, groups: 0, snapshots: 0 });
    expect((await failure(store.commitChunk('ghost', chunk))).kind).toBe('job_missing');
  });
});

describe('interim results', () => {
  it('live past the progress, are read only when asked for, and are replaced by the next commit', async () => {
    const key = 'job-interim';
    await store.ensureJob(key, { k: key });
    await store.commitChunk(key, chunkFor(minutes(0), minutes(10)));
    const interimBucket = { ...bucketAt(minutes(10)), score: 42.5 };
    const interimRecords = recordsAt(minutes(10), 5);
    await store.writeInterim(key, { buckets: [interimBucket], records: interimRecords });
    expect((await store.readResults(key, START, FAR)).interim).toEqual({ buckets: [], records: [] });
    const withInterim = await store.readResults(key, START, FAR, { includeInterim: true });
    expect(withInterim.interim).toEqual({ buckets: [interimBucket], records: interimRecords });
    expect(withInterim.buckets).toHaveLength(10);

    const inThePast = await failure(store.writeInterim(key, { buckets: [bucketAt(minutes(9))], records: [] }));
    expect(inThePast.message).toMatch(/is not at or after the job's progress/);

    await store.commitChunk(key, chunkFor(minutes(10), minutes(11)));
    const after = await store.readResults(key, START, FAR, { includeInterim: true });
    expect(after.interim).toEqual({ buckets: [], records: [] });
    expect(after.buckets).toEqual(expectedUntil(minutes(11)).buckets);
    expect(after.records).toEqual(expectedUntil(minutes(11)).records);
  });
});

describe('snapshots', () => {
  it('compress and decompress to the same state', async () => {
    const state = {
      detector: snapshotState(minutes(12345)),
      text: 'é"\\\n'.repeat(1000),
      nested: [[1, null, true], { a: 1e-300 }],
    };
    const encoded = await encodeSnapshot(state, 'test');
    expect(encoded.bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(encoded.bytes.length).toBeLessThan(encoded.jsonBytes / 5);
    expect(await decodeSnapshot(encoded.bytes, 'test')).toEqual(state);
    const damaged = Buffer.from(encoded.bytes);
    damaged[damaged.length - 6] ^= 0xff;
    await expect(decodeSnapshot(damaged, 'job x')).rejects.toThrow(/snapshot of job x is damaged/);
    await expect(encodeSnapshot({ id: 1n }, 'job y')).rejects.toThrow(/snapshot of job y is not serialisable as JSON/);
    await expect(encodeSnapshot({ weights: [1, Infinity] }, 'job z')).rejects.toThrow(
      'snapshot of job z is not serialisable as JSON: 1 is Infinity, which JSON cannot hold',
    );
  });

  it('writes a many-megabyte state as exactly the text JSON.stringify gives, piece by piece', async () => {
    const values = Array.from({ length: 300_000 }, (_, i) => `${i % 3 === 0 ? '🦊' : 'é'}${i}`);
    const state = {
      values,
      numbers: Array.from({ length: 200_001 }, (_, i) => i / 7),
      models: [{ a: [1, 2, [3, [4]]], b: undefined, c: null }, [], {}, [undefined, () => 1, new Date(0)]],
      holes: [1, , 3],
      bare: Object.assign(Object.create(null) as object, { x: 1 }),
      lone: '\ud800 and \udfff',
      edge: `${'x'.repeat(2 ** 20 - 10)}🦊`,
      skipped: undefined,
    };
    const json = JSON.stringify(state);
    const encoded = await encodeSnapshot(state, 'big');
    expect(encoded.jsonBytes).toBe(Buffer.byteLength(json, 'utf8'));
    expect(gunzipSync(encoded.bytes).toString('utf8')).toBe(json);
    expect(await decodeSnapshot(encoded.bytes, 'big')).toEqual(JSON.parse(json));
  });

  it('latestSnapshot returns the state at the progress, or the latest at or before a time', async () => {
    const key = 'job-snapshots';
    await store.ensureJob(key, { k: key });
    for (let m = 0; m < 60; m += 5) {
      await store.commitChunk(key, chunkFor(minutes(m), minutes(m + 5)));
    }
    const latest = await store.latestSnapshot(key);
    expect(latest).toMatchObject({ until: minutes(60), formatVersion: 1, state: snapshotState(minutes(60)) });
    expect(latest!.stateBytes).toBe(Buffer.byteLength(JSON.stringify(snapshotState(minutes(60)))));
    expect((await store.latestSnapshot(key, minutes(33)))!.state).toEqual(snapshotState(minutes(30)));
    expect(await store.latestSnapshot(key, minutes(4))).toBeUndefined();
    expect((await store.listSnapshots(key)).map((s) => s.until)).toEqual(
      Array.from({ length: 12 }, (_, i) => minutes(5 * (i + 1))),
    );
  });

  it('pruning keeps the latest, one per period, and nothing older than the cut-off', async () => {
    const key = 'job-snapshots';
    // Snapshots at 5, 10, …, 60; periods of 20 minutes keep 5 (first of [0, 20)), 20, 40 and the latest 60.
    expect(await store.pruneSnapshots(key, 20 * SPAN_MS, START)).toBe(8);
    expect((await store.listSnapshots(key)).map((s) => s.until)).toEqual([
      minutes(5),
      minutes(20),
      minutes(40),
      minutes(60),
    ]);
    expect(await store.pruneSnapshots(key, 20 * SPAN_MS, minutes(30))).toBe(2);
    expect((await store.listSnapshots(key)).map((s) => s.until)).toEqual([minutes(40), minutes(60)]);
    expect(await store.pruneSnapshots(key, 20 * SPAN_MS, FAR)).toBe(1);
    expect((await store.listSnapshots(key)).map((s) => s.until)).toEqual([minutes(60)]);
  });
});

describe('rewind', () => {
  it('sets the job back to a snapshot: later results and snapshots go, in one transaction', async () => {
    const key = 'job-rewind';
    await store.ensureJob(key, { k: key });
    for (let m = 0; m < 40; m += 4) {
      await store.commitChunk(key, chunkFor(minutes(m), minutes(m + 4)));
    }
    await store.writeInterim(key, { buckets: [bucketAt(minutes(40))], records: [] });
    // Group 1 spans [10, 17): at minute 12 it was open with end 12, as the snapshot's tracker holds it.
    const openAtSnapshot = groupsUntil(minutes(12)).filter((g) => g.open);
    const result = await store.rewind(key, minutes(12), { openGroups: openAtSnapshot });
    expect(result.previousProcessedUntil).toBe(minutes(40));
    expect(result.deleted).toEqual({ buckets: 29, records: 84, groups: 3, snapshots: 7 });
    expect(result.affectedGroups.map((g) => g.start)).toEqual([minutes(10), minutes(20), minutes(30)]);

    // Exactly what a writer that stopped at minute 12 holds.
    const read = await store.readResults(key, START, FAR, { includeInterim: true });
    const expected = expectedUntil(minutes(12));
    expect(read.processedUntil).toBe(minutes(12));
    expect(read.buckets).toEqual(expected.buckets);
    expect(read.records).toEqual(expected.records);
    expect(read.groups).toEqual(unrevised(expected.groups));
    expect(read.interim).toEqual({ buckets: [], records: [] });
    expect((await store.latestSnapshot(key))!.until).toBe(minutes(12));
    expect(await store.getJob(key)).toMatchObject({ status: 'backfilling', processedUntil: minutes(12) });

    // Re-analysing forward gives the uninterrupted result again; a changed group can be flagged revised.
    for (let m = 12; m < 40; m += 7) {
      await store.commitChunk(key, chunkFor(minutes(m), minutes(m + 7)));
    }
    const again = await store.readResults(key, START, FAR);
    const full = expectedUntil(minutes(40));
    expect(again.buckets).toEqual(full.buckets);
    expect(again.records).toEqual(full.records);
    expect(await store.markGroupsRevised(key, [full.groups[1].id])).toBe(1);
    expect((await store.readResults(key, START, FAR)).groups).toEqual(
      full.groups.map((g, i) => ({ ...g, revised: i === 1 })),
    );
    // Once revised, a later upsert does not clear the flag.
    await store.commitChunk(key, chunkFor(minutes(40), minutes(41)));
    expect((await store.readResults(key, minutes(10), minutes(11))).groups[0].revised).toBe(true);
  });

  it('refuses a point without a snapshot or beyond the progress, changing nothing', async () => {
    const key = 'job-rewind';
    const before = await rowCounts(key);
    const noSnapshot = await failure(store.rewind(key, minutes(13)));
    expect(noSnapshot.kind).toBe('state_conflict');
    expect(noSnapshot.message).toContain('no snapshot was kept at that time');
    expect((await failure(store.rewind(key, minutes(500)))).message).toContain('it has processed only until');
    expect(await rowCounts(key)).toEqual(before);
  });
});

describe('reset, delete and retention', () => {
  it('resetJob forgets results and progress but keeps the definition; deleteJob removes everything', async () => {
    const key = 'job-reset';
    await store.ensureJob(key, { k: key });
    await store.commitChunk(key, chunkFor(minutes(0), minutes(10)));
    await store.setJobError(key, 'boom');
    await store.resetJob(key);
    expect(await rowCounts(key)).toEqual({ buckets: 0, records: 0, groups: 0, snapshots: 0 });
    expect(await store.getJob(key)).toMatchObject({
      definition: { k: key },
      status: 'created',
      processedUntil: null,
      idWatermark: null,
      lastError: null,
    });
    await store.commitChunk(key, chunkFor(minutes(0), minutes(10)));
    expect(await store.deleteJob(key)).toBe(true);
    expect(await store.deleteJob(key)).toBe(false);
    expect(await store.getJob(key)).toBeUndefined();
    expect(await rowCounts(key)).toEqual({ buckets: 0, records: 0, groups: 0, snapshots: 0 });
  });

  it("retention deletes results and snapshots older than the days before each job's progress, keeping the latest snapshot", async () => {
    const day = 24 * 60;
    const old = 'job-retention-old';
    const recent = 'job-retention-recent';
    await store.ensureJob(old, { k: old });
    await store.ensureJob(recent, { k: recent });
    // `old`: 3 days of hourly chunks of 10 buckets; `recent`: 10 buckets only.
    for (let d = 0; d < 3 * day; d += 60) {
      await store.commitChunk(old, chunkFor(minutes(d), minutes(d + 10)));
    }
    await store.commitChunk(recent, chunkFor(minutes(0), minutes(10)));
    const before = await rowCounts(recent);

    const removed = await store.applyRetention(1);
    const cutoff = minutes(3 * day - 60 + 10) - day * SPAN_MS;
    const kept = await store.readResults(old, START, FAR);
    expect(kept.buckets.length).toBeGreaterThan(0);
    expect(kept.buckets.every((b) => b.time >= cutoff)).toBe(true);
    expect(kept.records.every((r) => r.time >= cutoff)).toBe(true);
    expect(kept.groups.every((g) => g.end >= cutoff)).toBe(true);
    const snaps = await store.listSnapshots(old);
    expect(snaps.every((s) => s.until >= cutoff)).toBe(true);
    expect(removed.buckets).toBe(3 * 24 * 10 - kept.buckets.length);
    expect(removed.snapshots).toBe(3 * 24 - snaps.length);
    expect(await rowCounts(recent)).toEqual(before);

    // Even a retention shorter than one chunk keeps the snapshot to resume from.
    await store.applyRetention(0.0001);
    expect((await store.listSnapshots(old)).map((s) => s.until)).toEqual([minutes(3 * day - 60 + 10)]);
    expect((await failure(store.applyRetention(0))).kind).toBe('state_invalid');
  });
});
