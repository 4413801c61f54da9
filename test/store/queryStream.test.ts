import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { QueryStream } from '../../pkg-backend/src/store/pushdownStream.ts';
import { testPool } from './helpers.ts';

/** pg's own 'row' events of the last statement streamed: none when rows are handed over without its parsers. */
let rowEvents = 0;

/** The rows a statement streams, as QueryStream hands them over; rejects with the statement's failure. */
async function streamed(pool: pg.Pool, text: string, values: unknown[] = []): Promise<unknown[][]> {
  rowEvents = 0;
  const client = await pool.connect();
  try {
    return await new Promise<unknown[][]>((resolve, reject) => {
      const rows: unknown[][] = [];
      const query = new QueryStream<unknown[]>(
        { text, values },
        { row: (row) => rows.push(row), end: () => resolve(rows), error: reject },
      );
      query.on('row', () => rowEvents++);
      client.query(query as never);
    });
  } finally {
    client.release();
  }
}

describe('QueryStream', () => {
  let pool: pg.Pool;

  beforeAll(() => {
    pool = testPool({ max: 2 });
  });

  afterAll(async () => {
    await pool.end();
  });

  it('hands over all-text rows as arrays of their fields, nulls and non-ASCII text included, as pg reads them', async () => {
    const sql = `SELECT v::text AS a, CASE WHEN v % 2 = 0 THEN NULL ELSE 'é' || v END AS b, '' AS c
      FROM generate_series(1, 2500) AS v ORDER BY v`;
    const rows = await streamed(pool, sql);
    const viaPg = await pool.query({ text: sql, rowMode: 'array' });
    expect(rows).toHaveLength(2500);
    expect(rows).toEqual(viaPg.rows);
    expect(rows[0]).toEqual(['1', 'é1', '']);
    expect(rows[1]).toEqual(['2', null, '']);
    expect(rowEvents).toBe(0);
  });

  it("parses a statement with any non-text column through pg's type parsers", async () => {
    const rows = await streamed(pool, 'SELECT $1::text AS t, 7::int4 AS n, true AS b, NULL::int4 AS z', ['x']);
    expect(rows).toEqual([['x', 7, true, null]]);
    expect(rowEvents).toBe(1);
  });

  it('a column that is text in one result set and not in the next is parsed by each set’s own columns', async () => {
    // A statement without parameters may carry several; each RowDescription decides for the rows after it.
    const rows = await streamed(pool, `SELECT 'a'::text AS t; SELECT 2::int4 AS n; SELECT 'c'::text AS t`);
    expect(rows).toEqual([['a'], [2], ['c']]);
    expect(rowEvents).toBe(1);
  });

  it('reports a statement that fails part way through its rows', async () => {
    await expect(
      streamed(pool, `SELECT (CASE WHEN v < 3000 THEN v ELSE 1 / (v - v) END)::text FROM generate_series(1, 3001) v`),
    ).rejects.toThrow(/division by zero/);
  });
});
