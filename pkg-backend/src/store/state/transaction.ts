/** Transactions of the state store: every multi-statement write commits whole or not at all. */
import type pg from 'pg';
import { toStoreError } from '../errors.ts';
import { errorContext } from '../query.ts';

export interface TransactionOptions {
  /** A consistent view across several reads. */
  isolation?: 'read committed' | 'repeatable read';
  readOnly?: boolean;
}

export async function inTransaction<T>(
  pool: pg.Pool,
  operation: string,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw toStoreError(err, errorContext(pool, { operation }));
  }
  let broken: Error | undefined;
  try {
    const mode = `ISOLATION LEVEL ${(options.isolation ?? 'read committed').toUpperCase()}${options.readOnly ? ' READ ONLY' : ''}`;
    await client.query(`BEGIN ${mode}`);
    try {
      const value = await fn(client);
      await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => {
        broken = rollbackErr;
      });
      throw err;
    }
  } catch (err) {
    throw toStoreError(err, errorContext(pool, { operation }));
  } finally {
    client.release(broken);
  }
}
