/**
 * Runs one detector over a log table: resolves the request against the catalogue, streams the pushdown
 * aggregate from the first row of the table (the model needs the history before `from`) up to `to`, feeds the
 * engine, and keeps what falls inside [from, to). The engine sees aggregates only, never raw rows.
 */
import type pg from 'pg';
import type { QueryFilter, SuccessRule } from '../../../src/shared/queryModel.ts';
import { parseDurationMs } from '../../../src/shared/queryModel.ts';
import { Detector } from '../engine/detector.ts';
import { GroupTracker } from '../engine/groups.ts';
import type { AnomalyGroup, BucketResult, DetectorFunction, RecordResult } from '../engine/types.ts';
import { describeTable, resolveColumn } from '../store/catalogue.ts';
import { StoreError } from '../store/errors.ts';
import { streamBuckets, type PushdownPlan } from '../store/pushdown.ts';
import { tableBounds } from '../store/bounds.ts';
import { detectorKey } from './detectorKey.ts';
import { QueryError } from './errors.ts';

/** Refuse plans whose bucket count would make even an empty scan of the range unreasonable. */
export const MAX_BUCKETS = 1_000_000;
/** Longest accepted bucket span (365 days). */
export const MAX_BUCKET_SPAN_MS = 365 * 86_400_000;

export interface DetectionRequest {
  table: string;
  timeColumn: string;
  idColumn: string;
  function: DetectorFunction;
  byField: string;
  overField?: string;
  bucketSpan: string;
  /** Results window; defaults to the whole table. History before `from` is always read for learning. */
  from?: Date;
  to?: Date;
  filters?: QueryFilter[];
  successRule?: SuccessRule;
  learningBuckets?: number;
  allowShortLearning?: boolean;
  groupThreshold?: number;
  signal?: AbortSignal;
}

export interface DetectionResult {
  detector: {
    key: string;
    table: string;
    function: DetectorFunction;
    byField: string;
    overField: string | null;
    bucketSpan: string;
    bucketSpanSeconds: number;
    learningBuckets: number;
  };
  from: Date;
  to: Date;
  buckets: Omit<BucketResult, 'records'>[];
  records: RecordResult[];
  groups: AnomalyGroup[];
  stats: { historyFrom: Date | null; bucketsProcessed: number; tuples: number; rows: number; executedQuery: string };
}

export async function runDetection(pool: pg.Pool, request: DetectionRequest): Promise<DetectionResult> {
  const spanMs = parseBucketSpan(request.bucketSpan);
  const table = await describeTable(pool, request.table);
  const timeColumn = resolveColumn(table, request.timeColumn, 'time');
  const idColumn = resolveColumn(table, request.idColumn, 'id');
  const byColumn = resolveColumn(table, request.byField, 'by');
  const overColumn = request.overField ? resolveColumn(table, request.overField, 'over') : undefined;
  if (request.function === 'freq_rare' && !overColumn) {
    throw new QueryError('freq_rare needs an over field (overField): the population whose requests are compared', 'overField');
  }
  const detector = new Detector({
    function: request.function,
    byField: byColumn.name,
    overField: overColumn?.name,
    bucketSpanSeconds: spanMs / 1000,
    learningBuckets: request.learningBuckets,
    allowShortLearning: request.allowShortLearning,
    groupThreshold: request.groupThreshold,
  });

  const bounds = await tableBounds(pool, { table, timeColumn: timeColumn.name, filters: request.filters });
  const to = request.to ?? (bounds.to ? new Date(bounds.to.getTime() + 1) : new Date());
  const from = request.from ?? bounds.from ?? to;
  if (from.getTime() > to.getTime()) {
    throw new QueryError(`from ${from.toISOString()} is after to ${to.toISOString()}`, 'from', from.toISOString());
  }
  const historyFrom = bounds.from && bounds.from < from ? bounds.from : from;
  const bucketCount = Math.ceil((to.getTime() - historyFrom.getTime()) / spanMs);
  if (bucketCount > MAX_BUCKETS) {
    throw new StoreError(
      'range_too_large',
      `the range ${historyFrom.toISOString()} – ${to.toISOString()} (history included) is ${bucketCount.toLocaleString('en')} buckets of ${request.bucketSpan}; the limit is ${MAX_BUCKETS.toLocaleString('en')} — use a larger bucketSpan or a shorter range`,
      { field: 'bucketSpan', value: request.bucketSpan },
    );
  }

  const key = detectorKey({
    table: table.qualified,
    function: request.function,
    byField: byColumn.name,
    overField: overColumn?.name ?? null,
    bucketSpanMs: spanMs,
    filters: request.filters ?? [],
    successRule: request.successRule ?? null,
  });
  const groups = new GroupTracker({
    detectorKey: key,
    bucketSpanMs: spanMs,
    threshold: detector.resolved.groupThreshold,
    population: overColumn !== undefined,
  });

  const plan: PushdownPlan = {
    table,
    timeColumn: timeColumn.name,
    idColumn: idColumn.name,
    byColumn: byColumn.name,
    overColumn: overColumn?.name,
    bucketSpanSeconds: spanMs / 1000,
    from: historyFrom,
    to,
    filters: request.filters,
    successRule: request.successRule,
  };

  const buckets: Omit<BucketResult, 'records'>[] = [];
  const records: RecordResult[] = [];
  let bucketsProcessed = 0;
  let tuples = 0;
  let rows = 0;
  for await (const input of streamBuckets(pool, plan)) {
    if (request.signal?.aborted) throw new StoreError('timeout', 'detection was cancelled');
    bucketsProcessed++;
    tuples += input.tuples.length;
    const result = detector.process(input);
    const ids = groups.process(input, result);
    if (input.start + spanMs <= from.getTime()) continue;
    rows += result.eventCount;
    const { records: bucketRecords, ...bucket } = result;
    buckets.push(bucket);
    for (const r of bucketRecords) {
      const id = ids.get(r.entity);
      records.push(id ? { ...r, groupId: id } : r);
    }
  }

  return {
    detector: {
      key,
      table: table.qualified,
      function: request.function,
      byField: byColumn.name,
      overField: overColumn?.name ?? null,
      bucketSpan: request.bucketSpan,
      bucketSpanSeconds: spanMs / 1000,
      learningBuckets: detector.resolved.learningBuckets,
    },
    from,
    to,
    buckets,
    records,
    groups: groups.groups().filter((g) => g.end > from.getTime() && g.start < to.getTime()),
    stats: { historyFrom: bounds.from, bucketsProcessed, tuples, rows, executedQuery: '' },
  };
}

function parseBucketSpan(text: string): number {
  let ms: number;
  try {
    ms = parseDurationMs(text);
  } catch (e) {
    throw new QueryError((e as Error).message, 'bucketSpan', text);
  }
  if (ms < 1000 || ms % 1000 !== 0) {
    throw new QueryError(`bucketSpan "${text}" must be a whole number of seconds, at least 1s`, 'bucketSpan', text);
  }
  // Without an upper bound "999999999d" passed every check (one bucket) and failed in PostgreSQL as
  // "interval out of range" (500). A year is far beyond any useful span (≥ 20 learning buckets are needed).
  if (!Number.isSafeInteger(ms) || ms > MAX_BUCKET_SPAN_MS) {
    throw new QueryError(`bucketSpan "${text}" is too long; use at most 365d`, 'bucketSpan', text);
  }
  return ms;
}
