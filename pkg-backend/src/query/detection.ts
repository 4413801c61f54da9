/**
 * Runs one detector over a log table: resolves the request against the catalogue, streams the pushdown
 * aggregate from the first row of the table (the model needs the history before `from`) up to `to`, feeds the
 * engine, and keeps what falls inside [from, to). The engine sees aggregates only, never raw rows.
 * A DetectionRun can be advanced later and cloned, which is what incremental.ts builds on.
 */
import type pg from 'pg';
import type { QueryFilter, SuccessRule } from '../../../src/shared/queryModel.ts';
import { parseDurationMs } from '../../../src/shared/queryModel.ts';
import { Detector } from '../engine/detector.ts';
import { resolveSpec } from '../engine/model/config.ts';
import type { AnomalyGroup, BucketResult, DetectorFunction, DetectorSpec, RecordResult } from '../engine/types.ts';
import { describeTable, resolveColumn } from '../store/catalogue.ts';
import { GroupTracker, type GroupTrackerState } from '../engine/groups.ts';
import { StoreError } from '../store/errors.ts';
import { MAX_BUCKETS, streamBuckets, type PushdownPlan } from '../store/pushdown.ts';
import { timeExtent } from '../store/bounds.ts';
import { detectorKey } from './detectorKey.ts';
import { QueryError } from './errors.ts';

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

export type BucketSummary = Omit<BucketResult, 'records'>;

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
  /** Every bucket of the range, empty ones included (score 0), unless the range has too many to list. */
  buckets: BucketSummary[];
  records: RecordResult[];
  /** Groups overlapping the range, each reported whole. */
  groups: AnomalyGroup[];
  stats: { historyFrom: Date | null; bucketsProcessed: number; tuples: number; rows: number };
}

/** Empty buckets are listed with score 0 only up to this many, so a long range at a short span stays small. */
const MAX_FILLED_BUCKETS = 50_000;

/** A request checked against the catalogue, with everything needed to run it any number of times. */
export interface PreparedDetection {
  spanMs: number;
  spec: DetectorSpec;
  key: string;
  population: boolean;
  plan: Omit<PushdownPlan, 'from' | 'to'>;
  describe: DetectionResult['detector'];
  /** First and last time of the (filtered) data; null when there is none. */
  dataFrom: Date | null;
  dataTo: Date | null;
}

export async function prepareDetection(pool: pg.Pool, request: DetectionRequest): Promise<PreparedDetection> {
  const spanMs = parseBucketSpan(request.bucketSpan);
  const table = await describeTable(pool, request.table);
  const timeColumn = resolveColumn(table, request.timeColumn, 'time');
  const idColumn = resolveColumn(table, request.idColumn, 'id');
  const byColumn = resolveColumn(table, request.byField, 'by');
  const overColumn = request.overField ? resolveColumn(table, request.overField, 'over') : undefined;
  if (request.function === 'freq_rare' && !overColumn) {
    throw new QueryError('freq_rare needs an over field (overField): the population whose requests are compared', 'overField');
  }
  const spec: DetectorSpec = {
    function: request.function,
    byField: byColumn.name,
    overField: overColumn?.name,
    bucketSpanSeconds: spanMs / 1000,
    learningBuckets: request.learningBuckets,
    allowShortLearning: request.allowShortLearning,
    groupThreshold: request.groupThreshold,
  };
  // Validates the spec (learning period, span) before any data is read.
  const { learningBuckets } = resolveSpec(spec);
  const extent = await timeExtent(pool, { table, timeColumn: timeColumn.name, filters: request.filters });
  const key = detectorKey({
    table: table.qualified,
    function: request.function,
    byField: byColumn.name,
    overField: overColumn?.name ?? null,
    bucketSpanMs: spanMs,
    filters: request.filters ?? [],
    successRule: request.successRule ?? null,
    learningBuckets,
    groupThreshold: request.groupThreshold ?? null,
  });
  return {
    spanMs,
    spec,
    key,
    population: overColumn !== undefined,
    plan: {
      table,
      timeColumn: timeColumn.name,
      idColumn: idColumn.name,
      byColumn: byColumn.name,
      overColumn: overColumn?.name,
      bucketSpanSeconds: spanMs / 1000,
      filters: request.filters,
      successRule: request.successRule,
    },
    describe: {
      key,
      table: table.qualified,
      function: request.function,
      byField: byColumn.name,
      overField: overColumn?.name ?? null,
      bucketSpan: request.bucketSpan,
      bucketSpanSeconds: spanMs / 1000,
      learningBuckets,
    },
    dataFrom: extent.from,
    dataTo: extent.to,
  };
}

/** The range a request asks for, defaulting to all the data, checked against the bucket limit. */
export function resolveRange(prepared: PreparedDetection, request: Pick<DetectionRequest, 'from' | 'to' | 'bucketSpan'>) {
  const to = request.to ?? (prepared.dataTo ? new Date(prepared.dataTo.getTime() + 1) : new Date());
  const from = request.from ?? prepared.dataFrom ?? to;
  if (from.getTime() > to.getTime()) {
    throw new QueryError(`from ${from.toISOString()} is after to ${to.toISOString()}`, 'from', from.toISOString());
  }
  const earliest = prepared.dataFrom && prepared.dataFrom < from ? prepared.dataFrom : from;
  const historyFrom = alignDown(earliest.getTime(), prepared.spanMs);
  const bucketCount = Math.ceil((to.getTime() - historyFrom) / prepared.spanMs);
  if (bucketCount > MAX_BUCKETS) {
    throw new StoreError(
      'range_too_large',
      `the range ${new Date(historyFrom).toISOString()} – ${to.toISOString()} (history included) is ${bucketCount.toLocaleString('en')} buckets of ${request.bucketSpan}; the limit is ${MAX_BUCKETS.toLocaleString('en')} — use a larger bucketSpan or a shorter range`,
      { field: 'bucketSpan', value: request.bucketSpan },
    );
  }
  return { from, to, historyFrom };
}

