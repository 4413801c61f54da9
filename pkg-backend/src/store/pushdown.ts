/**
 * The pushdown aggregate: PostgreSQL turns raw log rows into (bucket, by, over) counts in one GROUP BY;
 * pushdownStream.ts streams it chunk by chunk with cursors.
 *
 * Null handling: rows whose by value (or, with an over field, over value) is null are skipped, as Elastic
 * skips documents that lack the by/over field. Buckets are aligned to the Unix epoch (date_bin origin), so
 * the same span gives the same bucket boundaries in every run and every range.
 * Without a success rule every row counts as successful (nothing is known to have failed).
 */
import { MAX_BUCKETS } from '../../../common/limits.ts';
import type { QueryFilter, SuccessRule } from '../../../common/queryModel.ts';
import { columnRef, tableColumn, type ColumnInfo, type TableInfo } from './catalogue.ts';
import { StoreError } from './errors.ts';
import { Params, filtersSql, successSql } from './filters.ts';
import type { Statement } from './query.ts';
import { asTimestamptz, checkDate, rangeSql } from './timeRange.ts';

/** What to aggregate, with every column already resolved against `table` (the query layer's definition). */
export interface PushdownPlan {
  table: TableInfo;
  timeColumn: ColumnInfo;
  idColumn: ColumnInfo;
  byColumn: ColumnInfo;
  overColumn?: ColumnInfo;
  bucketSpanSeconds: number;
  from: Date;
  to: Date;
  filters?: QueryFilter[];
  successRule?: SuccessRule;
}

/**
 * The aggregate's rows, fetched as arrays (no object per row): bucket start in epoch ms (a float8, so no
 * timestamp parsing), by, over, count, min id, max id, successful. Ids stay text: bigserial can pass 2^53.
 */
export type PushdownRow = [number, string, string | null, string, string, string, string];

function checkPlan(plan: PushdownPlan): void {
  const span = plan.bucketSpanSeconds;
  if (!Number.isFinite(span) || span <= 0 || Math.round(span * 1000) !== span * 1000) {
    throw new StoreError('query', `bucketSpanSeconds ${span} must be a positive number of seconds`, {
      field: 'bucketSpan',
      value: String(span),
    });
  }
  const from = checkDate(plan.from, 'from').getTime();
  const to = checkDate(plan.to, 'to').getTime();
  if (to < from) {
    throw new StoreError(
      'query',
      `time range ends (${plan.to.toISOString()}) before it starts (${plan.from.toISOString()})`,
      {
        field: 'to',
        value: plan.to.toISOString(),
      },
    );
  }
  // The query layer refuses such ranges up front, history included, in the user's words; this is the backstop.
  const buckets = (to - from) / (span * 1000);
  if (buckets > MAX_BUCKETS) {
    throw new StoreError(
      'range_too_large',
      `the range ${plan.from.toISOString()} – ${plan.to.toISOString()} holds ${Math.ceil(buckets)} buckets of ${span} s; ` +
        `at most ${MAX_BUCKETS} are allowed. Use a larger bucket span or a shorter range.`,
      { field: 'bucketSpan', value: String(span) },
    );
  }
}

/**
 * What a by or over column is grouped and ordered by. Text is grouped as text under the "C" collation: the
 * same groups as its text form, and sorting by bytes instead of the locale's rules (strcoll) roughly halves the
 * sort. Other categorical types group by their own value, an integer or enum comparison rather than a text one;
 * their text form is computed once per group. The order within a bucket only has to be the same in every run.
 */
function groupKey(col: ColumnInfo): string {
  return col.category === 'text' ? `${columnRef(col)}::text COLLATE "C"` : columnRef(col);
}

/** The aggregate as one statement; `$n` values only, identifiers from the catalogue. */
export function pushdownSql(plan: PushdownPlan): Statement {
  checkPlan(plan);
  const t = plan.table;
  const time = tableColumn(t, plan.timeColumn, 'time');
  const id = tableColumn(t, plan.idColumn, 'id');
  const by = tableColumn(t, plan.byColumn, 'by');
  const over = plan.overColumn ? tableColumn(t, plan.overColumn, 'over') : undefined;
  const params = new Params();
  const span = params.typed(`${plan.bucketSpanSeconds} seconds`, 'interval');
  const origin = params.typed('1970-01-01T00:00:00Z', 'timestamptz');
  const range = rangeSql(time, plan.from, plan.to, params);
  const where = filtersSql(t, plan.filters, params);
  const success = successSql(t, plan.successRule, params);
  const byKey = groupKey(by);
  const overKey = over ? groupKey(over) : undefined;
  // Grouped by the date_bin itself; the epoch conversion runs once per group, not once per row. date_part
  // is float8 arithmetic, where extract would compute in numeric.
  const bucket = `date_bin(${span}, ${asTimestamptz(time)}, ${origin})`;
  const keys = [bucket, byKey, ...(overKey ? [overKey] : [])].join(', ');
  const text = [
    `SELECT round(date_part('epoch', ${bucket}) * 1000) AS bucket,`,
    `       (${byKey})::text AS by, ${overKey ? `(${overKey})::text` : 'NULL::text'} AS over,`,
    `       count(*)::text AS count, min(${columnRef(id)})::text AS min_id, max(${columnRef(id)})::text AS max_id,`,
    `       ${success ? `(count(*) FILTER (WHERE ${success}))::text` : 'count(*)::text'} AS successful`,
    `  FROM ${t.qualified} AS t`,
    ` WHERE ${range}`,
    `   AND ${columnRef(by)} IS NOT NULL${over ? ` AND ${columnRef(over)} IS NOT NULL` : ''}`,
    `   AND ${where}`,
    ` GROUP BY ${keys}`,
    ` ORDER BY ${keys}`,
  ].join('\n');
  return { text, values: params.values };
}
