/**
 * The demo log table's layout and bulk insert, shared by seedDemo, the benchmarks' generated table and tests
 * that need small tables of exactly known content. Table names are parsed strictly and quoted (the table may
 * not exist yet, so it cannot come from the catalogue); every row value is bound.
 */
import type pg from 'pg';
import { StoreError, toStoreError } from './errors.ts';
import { parseTableName, quoteIdent } from './identifiers.ts';

/** The layout's columns in insert order; `id` (bigserial) comes first in the table. */
const WEBLOG_COLUMNS = ['ts', 'ip', 'key', 'product', 'state', 'machine_code', 'country'] as const;

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

/**
 * Creates the weblogs layout (and its schema) if missing; `drop` starts from an empty table. `index: false`
 * leaves the time index to indexLogTable, for a bulk load that is faster without it.
 */
export async function createLogTable(
  db: Queryable,
  name: string,
  options: { drop?: boolean; index?: boolean } = {},
): Promise<string> {
  const q = qualifiedName(name);
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(q.schema)}`);
  if (options.drop) {
    await db.query(`DROP TABLE IF EXISTS ${q.sql}`);
  }
  await db.query(
    `CREATE TABLE IF NOT EXISTS ${q.sql} (
       id bigserial PRIMARY KEY,
       ts timestamptz NOT NULL,
       ip text, key text, product int, state int, machine_code text, country text)`,
  );
  if (options.index !== false) {
    await indexLogTable(db, name);
  }
  return q.sql;
}

export async function indexLogTable(db: Queryable, name: string): Promise<void> {
  const q = qualifiedName(name);
  // Index names are per schema; derive one from the table so two demo tables can coexist.
  const indexName = `${q.table.slice(0, 50)}_ts_idx`;
  await db.query(`CREATE INDEX IF NOT EXISTS ${quoteIdent(indexName)} ON ${q.sql} (ts)`);
}

/** Column-wise arrays for one unnest() insert. */
export interface RowColumns {
  ts: string[];
  ip: Array<string | null>;
  key: Array<string | null>;
  product: Array<number | null>;
  state: Array<number | null>;
  machine_code: Array<string | null>;
  country: Array<string | null>;
}

export function emptyColumns(): RowColumns {
  return { ts: [], ip: [], key: [], product: [], state: [], machine_code: [], country: [] };
}

/** One multi-row INSERT … SELECT FROM unnest(arrays): a handful of parameters however many rows. */
async function insertColumns(db: Queryable, tableSql: string, cols: RowColumns): Promise<number> {
  if (cols.ts.length === 0) {
    return 0;
  }
  const res = await db.query(
    `INSERT INTO ${tableSql} (ts, ip, key, product, state, machine_code, country)
     SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[])`,
    [cols.ts, cols.ip, cols.key, cols.product, cols.state, cols.machine_code, cols.country],
  );
  return res.rowCount ?? 0;
}

/** Inserts rows in the given order (ids follow it). */
export async function insertRows(
  db: Queryable,
  name: string,
  rows: readonly WeblogRow[],
  batchSize = 5000,
): Promise<number> {
  const q = qualifiedName(name);
  let inserted = 0;
  for (let i = 0; i < rows.length; i += batchSize) {
    const cols = emptyColumns();
    for (const r of rows.slice(i, i + batchSize)) {
      const ts = r.ts instanceof Date ? r.ts : new Date(r.ts);
      if (Number.isNaN(ts.getTime())) {
        throw new StoreError('query', `row ${i}: ts "${String(r.ts)}" is not a time`, {
          field: 'ts',
          value: String(r.ts),
        });
      }
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

export type IfTableExists = 'replace' | 'append' | 'error';

/** Refuses a table of another layout and applies `ifExists` to an existing demo table; creates a missing one. */
async function prepareLogTable(client: pg.PoolClient, table: string, ifExists: IfTableExists): Promise<string> {
  const q = qualifiedName(table);
  const existing = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
    [q.schema, q.table],
  );
  if (existing.rowCount) {
    const have = new Set(existing.rows.map((r) => r.column_name));
    const need = ['id', ...WEBLOG_COLUMNS];
    if (!need.every((c) => have.has(c)) || have.size !== need.length) {
      throw new StoreError(
        'query',
        `table ${table} exists but is not a demo log table (columns ${[...have].join(', ')}); choose another table name`,
        { field: 'table', value: table },
      );
    }
    if (ifExists === 'error') {
      const n = await client.query(`SELECT 1 FROM ${q.sql} LIMIT 1`);
      if (n.rowCount) {
        throw new StoreError(
          'query',
          `table ${table} already holds rows; seed another table or pass ifExists 'replace'`,
          { field: 'table', value: table },
        );
      }
    }
    if (ifExists === 'replace') {
      await client.query(`TRUNCATE ${q.sql} RESTART IDENTITY`);
    }
  }
  return createLogTable(client, table);
}

/** Writes one batch of rows; resolves to the number inserted. */
export type InsertBatch = (cols: RowColumns) => Promise<number>;

/**
 * Bulk-loads a demo log table in one transaction: `fill` produces the rows through `insert`, and the table is
 * analysed after the commit so the planner knows its size. On any failure nothing of the load remains.
 */
export async function loadLogTable<T>(
  pool: pg.Pool,
  options: { table: string; ifExists: IfTableExists; operation: string },
  fill: (insert: InsertBatch) => Promise<T>,
): Promise<T> {
  const { table, operation } = options;
  const client = await pool.connect().catch((err: unknown) => {
    throw toStoreError(err, { table, operation });
  });
  let failed: unknown;
  try {
    await client.query('BEGIN');
    // A bulk load of throw-away demo rows: losing the last commit on a crash costs nothing.
    await client.query('SET LOCAL synchronous_commit = off');
    const tableSql = await prepareLogTable(client, table, options.ifExists);
    const result = await fill((cols) => insertColumns(client, tableSql, cols));
    await client.query('COMMIT');
    await client.query(`ANALYZE ${tableSql}`);
    return result;
  } catch (err) {
    failed = err;
    await client.query('ROLLBACK').catch(() => undefined);
    throw toStoreError(err, { table, operation });
  } finally {
    client.release(failed instanceof Error && !(failed instanceof StoreError) ? failed : undefined);
  }
}
