/** The one way the store runs a statement: errors come back as StoreErrors that name the target. */
import type pg from 'pg';
import { connectionTarget } from './connection.ts';
import { toStoreError, type ErrorContext } from './errors.ts';

export interface Statement {
  text: string;
  values: unknown[];
}

export function errorContext(pool: pg.Pool, ctx: ErrorContext = {}): ErrorContext {
  const t = connectionTarget(pool);
  return {
    host: t.host,
    port: t.port,
    database: t.database,
    user: t.user,
    statementTimeoutMs: t.statementTimeoutMs,
    ...ctx,
  };
}

export async function run<R extends pg.QueryResultRow = pg.QueryResultRow>(
  pool: pg.Pool | pg.PoolClient,
  statement: Statement,
  ctx: ErrorContext = {},
  options: { rowMode?: 'array'; pool?: pg.Pool } = {},
): Promise<pg.QueryResult<R>> {
  try {
    if (options.rowMode === 'array') {
      return (await pool.query({
        text: statement.text,
        values: statement.values,
        rowMode: 'array',
      })) as unknown as pg.QueryResult<R>;
    }
    return await pool.query<R>({ text: statement.text, values: statement.values });
  } catch (err) {
    const target = options.pool ?? (isPool(pool) ? pool : undefined);
    throw toStoreError(err, target ? errorContext(target, ctx) : ctx);
  }
}

function isPool(x: pg.Pool | pg.PoolClient): x is pg.Pool {
  return typeof (x as pg.Pool).totalCount === 'number';
}

/** A round trip to the server: proves the connection settings and credentials work. */
export async function ping(pool: pg.Pool): Promise<void> {
  await run(pool, { text: 'SELECT 1', values: [] }, { operation: 'connection check' });
}
