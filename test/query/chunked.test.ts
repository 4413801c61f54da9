/**
 * The chunked, prefetching pushdown against the single statement: the same bucket inputs, and detection over
 * many small chunks gives the same records, groups and bucket scores as over one chunk.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runDetection } from '../../pkg-backend/src/query/detection.ts';
import { detectorRequest } from '../../pkg-backend/src/query/request.ts';
import { describeTable, resolveColumn, streamBuckets, streamChunks } from '../../pkg-backend/src/store/index.ts';
import type { BucketInput } from '../../pkg-backend/src/engine/types.ts';
import { createDatabase } from '../setup/databases.ts';

let pool: pg.Pool;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const SPAN_MS = 600_000;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await createDatabase('rarity_chunked') });
  await pool.query('CREATE TABLE logs (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, ip text, state int)');
  // Two days, one request a minute from many addresses, rare states now and then, and a quiet stretch.
  await pool.query(
    `INSERT INTO logs (ts, ip, state)
     SELECT to_timestamp($1::float8 / 1000) + g * interval '1 minute', '10.0.' || (g % 5) || '.' || (g % 37),
            CASE WHEN g % 997 = 500 THEN 9 WHEN g % 53 = 0 THEN 2 ELSE 1 END
       FROM generate_series(0, 2879) g WHERE g NOT BETWEEN 1500 AND 1700`,
    [T0],
  );
});
afterAll(() => pool.end());
afterEach(() => {
  delete process.env.RARITY_JOB_CHUNK_BUCKETS;
});

async function plan() {
  const table = await describeTable(pool, 'public.logs');
  return {
    table,
    timeColumn: resolveColumn(table, 'ts', 'time'),
    idColumn: resolveColumn(table, 'id', 'id'),
    byColumn: resolveColumn(table, 'state', 'by'),
    overColumn: resolveColumn(table, 'ip', 'over'),
    bucketSpanSeconds: SPAN_MS / 1000,
    from: new Date(T0),
    to: new Date(T0 + 2 * 86_400_000),
  };
}

describe('chunked pushdown', () => {
  it('yields exactly the single statement’s buckets, with a chunk end after each chunk', async () => {
    const p = await plan();
    const single: BucketInput[] = [];
    for await (const b of streamBuckets(pool, p)) {
      single.push(b);
    }
    for (const prefetch of [0, 1, 3]) {
      const chunked: BucketInput[] = [];
      const ends: Array<[number, number]> = [];
      for await (const e of streamChunks(pool, p, {
        chunkEnd: (from) => from + 7 * SPAN_MS,
        prefetch,
        bufferRows: 13,
      })) {
        if (e.kind === 'bucket') {
          chunked.push(e.input);
        } else {
          ends.push([e.from, e.to]);
        }
      }
      expect(chunked).toEqual(single);
      // Consecutive, bucket-aligned chunks covering the range, the empty stretch included.
      expect(ends[0][0]).toBe(T0);
      expect(ends.at(-1)![1]).toBe(p.to.getTime());
      expect(ends.every(([from, to], i) => to - from <= 7 * SPAN_MS && (i === 0 || from === ends[i - 1][1]))).toBe(
        true,
      );
    }
    expect(pool.totalCount).toBe(pool.idleCount);
  });

  it('an early stop gives every client back to the pool once its statement has answered', async () => {
    const p = await plan();
    let seen = 0;
    for await (const e of streamChunks(pool, p, { chunkEnd: (from) => from + 5 * SPAN_MS, prefetch: 2 })) {
      if (e.kind === 'bucket' && ++seen === 3) {
        break;
      }
    }
    await expect.poll(() => pool.totalCount === pool.idleCount).toBe(true);
    await pool.query('SELECT 1');
  });

  it('gives detection identical records, groups and bucket scores over small chunks and one chunk', async () => {
    for (const [fn, over] of [
      ['rare', undefined],
      ['rare', 'ip'],
      ['freq_rare', 'ip'],
    ] as const) {
      const request = detectorRequest(
        { function: fn, byField: 'state', overField: over, bucketSpan: '10m' },
        { table: 'public.logs', timeColumn: 'ts', idColumn: 'id' },
      );
      process.env.RARITY_JOB_CHUNK_BUCKETS = '100000';
      const whole = await runDetection(pool, request);
      process.env.RARITY_JOB_CHUNK_BUCKETS = '3';
      const chunked = await runDetection(pool, request);
      expect(chunked.records.length).toBeGreaterThan(0);
      expect({ ...chunked, stats: undefined }).toEqual({ ...whole, stats: undefined });
    }
  });
});
