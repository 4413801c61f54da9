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

/** Rows in the table, its first time and its comment (the ip shape), or null when it does not exist. */
async function contents(
  pool: pg.Pool,
  tableSql: string,
): Promise<{ rows: number; first: Date | null; comment: string | null } | null> {
  const exists = await pool.query<{ comment: string | null; exists: boolean }>(
    `SELECT to_regclass($1) IS NOT NULL AS exists, obj_description(to_regclass($1), 'pg_class') AS comment`,
    [tableSql],
  );
  if (!exists.rows[0].exists) {
    return null;
  }
  const n = await pool.query<{ n: string; first: Date | null }>(
    `SELECT count(*) AS n, min(ts) AS first FROM ${tableSql}`,
  );
  return { rows: Number(n.rows[0].n), first: n.rows[0].first, comment: exists.rows[0].comment };
}

/** Every address 10.a.b.c can stand for one over entity: 2^24 of them. */
export const BENCH_MAX_DISTINCT_OVER = 16_777_216;
/**
 * Odd prime above any distinctOver: g ↦ (g − 1) × it mod N permutes each run of N consecutive rows, so N rows
 * or more hold exactly N addresses, in an order unrelated to the state and key (those come from hashint4).
 */
const OVER_STRIDE = 2_654_435_761;

/** The ip expression: ≈1 757 addresses by default (the demo's shape), else exactly min(rows, N). */
function ipExpression(distinctOver: number | undefined): string {
  if (distinctOver === undefined) {
    return `'10.' || (h % 7) || '.' || (h % 251) || '.0'`;
  }
  const k = `(((g - 1)::int8 * ${OVER_STRIDE}) % ${distinctOver})`;
  return `'10.' || (${k} / 65536) || '.' || (${k} / 256 % 256) || '.' || (${k} % 256)`;
}

/** The table comment naming a non-default ip shape; null for the default, so older tables still match. */
function shapeComment(distinctOver: number | undefined): string | null {
  return distinctOver === undefined ? null : `rarity bench table: ${distinctOver} distinct ip`;
}

function checkDistinctOver(distinctOver: number | undefined): void {
  if (
    distinctOver !== undefined &&
    (!Number.isInteger(distinctOver) || distinctOver < 1 || distinctOver > BENCH_MAX_DISTINCT_OVER)
  ) {
    throw new Error(
      `distinctOver ${distinctOver} must be a whole number of ip addresses from 1 to ${BENCH_MAX_DISTINCT_OVER}`,
    );
  }
}

/** One row per g, content derived from hashint4(g): the same expressions for the table and appended buckets. */
const generatedColumns = (distinctOver?: number) => `${ipExpression(distinctOver)},
            'K-' || (h % 400),
            1 + (h % 5),
            CASE WHEN h % 1000 < 960 THEN 1 WHEN h % 1000 < 990 THEN 2 WHEN h % 1000 < 999 THEN 3 ELSE 4 END,
            md5((h % 900)::text),
            (ARRAY['US','DE','SE','GB','FR','IN','BR','JP','NL','PL'])[1 + h % 10]`;

/**
 * Leaves `rows` generated rows over the 30 days from `start` (default 2026-01-01) in `table`, with
 * `distinctOver` ip addresses when given (else the demo's ≈1 757). A table of that size, start and ip shape is
 * kept as is, after removing what appendBenchRows added past its 30 days.
 */
export async function ensureBenchTable(
  pool: pg.Pool,
  table: string,
  rows: number,
  options: { start?: Date; distinctOver?: number } = {},
): Promise<void> {
  checkDistinctOver(options.distinctOver);
  const q = qualifiedName(table);
  const start = options.start ?? BENCH_TABLE_START;
  const comment = shapeComment(options.distinctOver);
  if ((await contents(pool, q.sql)) !== null) {
    await trimBenchTable(pool, table, { start });
  }
  const now = await contents(pool, q.sql);
  // The first generated row sits 30 days / rows after the start.
  const first = start.getTime() + (BENCH_TABLE_DAYS * DAY_MS) / rows;
  if (now?.rows === rows && now.first && Math.abs(now.first.getTime() - first) < 1000 && now.comment === comment) {
    return;
  }
  await createLogTable(pool, table, { drop: true, index: false });
  await pool.query(
    `INSERT INTO ${q.sql} (ts, ip, key, product, state, machine_code, country)
     SELECT $2::timestamptz + (g::float8 / $1) * ($3 * interval '1 day'),
            ${generatedColumns(options.distinctOver)}
       FROM generate_series(1, $1) AS g, LATERAL (SELECT abs(hashint4(g)) AS h) x`,
    [rows, start.toISOString(), BENCH_TABLE_DAYS],
  );
  if (comment !== null) {
    // COMMENT takes no parameters; the text is digits and letters only.
    await pool.query(`COMMENT ON TABLE ${q.sql} IS '${comment}'`);
  }
  await indexLogTable(pool, table);
  await pool.query(`ANALYZE ${q.sql}`);
}

/**
 * Appends `rows` generated rows spread evenly over [from, to), as new log lines arriving after the table was
 * generated (the jobs benchmark's new bucket), with the default ip shape. Resolves to the number of rows inserted.
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
            ${generatedColumns()}
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
