/**
 * The pushdown aggregate: PostgreSQL turns raw log rows into (bucket, by, over) counts in one GROUP BY;
 * pushdownStream.ts streams it chunk by chunk.
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
 * The aggregate's rows, fetched as arrays (no object per row): by, over, and the group's numbers in one text
 * field, "bucket count successful min_id max_id" (bucket start in epoch ms). Every field of a row costs the
 * client a protocol field and a string; folding the five numbers into one halves the time node spends reading
 * the result, which is most of what detection adds to the aggregate. Ids stay text: bigserial can pass 2^53.
 */
export type PushdownRow = [string, string | null, string];

/** The numbers of a row's third field. */
export interface PushdownStats {
  bucket: number;
  count: number;
  successful: number;
  minId: string;
  maxId: string;
}

/** Reads a decimal integer of `text` from `from` up to the next space (or the end); sign allowed. */
function integerAt(text: string, from: number, end: number): number {
  let i = from;
  const negative = text.charCodeAt(i) === 45; // '-'
  if (negative) {
    i++;
  }
  let n = 0;
  for (; i < end; i++) {
    n = n * 10 + (text.charCodeAt(i) - 48);
  }
  return negative ? -n : n;
}

/** Splits "bucket count successful min_id max_id" without an intermediate array or number strings. */
export function parseStats(text: string): PushdownStats {
  const a = text.indexOf(' ');
  const b = text.indexOf(' ', a + 1);
  const c = text.indexOf(' ', b + 1);
  const d = text.indexOf(' ', c + 1);
  if (c < 0 || d < c) {
    throw new Error(`pushdown row "${text}" does not hold five numbers`);
  }
  return {
    bucket: integerAt(text, 0, a),
    count: integerAt(text, a + 1, b),
    successful: integerAt(text, b + 1, c),
    minId: text.slice(c + 1, d),
    maxId: text.slice(d + 1),
  };
}

/** The span and range of a pushdown (single or job): a whole number of ms, from ≤ to, within MAX_BUCKETS. */
export function checkSpanAndRange(plan: Pick<PushdownPlan, 'bucketSpanSeconds' | 'from' | 'to'>): void {
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
export function groupKey(col: ColumnInfo): string {
  return col.category === 'text' ? `${columnRef(col)}::text COLLATE "C"` : columnRef(col);
}

/** The aggregate as one statement; `$n` values only, identifiers from the catalogue. */
export function pushdownSql(plan: PushdownPlan): Statement {
  checkSpanAndRange(plan);
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
  const successful = success ? `count(*) FILTER (WHERE ${success})` : 'count(*)';
  const text = [
    `SELECT (${byKey})::text AS by, ${overKey ? `(${overKey})::text` : 'NULL::text'} AS over,`,
    `       round(date_part('epoch', ${bucket}) * 1000)::int8 || ' ' || count(*) || ' ' || ${successful}`,
    `         || ' ' || min(${columnRef(id)}) || ' ' || max(${columnRef(id)}) AS stats`,
    `  FROM ${t.qualified} AS t`,
    ` WHERE ${range}`,
    `   AND ${columnRef(by)} IS NOT NULL${over ? ` AND ${columnRef(over)} IS NOT NULL` : ''}`,
    `   AND ${where}`,
    ` GROUP BY ${keys}`,
    ` ORDER BY ${keys}`,
  ].join('\n');
  return { text, values: params.values };
}