/** Buckets are aligned to the Unix epoch, as the pushdown's date_bin is. */
export function alignDown(ms: number, spanMs: number): number {
  return Math.floor(ms / spanMs) * spanMs;
}

/** A detector with its groups and every result so far; advanced over time, cloned to look ahead. */
export class DetectionRun {
  buckets: BucketSummary[] = [];
  records: RecordResult[] = [];
  bucketsProcessed = 0;
  tuples = 0;
  private detector: Detector;
  private tracker: GroupTracker;

  constructor(
    readonly prepared: PreparedDetection,
    /** Everything before this time (ms) has been processed; starts at the aligned history start. */
    public processedUntil: number,
    readonly historyStart: number = processedUntil,
    state?: { detector: ReturnType<Detector['toJSON']>; tracker: GroupTrackerState },
  ) {
    this.detector = new Detector(prepared.spec, state?.detector);
    this.tracker = state
      ? GroupTracker.fromJSON(state.tracker)
      : new GroupTracker({
          detectorKey: prepared.key,
          bucketSpanMs: prepared.spanMs,
          threshold: this.detector.resolved.groupThreshold,
          population: prepared.population,
        });
  }

  /** Feeds the buckets of [processedUntil, until) from PostgreSQL. */
  async advance(pool: pg.Pool, until: number, signal?: AbortSignal): Promise<void> {
    if (until <= this.processedUntil) return;
    const plan: PushdownPlan = { ...this.prepared.plan, from: new Date(this.processedUntil), to: new Date(until) };
    for await (const input of streamBuckets(pool, plan)) {
      if (signal?.aborted) throw new StoreError('timeout', 'detection was cancelled');
      this.bucketsProcessed++;
      this.tuples += input.tuples.length;
      const result = this.detector.process(input);
      const ids = this.tracker.process(input, result);
      const { records, ...bucket } = result;
      this.buckets.push(bucket);
      for (const r of records) {
        const id = ids.get(r.entity);
        this.records.push(id ? { ...r, groupId: id } : r);
      }
    }
    this.processedUntil = until;
  }

  clone(): DetectionRun {
    const copy = new DetectionRun(this.prepared, this.processedUntil, this.historyStart, {
      // toJSON may share arrays with the live state; the clone must not.
      detector: structuredClone(this.detector.toJSON()),
      tracker: structuredClone(this.tracker.toJSON()),
    });
    copy.buckets = this.buckets.slice();
    copy.records = this.records.slice();
    copy.bucketsProcessed = this.bucketsProcessed;
    copy.tuples = this.tuples;
    return copy;
  }

  /** The results of [from, to): the bucket containing `from` is included, as Elastic's bucket results are. */
  snapshot(from: Date, to: Date): DetectionResult {
    const spanMs = this.prepared.spanMs;
    const lo = alignDown(from.getTime(), spanMs);
    const hi = to.getTime();
    const inRange = (t: number) => t >= lo && t < hi;
    const withData = this.buckets.filter((b) => inRange(b.time));
    let rows = 0;
    for (const b of withData) rows += b.eventCount;
    return {
      detector: this.prepared.describe,
      from,
      to,
      buckets: this.fillEmpty(withData, lo, hi),
      records: this.records.filter((r) => inRange(r.time)),
      groups: this.tracker.groups().filter((g) => g.end > lo && g.start < hi),
      stats: { historyFrom: this.prepared.dataFrom, bucketsProcessed: this.bucketsProcessed, tuples: this.tuples, rows },
    };
  }

  /** Elastic writes a result for every bucket; buckets without data score 0. */
  private fillEmpty(withData: BucketSummary[], lo: number, hi: number): BucketSummary[] {
    const spanMs = this.prepared.spanMs;
    const end = Math.min(hi, this.processedUntil);
    if ((end - lo) / spanMs > MAX_FILLED_BUCKETS) return withData;
    const out: BucketSummary[] = [];
    let i = 0;
    for (let t = lo; t < end; t += spanMs) {
      if (i < withData.length && withData[i].time === t) out.push(withData[i++]);
      else out.push({ time: t, rawScore: 0, score: 0, learning: this.detector.isLearning(t), eventCount: 0 });
    }
    return out;
  }
}

export async function runDetection(pool: pg.Pool, request: DetectionRequest): Promise<DetectionResult> {
  const prepared = await prepareDetection(pool, request);
  const { from, to, historyFrom } = resolveRange(prepared, request);
  const run = new DetectionRun(prepared, historyFrom);
  await run.advance(pool, to.getTime(), request.signal);
  return run.snapshot(from, to);
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
  // PostgreSQL's interval tops out long before a billion days; a year is far beyond any useful span anyway
  // (≥ 20 learning buckets are needed).
  if (!Number.isSafeInteger(ms) || ms > MAX_BUCKET_SPAN_MS) {
    throw new QueryError(`bucketSpan "${text}" is too long; use at most 365d`, 'bucketSpan', text);
  }
  return ms;
}
