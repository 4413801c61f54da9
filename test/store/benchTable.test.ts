/**
 * The benchmarks' generated table: kept when its size, start and ip shape match, regenerated when one differs,
 * and rows appended after its 30 days (the jobs benchmark's new bucket) trimmed back off, so a rerun reuses it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import {
  BENCH_TABLE_DAYS,
  appendBenchRows,
  ensureBenchTable,
  trimBenchTable,
} from '../../pkg-backend/src/store/index.ts';
import { dropSchema, freshSchema, testPool, utc } from './helpers.ts';

const DAY = 86_400_000;

describe('bench table', () => {
  let pool: pg.Pool;
  let schema: string;
  let table: string;

  beforeAll(async () => {
    pool = testPool();
    schema = await freshSchema(pool, 'bench');
    table = `${schema}.logs`;
  });
  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  /** A regenerated table is a new relation: its oid changes. */
  const oid = async () =>
    (await pool.query<{ oid: number }>(`SELECT $1::regclass::oid AS oid`, [`"${schema}".logs`])).rows[0].oid;
  const summary = async () =>
    (
      await pool.query<{ n: string; first: Date; last: Date; max_id: string }>(
        `SELECT count(*) AS n, min(ts) AS first, max(ts) AS last, max(id) AS max_id FROM "${schema}".logs`,
      )
    ).rows[0];

  it('fills 30 days from the given start and keeps a matching table as it is', async () => {
    const start = utc('2026-03-01T00:00:00');
    await ensureBenchTable(pool, table, 2000, { start });
    const first = await summary();
    expect(Number(first.n)).toBe(2000);
    expect(first.first.getTime()).toBe(start.getTime() + (BENCH_TABLE_DAYS * DAY) / 2000);
    expect(first.last.getTime()).toBe(start.getTime() + BENCH_TABLE_DAYS * DAY);

    const before = await oid();
    await ensureBenchTable(pool, table, 2000, { start });
    expect(await oid()).toBe(before);
    expect((await summary()).max_id).toBe('2000');
  });

  it('regenerates when the start differs', async () => {
    const start = utc('2026-04-01T00:00:00');
    const before = await oid();
    await ensureBenchTable(pool, table, 2000, { start });
    expect(await oid()).not.toBe(before);
    const s = await summary();
    expect(Number(s.n)).toBe(2000);
    expect(s.last.getTime()).toBe(start.getTime() + BENCH_TABLE_DAYS * DAY);
  });

  it('appends a bucket after the 30 days and trims it off again', async () => {
    const start = utc('2026-04-01T00:00:00');
    const from = new Date(start.getTime() + BENCH_TABLE_DAYS * DAY + 3_600_000);
    const to = new Date(from.getTime() + 300_000);
    expect(await appendBenchRows(pool, table, { from, to }, 7)).toBe(7);
    const rows = await pool.query<{ ts: Date; state: number; ip: string }>(
      `SELECT ts, state, ip FROM "${schema}".logs WHERE ts >= $1 ORDER BY id`,
      [from],
    );
    expect(rows.rows).toHaveLength(7);
    expect(rows.rows.every((r) => r.ts >= from && r.ts < to && r.ip.startsWith('10.'))).toBe(true);

    expect(await trimBenchTable(pool, table, { start })).toBe(7);
    const before = await oid();
    await ensureBenchTable(pool, table, 2000, { start });
    expect(await oid()).toBe(before);
    const s = await summary();
    expect(Number(s.n)).toBe(2000);
    expect(s.max_id).toBe('2000');
  });

  it('removes leftovers of an interrupted run instead of regenerating', async () => {
    const start = utc('2026-04-01T00:00:00');
    const from = new Date(start.getTime() + BENCH_TABLE_DAYS * DAY + 600_000);
    await appendBenchRows(pool, table, { from, to: new Date(from.getTime() + 300_000) }, 3);
    const before = await oid();
    await ensureBenchTable(pool, table, 2000, { start });
    expect(await oid()).toBe(before);
    const s = await summary();
    expect(Number(s.n)).toBe(2000);
    expect(s.max_id).toBe('2000');
  });

  /** Distinct ip values, and how many of them are not a dotted IPv4 address in 10.0.0.0/8. */
  const ips = async () =>
    (
      await pool.query<{ distinct: string; malformed: string }>(
        `SELECT count(DISTINCT ip) AS distinct,
                count(*) FILTER (WHERE NOT (ip::inet << '10.0.0.0/8' AND host(ip::inet) = ip)) AS malformed
           FROM "${schema}".logs`,
      )
    ).rows[0];

  it('gives ip exactly distinctOver values, and regenerates when that shape changes', async () => {
    const start = utc('2026-04-01T00:00:00');
    const plain = await oid();
    await ensureBenchTable(pool, table, 2000, { start, distinctOver: 300 });
    const shaped = await oid();
    expect(shaped).not.toBe(plain);
    expect(await ips()).toEqual({ distinct: '300', malformed: '0' });

    await ensureBenchTable(pool, table, 2000, { start, distinctOver: 300 });
    expect(await oid()).toBe(shaped);

    // More addresses than rows: every row its own address, spread over the three low octets.
    await ensureBenchTable(pool, table, 2000, { start, distinctOver: 70_000 });
    expect(await oid()).not.toBe(shaped);
    expect(await ips()).toEqual({ distinct: '2000', malformed: '0' });
    const octets = await pool.query<{ n: string }>(
      `SELECT count(DISTINCT split_part(ip, '.', 2)) AS n FROM "${schema}".logs`,
    );
    expect(Number(octets.rows[0].n)).toBe(2);

    const before = await oid();
    await ensureBenchTable(pool, table, 2000, { start });
    expect(await oid()).not.toBe(before);
    const defaultShape = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${schema}".logs WHERE ip NOT LIKE '%.0'`,
    );
    expect(defaultShape.rows[0].n).toBe('0');
  });

  it('keeps the default ip shape and the other columns as they were', async () => {
    const start = utc('2026-04-01T00:00:00');
    await ensureBenchTable(pool, table, 2000, { start });
    const row = async (id: number) =>
      (
        await pool.query(
          `SELECT ts, ip, key, product, state, machine_code, country FROM "${schema}".logs WHERE id = $1`,
          [id],
        )
      ).rows[0] as Record<string, unknown>;
    const plain = await row(17);
    await ensureBenchTable(pool, table, 2000, { start, distinctOver: 50 });
    const shaped = await row(17);
    expect({ ...shaped, ip: undefined }).toEqual({ ...plain, ip: undefined });
    expect(shaped.ip).not.toBe(plain.ip);
    // The default expression, spelled out: existing tables and (b)/(e)'s numbers stay comparable.
    const h = await pool.query<{ ip: string }>(
      `SELECT '10.' || (h % 7) || '.' || (h % 251) || '.0' AS ip FROM (SELECT abs(hashint4(17)) AS h) x`,
    );
    expect(plain.ip).toBe(h.rows[0].ip);
  });

  it('refuses a distinctOver that is not a whole number of addresses in 10.0.0.0/8', async () => {
    await expect(ensureBenchTable(pool, table, 2000, { distinctOver: 0 })).rejects.toThrow(/distinctOver 0/);
    await expect(ensureBenchTable(pool, table, 2000, { distinctOver: 2 ** 24 + 1 })).rejects.toThrow(
      /from 1 to 16777216/,
    );
  });
});
