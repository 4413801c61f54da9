/** What every state statement needs: where to run it and the quoted table names. */
import type pg from 'pg';
import { run, type Statement } from '../query.ts';
import { stateTables, type StateSchema, type StateTables } from './schemaName.ts';

export interface StateContext {
  pool: pg.Pool;
  schema: StateSchema;
  tables: StateTables;
}

export function stateContext(pool: pg.Pool, schema: StateSchema): StateContext {
  return { pool, schema, tables: stateTables(schema) };
}

/** Runs one statement on the pool or on a transaction's client, with errors naming the operation. */
export function exec<R extends pg.QueryResultRow = pg.QueryResultRow>(
  ctx: StateContext,
  on: pg.Pool | pg.PoolClient,
  operation: string,
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  const statement: Statement = { text, values };
  return run<R>(on, statement, { operation: `state store: ${operation}` }, { pool: ctx.pool });
}
