/**
 * The demo log table's layout and bulk insert, shared by seedDemo and by tests that need small tables of
 * exactly known content. Table names are parsed strictly and quoted (the table may not exist yet, so it
 * cannot come from the catalogue).
 */
import type pg from 'pg';
import { StoreError } from '../store/errors.ts';
import { parseTableName, quoteIdent } from '../store/identifiers.ts';

export const WEBLOG_COLUMNS = ['ts', 'ip', 'key', 'product', 'state', 'machine_code', 'country'] as const;

export interface WeblogRow {
  ts: Date | string;
  ip?: string | null;
  key?: string | null;
  product?: number | null;
  state?: number | null;
  machine_code?: string | null;
  country?: string | null;
}

type Queryable = pg.Pool | pg.PoolClient;

/** Quoted, schema-qualified name for a table that may not exist yet (public when no schema is given). */
export function qualifiedName(name: string): { schema: string; table: string; sql: string } {
  const parsed = parseTableName(name);
  const schema = parsed.schema ?? 'public';
  return { schema, table: parsed.name, sql: `${quoteIdent(schema)}.${quoteIdent(parsed.name)}` };
}

/** Creates the weblogs layout (and its schema) if missing; `drop` starts from an empty table. */
export async function createLogTable(db: Queryable, name: string, options: { drop?: boolean } = {}): Promise<string> {
  const q = qualifiedName(name);
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(q.schema)}`);
  if (options.drop) await db.query(`DROP TABLE IF EXISTS ${q.sql}`);
  await db.query(
    `CREATE TABLE IF NOT EXISTS ${q.sql} (
       id bigserial PRIMARY KEY,
       ts timestamptz NOT NULL,
       ip text, key text, product int, state int, machine_code text, country text)`,
  );
  // Index names are per schema; derive one from the table so two demo tables can coexist.
  const indexName = `${q.table.slice(0, 50)}_ts_idx`;
  await db.query(`CREATE INDEX IF NOT EXISTS ${quoteIdent(indexName)} ON ${q.sql} (ts)`);
  return q.sql;
}

/** Column-wise arrays for one unnest() insert. */
export interface RowColumns {
  ts: string[];
  ip: (string | null)[];
  key: (string | null)[];
  product: (number | null)[];
  state: (number | null)[];
  machine_code: (string | null)[];
  country: (string | null)[];
}

export function emptyColumns(): RowColumns {
  return { ts: [], ip: [], key: [], product: [], state: [], machine_code: [], country: [] };
}

/** One multi-row INSERT … SELECT FROM unnest(arrays): a handful of parameters however many rows. */
export async function insertColumns(db: Queryable, tableSql: string, cols: RowColumns): Promise<number> {
  if (cols.ts.length === 0) return 0;
  const res = await db.query(
    `INSERT INTO ${tableSql} (ts, ip, key, product, state, machine_code, country)
     SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[])`,
    [cols.ts, cols.ip, cols.key, cols.product, cols.state, cols.machine_code, cols.country],
  );
  return res.rowCount ?? 0;
}

/** Inserts rows in the given order (ids follow it). */
export async function insertRows(db: Queryable, name: string, rows: readonly WeblogRow[], batchSize = 5000): Promise<number> {
  const q = qualifiedName(name);
  let inserted = 0;
  for (let i = 0; i < rows.length; i += batchSize) {
    const cols = emptyColumns();
    for (const r of rows.slice(i, i + batchSize)) {
      const ts = r.ts instanceof Date ? r.ts : new Date(r.ts);
      if (Number.isNaN(ts.getTime())) throw new StoreError('query', `row ${i}: ts "${String(r.ts)}" is not a time`, { field: 'ts', value: String(r.ts) });
      cols.ts.push(ts.toISOString());
      cols.ip.push(r.ip ?? null);
      cols.key.push(r.key ?? null);
      cols.product.push(r.product ?? null);
      cols.state.push(r.state ?? null);
      cols.machine_code.push(r.machine_code ?? null);
      cols.country.push(r.country ?? null);
    }
    inserted += await insertColumns(db, q.sql, cols);
  }
  return inserted;
}
