/**
 * The detector every benchmark section measures — freq_rare by state over ip in 5-minute buckets, a request
 * successful when state = 1 — as a panel's query and as the pushdown plan its bare aggregate baseline runs.
 */
import { resolveColumn, type PushdownPlan, type TableInfo } from '../pkg-backend/src/store/index.ts';

export const BENCH_SUCCESS_RULE = { field: 'state', op: '=', value: '1' } as const;
export const BENCH_SPAN_SECONDS = 300;
export const BENCH_SCORES_QUERY = {
  refId: 'A',
  queryType: 'scores',
  function: 'freq_rare',
  byField: 'state',
  overField: 'ip',
  bucketSpan: '5m',
} as const;

/** The plan of that detector's aggregate over [from, to) of a table in the demo layout. */
export function benchPlan(table: TableInfo, from: Date, to: Date): PushdownPlan {
  return {
    table,
    timeColumn: resolveColumn(table, 'ts', 'time'),
    idColumn: resolveColumn(table, 'id', 'id'),
    byColumn: resolveColumn(table, 'state', 'by'),
    overColumn: resolveColumn(table, 'ip', 'over'),
    bucketSpanSeconds: BENCH_SPAN_SECONDS,
    from,
    to,
    successRule: BENCH_SUCCESS_RULE,
  };
}
