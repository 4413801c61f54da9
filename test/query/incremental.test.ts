import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDatabase } from '../setup/databases.ts';
import type { RarityQuery } from '../../common/queryModel.ts';
import { runDetection } from '../../pkg-backend/src/query/detection.ts';
import { IncrementalDetections } from '../../pkg-backend/src/query/incremental.ts';
import { detectorRequest, type DetectorRequest, type TimeWindow } from '../../pkg-backend/src/query/request.ts';

let pool: pg.Pool;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;

/** One request a minute from a few IPs; a rare state now and then. */
async function insertHours(fromHour: number, toHour: number) {
  await pool.query(
    `INSERT INTO logs (ts, ip, state)
     SELECT to_timestamp($1::float8 / 1000) + g * interval '1 minute',
            '10.0.0.' || (g % 7),
            CASE WHEN g % 997 = 500 THEN 9 WHEN g % 53 = 0 THEN 2 ELSE 1 END
       FROM generate_series(0, $2 - 1) g`,
    [T0 + fromHour * HOUR, (toHour - fromHour) * 60],
  );
}

/** A detector over `logs` and a results window, as runDetection and IncrementalDetections.detect take them. */
const request = (from: number, to: number, extra: Partial<RarityQuery> = {}): [DetectorRequest, TimeWindow] => [
  detectorRequest(
    { function: 'rare', byField: 'state', overField: 'ip', bucketSpan: '10m', ...extra },
    { table: 'public.logs', timeColumn: 'ts', idColumn: 'id' },
  ),
  { from: new Date(from), to: new Date(to) },
];

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await createDatabase('rarity_incremental') });
  await pool.query('CREATE TABLE logs (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, ip text, state int)');
  await insertHours(0, 48);
});
afterAll(() => pool.end());

describe('incremental detection', () => {
  it('gives the same results as a full run, for ranges inside and at the end of the data', async () => {
    const now = T0 + 48 * HOUR + 30 * 60_000;
    const inc = new IncrementalDetections({ now: () => now });
    for (const [from, to] of [
      [T0 + 20 * HOUR, T0 + 30 * HOUR],
      [T0 + 40 * HOUR, T0 + 48 * HOUR - 5 * 60_000], // ends inside a bucket
      [T0, T0 + 48 * HOUR],
      [T0 + 10 * HOUR, T0 + 12 * HOUR],
    ]) {
      const full = await runDetection(pool, ...request(from, to));
      const got = await inc.detect(pool, 'ds', ...request(from, to));
      expect({ ...got, stats: undefined }).toEqual({ ...full, stats: undefined });
    }
    expect(inc.size).toBe(1);
  });

  it('processes only new buckets when data grows, and still matches a full run', async () => {
    let now = T0 + 48 * HOUR + 30 * 60_000;
    const inc = new IncrementalDetections({ now: () => now });
    const first = await inc.detect(pool, 'ds', ...request(T0 + 44 * HOUR, T0 + 48 * HOUR));
    await insertHours(48, 52);
    now = T0 + 52 * HOUR + 30 * 60_000;
    const second = await inc.detect(pool, 'ds', ...request(T0 + 48 * HOUR, T0 + 52 * HOUR));
    const full = await runDetection(pool, ...request(T0 + 48 * HOUR, T0 + 52 * HOUR));
    expect({ ...second, stats: undefined }).toEqual({ ...full, stats: undefined });
    // 24 new ten-minute buckets, not the 312 of the whole history again.
    expect(second.stats.bucketsProcessed - first.stats.bucketsProcessed).toBe(24);
    expect(full.stats.bucketsProcessed).toBe(312);
  });

  it('notices rows appended later but dated before the checkpoint, and starts again', async () => {
    const now = T0 + 52 * HOUR + 30 * 60_000;
    const inc = new IncrementalDetections({ now: () => now });
    const range = request(T0 + 10 * HOUR, T0 + 11 * HOUR);
    const before = await inc.detect(pool, 'ds', ...range);
    await pool.query(
      `INSERT INTO logs (ts, ip, state) SELECT to_timestamp($1::float8 / 1000), '10.0.0.1', 77 FROM generate_series(1, 3)`,
      [T0 + 10 * HOUR + 60_000],
    );
    try {
      const after = await inc.detect(pool, 'ds', ...range);
      expect(after.stats.rows).toBe(before.stats.rows + 3);
      const full = await runDetection(pool, ...range);
      expect({ ...after, stats: undefined }).toEqual({ ...full, stats: undefined });
    } finally {
      await pool.query('DELETE FROM logs WHERE state = 77');
    }
  });

  it('serialises concurrent requests on one detector', async () => {
    const now = T0 + 52 * HOUR + 30 * 60_000;
    const inc = new IncrementalDetections({ now: () => now });
    const ranges = [
      [T0, T0 + 52 * HOUR],
      [T0 + 30 * HOUR, T0 + 31 * HOUR],
      [T0 + 51 * HOUR, T0 + 52 * HOUR],
    ];
    const results = await Promise.all(ranges.map(([f, t]) => inc.detect(pool, 'ds', ...request(f, t))));
    const expected = await Promise.all(ranges.map(([f, t]) => runDetection(pool, ...request(f, t))));
    expect(results.map((r) => ({ ...r, stats: undefined }))).toEqual(expected.map((r) => ({ ...r, stats: undefined })));
  });

  it('keeps detectors apart by definition and scope, and evicts the least recently used', async () => {
    const now = T0 + 52 * HOUR;
    const inc = new IncrementalDetections({ now: () => now, maxEntries: 2 });
    await inc.detect(pool, 'a', ...request(T0, T0 + HOUR));
    await inc.detect(pool, 'b', ...request(T0, T0 + HOUR));
    await inc.detect(pool, 'a', ...request(T0, T0 + HOUR, { bucketSpan: '5m' }));
    expect(inc.size).toBe(2);
  });

  it('lists empty buckets with score 0 so a time series has no gaps', async () => {
    const r = await runDetection(pool, ...request(T0 + 60 * HOUR, T0 + 61 * HOUR));
    expect(r.buckets).toHaveLength(6);
    expect(r.buckets.every((b) => b.eventCount === 0 && b.score === 0)).toBe(true);
  });
});
