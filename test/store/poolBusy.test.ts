/**
 * A pool with every client checked out: pg-pool gives up waiting with "timeout exceeded when trying to
 * connect", which used to be reported as a connection failure ("Check Host URL"). The server is fine; the
 * error must say the connections are all in use. Real pool, real server, a client really held.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../pkg-backend/src/store/errors.ts';
import { run } from '../../pkg-backend/src/store/query.ts';
import { errorResponse } from '../../pkg-backend/src/query/errors.ts';
import { testPool } from './helpers.ts';

const pool = testPool({ max: 1, connectTimeoutMs: 200 });
afterAll(() => pool.end());

describe('pool exhausted', () => {
  it('is busy (503, the plugin’s), never a connection problem', async () => {
    const held = await pool.connect();
    try {
      const err = await run(pool, { text: 'SELECT 1', values: [] }, { operation: 'top values' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreError);
      const store = err as StoreError;
      expect(store.kind).toBe('busy');
      expect(store.message).toMatch(
        /^all connections to PostgreSQL at .+ stayed in use \(top values\): too many queries/,
      );
      expect(store.message).not.toMatch(/cannot connect|Check Host URL/);
      expect(errorResponse(store)).toEqual({ error: store.message, status: 503, errorSource: 'plugin' });
    } finally {
      held.release();
    }
    // Once the client is back, the same pool works.
    expect((await run(pool, { text: 'SELECT 1 AS one', values: [] })).rows).toEqual([{ one: 1 }]);
  });
});
