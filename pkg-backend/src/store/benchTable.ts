/**
 * The benchmarks' log table: the demo layout filled by the server itself (generate_series), so even 10 M rows
 * load in seconds. The content is a fixed function of the row number and the start: same row count and
 * start, same table.
 */
import type pg from 'pg';
import { createLogTable, indexLogTable, qualifiedName } from './demoTable.ts';

/** Where the generated 30 days begin when the caller names no start. */
export const BENCH_TABLE_START = new Date('2026-01-01T00:00:00Z');
export const BENCH_TABLE_DAYS = 30;
const DAY_MS = 86_400_000;

/** Rows in the table and its first time, or null when it does not exist. */
async function contents(pool: pg.Pool, tableSql: string): Promise<{ rows: number; first: Date | null } | null> {
  const exists = await pool.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [tableSql]);
  if (!exists.rows[0].exists) {
    return null;
  }
  const n = await pool.query<{ n: string; first: Date | null }>(
    `SELECT count(*) AS n, min(ts) AS first FROM ${tableSql}`,
  );
  return { rows: Number(n.rows[0].n), first: n.rows[0].first };
}

/** One row per g, content derived from hashint4(g): the same expressions for the table and appended buckets. */
const GENERATED_COLUMNS = `'10.' || (h % 7) || '.' || (h % 251) || '.0',
            'K-' || (h % 400),
            1 + (h % 5),
            CASE WHEN h % 1000 < 960 THEN 1 WHEN h % 1000 < 990 THEN 2 WHEN h % 1000 < 999 THEN 3 ELSE 4 END,
            md5((h % 900)::text),
            (ARRAY['US','DE','SE','GB','FR','IN','BR','JP','NL','PL'])[1 + h % 10]`;

/**
 * Leaves `rows` generated rows over the 30 days from `start` (default 2026-01-01) in `table`. A table of that
 * size and start is kept as is, after removing what appendBenchRows added past its 30 days.
 */
export async function ensureBenchTable(
  pool: pg.Pool,
  table: string,
  rows: number,
  options: { start?: Date } = {},
): Promise<void> {
  const q = qualifiedName(table);
  const start = options.start ?? BENCH_TABLE_START;
  if ((await contents(pool, q.sql)) !== null) {
    await trimBenchTable(pool, table, { start });
  }
  const now = await contents(pool, q.sql);
  // The first generated row sits 30 days / rows after the start.
  const first = start.getTime() + (BENCH_TABLE_DAYS * DAY_MS) / rows;
  if (now?.rows === rows && now.first && Math.abs(now.first.getTime() - first) < 1000) {
    return;
  }
  await createLogTable(pool, table, { drop: true, index: false });
  await pool.query(
    `INSERT INTO ${q.sql} (ts, ip, key, product, state, machine_code, country)
     SELECT $2::timestamptz + (g::float8 / $1) * ($3 * interval '1 day'),
            ${GENERATED_COLUMNS}
       FROM generate_series(1, $1) AS g, LATERAL (SELECT abs(hashint4(g)) AS h) x`,
    [rows, start.toISOString(), BENCH_TABLE_DAYS],
  );
  await indexLogTable(pool, table);
  await pool.query(`ANALYZE ${q.sql}`);
}

/**
 * Appends `rows` generated rows spread evenly over [from, to), as new log lines arriving after the table was
 * generated (the jobs benchmark's new bucket). Resolves to the number of rows inserted.
 */
export async function appendBenchRows(
  pool: pg.Pool,
  table: string,
  range: { from: Date; to: Date },
  rows: number,
): Promise<number> {
  const q = qualifiedName(table);
  const res = await pool.query(
    `INSERT INTO ${q.sql} (ts, ip, key, product, state, machine_code, country)
     SELECT $2::timestamptz + ((g - 1)::float8 / $1) * ($3::timestamptz - $2::timestamptz),
            ${GENERATED_COLUMNS}
       FROM generate_series(1, $1) AS g, LATERAL (SELECT abs(hashint4(g)) AS h) x`,
    [rows, range.from.toISOString(), range.to.toISOString()],
  );
  return res.rowCount ?? 0;
}

/** Deletes the rows dated after the table's generated 30 days (appendBenchRows'); resolves to how many. */
export async function trimBenchTable(pool: pg.Pool, table: string, options: { start?: Date } = {}): Promise<number> {
  const q = qualifiedName(table);
  const end = new Date((options.start ?? BENCH_TABLE_START).getTime() + BENCH_TABLE_DAYS * DAY_MS);
  const res = await pool.query(`DELETE FROM ${q.sql} WHERE ts > $1`, [end.toISOString()]);
  return res.rowCount ?? 0;
}
