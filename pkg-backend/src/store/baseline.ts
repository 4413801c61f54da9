/**
 * The benchmarks' baseline: the very pushdown aggregate detection streams, read whole in one round trip
 * without our cursor and engine, so "detection / aggregate" measures what Rarity adds to what PostgreSQL
 * would do anyway.
 */
import type pg from 'pg';
import { pushdownSql, type PushdownPlan } from './pushdown.ts';
import { run } from './query.ts';
import { tableLabel } from './tableRef.ts';

/** Runs the aggregate once; resolves to the number of (bucket, by, over) rows it returned. */
export async function runBareAggregate(pool: pg.Pool, plan: PushdownPlan): Promise<number> {
  const result = await run(
    pool,
    pushdownSql(plan),
    {
      table: tableLabel(plan.table),
      operation: 'bare aggregate baseline',
    },
    { rowMode: 'array' },
  );
  return result.rowCount ?? 0;
}
