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
import { Params, filtersSql, predicateSql, successSql } from './filters.ts';
import type { JobField } from './jobPushdown.ts';
import { partitionLayout, partitionsIn, type PartitionLayout } from './partitions.ts';
import { run, type Statement } from './query.ts';

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

/** A timestamptz bound in the time column's own type, so the time index serves each group's range. */
function inColumnTime(time: ColumnInfo, timestamptz: string): string {
  return time.timeKind === 'timestamptz' ? timestamptz : `(${timestamptz} AT TIME ZONE 'UTC')`;
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
  const bound = (x: string) => inColumnTime(time, x);
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
  const layout =
    spans.length <= MAX_PER_LEAF_SPANS ? await partitionLayout(pool, t, time, 'anomaly group ids') : undefined;
  const statement = layout ? perLeafStatement(plan, spans, layout) : { text, values: params.values };
  const res = await run<{ n: number; min_id: string; max_id: string; requests: string; successful: string }>(
    pool,
    statement,
    { table: `${t.schema}.${t.name}`, operation: 'anomaly group ids', filters: true },
  );
  const out: GroupSpanStats[] = spans.map(() => ({ minId: null, maxId: null, requests: 0, successful: 0 }));
  for (const r of res.rows) {
    out[r.n] = { minId: r.min_id, maxId: r.max_id, requests: Number(r.requests), successful: Number(r.successful) };
  }
  return out;
}

/** Past this many groups the per-leaf statement (a subquery per group and leaf) is not worth its size. */
const MAX_PER_LEAF_SPANS = 1000;

/**
 * The same statistics on a table range-partitioned by time, as a UNION ALL of one aggregate per (group, leaf
 * the group's span reaches), each over one leaf with the group's value and span as plain conditions: an
 * aggregate postgres_fdw ships whole to a foreign leaf's server, where the join above would pull the rows of
 * the groups' spans to the coordinator. The group's value compares as text ("" also matching null), as above.
 * `HAVING count(*) > 0` drops a leaf's empty answer and, as in partitionPushdown.ts, is what makes shipping the
 * aggregate the planner's cheaper plan (to it, fetching the few rows of a span costs the same).
 */
function perLeafStatement(plan: GroupStatsPlan, spans: readonly GroupSpan[], layout: PartitionLayout): Statement {
  const t = plan.table;
  const time = tableColumn(t, plan.timeColumn, 'time');
  const id = columnRef(tableColumn(t, plan.idColumn, 'id'));
  const params = new Params();
  const where = filtersSql(t, plan.filters, params);
  const predicate = plan.successRule ? predicateSql(t, plan.successRule, params, 'success rule') : undefined;
  // Forms postgres_fdw deparses (no IS TRUE, no coalesce): a FILTER counts only rows where the rule is true.
  const successful = predicate ? `count(*) FILTER (WHERE ${predicate})` : 'count(*)';
  const field = plan.field.kind === 'column' ? columnRef(tableColumn(t, plan.field.column, 'by')) : undefined;
  const matches = (value: string): string => {
    if (!field) {
      // The derived field: 'true' where the success rule holds, 'false' elsewhere (null included).
      return value === 'true'
        ? `(${predicate})`
        : value === 'false'
          ? `(NOT (${predicate}) OR (${predicate}) IS NULL)`
          : 'FALSE';
    }
    const text = `${field}::text = ${params.typed(value, 'text')}`;
    return value === '' ? `(${field} IS NULL OR ${text})` : text;
  };
  const bound = (iso: string) => inColumnTime(time, params.typed(iso, 'timestamptz'));
  const parts: string[] = [];
  spans.forEach((span, n) => {
    const leaves = partitionsIn(layout, span.from.getTime(), span.to.getTime());
    if (leaves.length === 0) {
      return;
    }
    const cond = [
      `${columnRef(time)} >= ${bound(span.from.toISOString())}`,
      `${columnRef(time)} < ${bound(span.to.toISOString())}`,
      matches(span.value),
      where,
    ].join(' AND ');
    for (const leaf of leaves) {
      parts.push(
        `(SELECT ${n}::int4 AS n, min(${id}) AS lo, max(${id}) AS hi, count(*) AS requests, ${successful} AS ok` +
          ` FROM ONLY ${leaf.qualified} AS t WHERE ${cond} HAVING count(*) > 0)`,
      );
    }
  });
  if (parts.length === 0) {
    return { text: 'SELECT NULL::int4 AS n WHERE FALSE', values: [] };
  }
  const text = [
    'SELECT g.n, min(g.lo)::text AS min_id, max(g.hi)::text AS max_id,',
    '       sum(g.requests)::int8 AS requests, sum(g.ok)::int8 AS successful',
    `  FROM (${parts.join('\n        UNION ALL ')}) AS g`,
    ' GROUP BY g.n',
  ].join('\n');
  return { text, values: params.values };
}
