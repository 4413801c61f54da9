/**
 * The pushdown aggregate: PostgreSQL turns raw log rows into (bucket, by, over) counts in one GROUP BY, and
 * we stream the result with a cursor so memory stays flat however long the range is.
 *
 * Null handling: rows whose by value (or, with an over field, over value) is null are skipped, as Elastic
 * skips documents that lack the by/over field. Buckets are aligned to the Unix epoch (date_bin origin), so
 * the same span gives the same bucket boundaries in every run and every range.
 * Without a success rule every row counts as successful (nothing is known to have failed).
 */
import type pg from 'pg';
import Cursor from 'pg-cursor';
import { MAX_BUCKETS } from '../../../common/limits.ts';
import type { QueryFilter, SuccessRule } from '../../../common/queryModel.ts';
import type { BucketInput, BucketTuple } from '../engine/types.ts';
import { columnRef, tableColumn, type ColumnInfo, type TableInfo } from './catalogue.ts';
import { StoreError, toStoreError } from './errors.ts';
import { Params, filtersSql, successSql } from './filters.ts';
import { errorContext, type Statement } from './query.ts';
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

const DEFAULT_BATCH_SIZE = 5000;

/** Column order of the aggregate's rows. */
interface PushdownRow {
  bucket: Date;
  by: string;
  over: string | null;
  count: string;
  min_id: string;
  max_id: string;
  successful: string;
}

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
  const overSel = over ? `${columnRef(over)}::text` : 'NULL::text';
  const text = [
    `SELECT date_bin(${span}, ${asTimestamptz(time)}, ${origin}) AS bucket,`,
    `       ${columnRef(by)}::text AS by, ${overSel} AS over,`,
    `       count(*)::text AS count, min(${columnRef(id)})::text AS min_id, max(${columnRef(id)})::text AS max_id,`,
    `       ${success ? `(count(*) FILTER (WHERE ${success}))::text` : 'count(*)::text'} AS successful`,
    `  FROM ${t.qualified} AS t`,
    ` WHERE ${range}`,
    `   AND ${columnRef(by)} IS NOT NULL${over ? ` AND ${columnRef(over)} IS NOT NULL` : ''}`,
    `   AND ${where}`,
    ` GROUP BY 1, 2${over ? ', 3' : ''}`,
    ` ORDER BY 1, 2${over ? ', 3' : ''}`,
  ].join('\n');
  return { text, values: params.values };
}

function toTuple(row: PushdownRow): BucketTuple {
  return {
    by: row.by,
    over: row.over,
    count: Number(row.count),
    successful: Number(row.successful),
    minId: BigInt(row.min_id),
    maxId: BigInt(row.max_id),
  };
}

export interface StreamOptions {
  /** Rows fetched per round trip; default 5000. */
  batchSize?: number;
  /** Observes each fetch (tests use it to prove the result is not buffered whole). */
  onBatch?: (rows: number) => void;
}

/**
 * Yields one BucketInput per non-empty bucket, in time order. The pooled client is released when the
 * consumer finishes, stops early (return()) or an error occurs; on error the client is destroyed rather
 * than reused, since its protocol state is unknown.
 */
export async function* streamBuckets(
  pool: pg.Pool,
  plan: PushdownPlan,
  options: StreamOptions = {},
): AsyncGenerator<BucketInput> {
  const statement = pushdownSql(plan);
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
  const ctx = errorContext(pool, {
    table: `${plan.table.schema}.${plan.table.name}`,
    operation: 'pushdown aggregate',
    filters: true,
  });
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw toStoreError(err, ctx);
  }
  let failed: Error | undefined;
  const cursor = client.query(new Cursor<PushdownRow>(statement.text, statement.values));
  try {
    let current: BucketInput | undefined;
    for (;;) {
      let rows: PushdownRow[];
      try {
        rows = await cursor.read(batchSize);
      } catch (err) {
        failed = err as Error;
        throw toStoreError(err, ctx);
      }
      options.onBatch?.(rows.length);
      for (const row of rows) {
        const start = row.bucket.getTime();
        if (!current || current.start !== start) {
          if (current) {
            yield current;
          }
          current = { start, tuples: [] };
        }
        current.tuples.push(toTuple(row));
      }
      if (rows.length < batchSize) {
        break;
      }
    }
    if (current) {
      yield current;
    }
  } finally {
    if (!failed) {
      try {
        await cursor.close();
      } catch (err) {
        failed = err as Error;
      }
    }
    client.release(failed ?? false);
  }
}
