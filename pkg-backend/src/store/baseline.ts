/**
 * The benchmarks' baseline: the very pushdown aggregate detection streams, sent as one plain statement (so
 * PostgreSQL plans it as it would for any client, in parallel where it pays) and its rows read and dropped as
 * they arrive, without our chunks and engine. "detection / aggregate" then measures what Rarity adds to what
 * PostgreSQL and a client reading the result would do anyway. Rows are not collected: holding 10 M of them
 * cost node a 1.9 GB heap and twice the CPU of reading them, which would flatter detection.
 */
import type pg from 'pg';
import { toStoreError } from './errors.ts';
import { pushdownSql, type PushdownPlan } from './pushdown.ts';
import { QueryStream } from './pushdownStream.ts';
import { errorContext } from './query.ts';
import { tableLabel } from './tableRef.ts';

/** Runs the aggregate once; resolves to the number of (bucket, by, over) rows it returned. */
export async function runBareAggregate(pool: pg.Pool, plan: PushdownPlan): Promise<number> {
  const ctx = errorContext(pool, { table: tableLabel(plan.table), operation: 'bare aggregate baseline' });
  const statement = pushdownSql(plan);
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw toStoreError(err, ctx);
  }
  let failed: Error | undefined;
  try {
    return await new Promise<number>((resolve, reject) => {
      let rows = 0;
      const query = new QueryStream(statement, { row: () => rows++, end: () => resolve(rows), error: reject });
      client.query(query as never);
    });
  } catch (err) {
    failed = err as Error;
    throw toStoreError(err, ctx);
  } finally {
    client.release(failed);
  }
}
