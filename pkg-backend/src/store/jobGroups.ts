/**
 * What a job's anomaly groups cover, counted exactly: per group (a value of the group field over a time
 * span), the smallest and largest log id of that value's rows (Starting At / Ending At), and how many of them
 * there are and succeeded. The pushdown's tuples cannot give this, as they only reach the records of
 * anomalous entities; one statement answers for every group of a result.
 */
import type pg from 'pg';
import type { QueryFilter, SuccessRule } from '../../../common/queryModel.ts';
import { columnRef, tableColumn, type ColumnInfo, type TableInfo } from './catalogue.ts';
import { StoreError } from './errors.ts';
import { Params, filtersSql, successSql } from './filters.ts';
import type { JobField } from './jobPushdown.ts';
import { run } from './query.ts';

export interface GroupSpan {
  /** The group field's value as text; "" also matches rows where the field is null, as a partition does. */
  value: string;
  from: Date;
  to: Date;
}

export interface GroupSpanStats {
  /** Decimal text (bigserial can pass 2^53); null when no row matched. */
  minId: string | null;
  maxId: string | null;
  requests: number;
  successful: number;
}

export interface GroupStatsPlan {
  table: TableInfo;
  timeColumn: ColumnInfo;
  idColumn: ColumnInfo;
  field: JobField;
  filters?: QueryFilter[];
  successRule?: SuccessRule;
}

/** One entry per span, in order. */
export async function groupSpanStats(
  pool: pg.Pool,
  plan: GroupStatsPlan,
  spans: readonly GroupSpan[],
): Promise<GroupSpanStats[]> {
  if (spans.length === 0) {
    return [];
  }
  const t = plan.table;
  const time = tableColumn(t, plan.timeColumn, 'time');
  const id = tableColumn(t, plan.idColumn, 'id');
  const params = new Params();
  const n = params.typed(
    spans.map((_, i) => i),
    'int4[]',
  );
  const v = params.typed(
    spans.map((s) => s.value),
    'text[]',
  );
  const lo = params.typed(
    spans.map((s) => s.from.toISOString()),
    'timestamptz[]',
  );
  const hi = params.typed(
    spans.map((s) => s.to.toISOString()),
    'timestamptz[]',
  );
  const where = filtersSql(t, plan.filters, params);
  const success = successSql(t, plan.successRule, params);
  let value: string;
  if (plan.field.kind === 'successful') {
    if (!success) {
      throw new StoreError('column_missing', 'field "successful" needs a success rule, and none is set', {
        field: 'groupField',
        value: 'successful',
      });
    }
    value = `CASE WHEN ${success} THEN 'true' ELSE 'false' END`;
  } else {
    value = `${columnRef(tableColumn(t, plan.field.column, 'by'))}::text`;
  }
  // Bounds in the column's own type, so the time index serves each group's range.
  const bound = (x: string) => (time.timeKind === 'timestamptz' ? x : `(${x} AT TIME ZONE 'UTC')`);
  const text = [
    `SELECT g.n, min(${columnRef(id)})::text AS min_id, max(${columnRef(id)})::text AS max_id,`,
    `       count(*)::int8 AS requests, ${success ? `count(*) FILTER (WHERE ${success})` : 'count(*)'}::int8 AS successful`,
    `  FROM unnest(${n}, ${v}, ${lo}, ${hi}) AS g(n, v, lo, hi)`,
    `  JOIN ${t.qualified} AS t`,
    `    ON ${columnRef(time)} >= ${bound('g.lo')} AND ${columnRef(time)} < ${bound('g.hi')}`,
    `   AND coalesce(${value}, '') = g.v`,
    ` WHERE ${where}`,
    ` GROUP BY g.n`,
  ].join('\n');
  const res = await run<{ n: number; min_id: string; max_id: string; requests: string; successful: string }>(
    pool,
    { text, values: params.values },
    { table: `${t.schema}.${t.name}`, operation: 'anomaly group ids', filters: true },
  );
  const out: GroupSpanStats[] = spans.map(() => ({ minId: null, maxId: null, requests: 0, successful: 0 }));
  for (const r of res.rows) {
    out[r.n] = { minId: r.min_id, maxId: r.max_id, requests: Number(r.requests), successful: Number(r.successful) };
  }
  return out;
}
