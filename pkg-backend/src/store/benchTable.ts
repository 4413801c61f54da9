/**
 * The benchmarks' log table: the demo layout filled by the server itself (generate_series), so even 10 M rows
 * load in seconds. The content is a fixed function of the row number: same row count, same table.
 */
import type pg from 'pg';
import { createLogTable, indexLogTable, qualifiedName } from './demoTable.ts';

/** Rows in the table, or null when it does not exist. */
async function rowCount(pool: pg.Pool, tableSql: string): Promise<number | null> {
  const exists = await pool.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [tableSql]);
  if (!exists.rows[0].exists) {
    return null;
  }
  const n = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${tableSql}`);
  return Number(n.rows[0].n);
}

/** Leaves `rows` generated rows over 30 days from 2026-01-01 in `table`; a table of that size is kept as is. */
export async function ensureBenchTable(pool: pg.Pool, table: string, rows: number): Promise<void> {
  const q = qualifiedName(table);
  if ((await rowCount(pool, q.sql)) === rows) {
    return;
  }
  await createLogTable(pool, table, { drop: true, index: false });
  await pool.query(
    `INSERT INTO ${q.sql} (ts, ip, key, product, state, machine_code, country)
     SELECT timestamptz '2026-01-01' + (g::float8 / $1) * interval '30 days',
            '10.' || (h % 7) || '.' || (h % 251) || '.0',
            'K-' || (h % 400),
            1 + (h % 5),
            CASE WHEN h % 1000 < 960 THEN 1 WHEN h % 1000 < 990 THEN 2 WHEN h % 1000 < 999 THEN 3 ELSE 4 END,
            md5((h % 900)::text),
            (ARRAY['US','DE','SE','GB','FR','IN','BR','JP','NL','PL'])[1 + h % 10]
       FROM generate_series(1, $1) AS g, LATERAL (SELECT abs(hashint4(g)) AS h) x`,
    [rows],
  );
  await indexLogTable(pool, table);
  await pool.query(`ANALYZE ${q.sql}`);
}
