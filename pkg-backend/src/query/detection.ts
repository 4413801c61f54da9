/**
 * Runs one detector over a log table: streams the pushdown aggregate, chunk by chunk, from the first row of
 * the table (the model needs the history before `from`) up to `to`, feeds the engine, and keeps what falls inside [from, to).
 * The engine sees aggregates only, never raw rows. A DetectionRun can be advanced later and cloned, which is
 * what incremental.ts builds on.
 */
import type pg from 'pg';
import { MAX_BUCKETS } from '../../../common/limits.ts';
import { Detector } from '../engine/detector.ts';
import { GroupTracker, type GroupTrackerState } from '../engine/groups.ts';
import type { AnomalyGroup, RecordResult } from '../engine/types.ts';
import { EventLoopSlice } from '../runtime/eventLoop.ts';
import { StoreError, timeExtent } from '../store/index.ts';
import { chunkedBuckets, feedBucket, type BucketSummary } from './bucketFeed.ts';
import {
  defineDetector,
  describeDetector,
  detectorSpec,
  pushdownPlan,
  type DetectorDefinition,
  type DetectorDescription,
} from './definition.ts';
import { detectorKey } from './detectorKey.ts';
import { detectorMemory, type ModelMemory } from './modelMemory.ts';
import { PackedRecords } from './packedRecords.ts';
import { QueryError } from './queryError.ts';
import type { DetectorRequest, TimeWindow } from './request.ts';

export type { BucketSummary };

export interface DetectionResult {
  detector: DetectorDescription;
  definition: DetectorDefinition;
  from: Date;
  to: Date;
  /** Every bucket of the range, empty ones included (score 0), unless the range has too many to list. */
  buckets: BucketSummary[];
  records: RecordResult[];
  /** Groups overlapping the range, each reported whole. */
  groups: AnomalyGroup[];
  stats: { historyFrom: Date | null; bucketsProcessed: number; tuples: number; rows: number };
  /** Set while the model is near or at its memory limit (soft_limit or hard_limit); the frames then warn. */
  memory?: ModelMemory;
}

/** Empty buckets are listed with score 0 only up to this many, so a long range at a short span stays small. */
const MAX_FILLED_BUCKETS = 50_000;

/** A definition with its key, description and the extent of its data: everything needed to run it any number of times. */
export interface PreparedDetection {
  definition: DetectorDefinition;
  key: string;
  describe: DetectorDescription;
  /** First and last time of the (filtered) data; null when there is none. */
  dataFrom: Date | null;
  dataTo: Date | null;
  /** The datasource's limit (undefined: the engine's default); outside the definition, so not in the key. */
  modelMemoryLimitBytes?: number;
}

export async function prepareDetection(pool: pg.Pool, request: DetectorRequest): Promise<PreparedDetection> {
  const definition = await defineDetector(pool, request);
  // Also the first statement to compile the filters, so a bad one is refused before any aggregate runs.
  const extent = await timeExtent(pool, {
    table: definition.table,
    timeColumn: definition.timeColumn,
    filters: definition.filters,
  });
  const key = detectorKey(definition);
  return {
    definition,
    key,
    describe: describeDetector(definition, key),
    dataFrom: extent.from,
    dataTo: extent.to,
    modelMemoryLimitBytes: request.modelMemoryLimitBytes,
  };
}

/** The range a request asks for, defaulting to all the data, checked against the bucket limit. */
export function resolveRange(prepared: PreparedDetection, window: TimeWindow) {
  const { spanMs, bucketSpan } = prepared.definition;
  return historyRange({ from: prepared.dataFrom, to: prepared.dataTo }, window, spanMs, bucketSpan);
}

/**
 * The requested range over data spanning `data` (defaults: all of it), and where its history starts: the
 * first row's bucket, since a score needs everything before it. Checked against the bucket limit, history
 * included. Detectors and jobs alike.
 */
export function historyRange(
  data: { from: Date | null; to: Date | null },
  window: TimeWindow,
  spanMs: number,
  bucketSpan: string,
): { from: Date; to: Date; historyFrom: number } {
  const to = window.to ?? (data.to ? new Date(data.to.getTime() + 1) : new Date());
  const from = window.from ?? data.from ?? to;
  if (from.getTime() > to.getTime()) {
    throw new QueryError(`from ${from.toISOString()} is after to ${to.toISOString()}`, 'from', from.toISOString());
  }
  const earliest = data.from && data.from < from ? data.from : from;
  const historyFrom = alignDown(earliest.getTime(), spanMs);
  const bucketCount = Math.ceil((to.getTime() - historyFrom) / spanMs);
  if (bucketCount > MAX_BUCKETS) {
    throw new StoreError(
      'range_too_large',
      `the range ${new Date(historyFrom).toISOString()} – ${to.toISOString()} (history included) is ${bucketCount.toLocaleString('en')} buckets of ${bucketSpan}; the limit is ${MAX_BUCKETS.toLocaleString('en')} — use a larger bucket span or a shorter range`,
      { field: 'bucketSpan', value: bucketSpan },
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
  records = new PackedRecords();
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
    this.detector = new Detector(detectorSpec(prepared.definition, prepared.modelMemoryLimitBytes), state?.detector);
    this.tracker = state
      ? GroupTracker.fromJSON(state.tracker)
      : new GroupTracker({
          detectorKey: prepared.key,
          bucketSpanMs: prepared.definition.spanMs,
          threshold: prepared.definition.groupThreshold,
          population: prepared.definition.overColumn !== null,
        });
  }

  /** Feeds the buckets of [processedUntil, until) from PostgreSQL. */
  async advance(pool: pg.Pool, until: number, signal?: AbortSignal): Promise<void> {
    if (until <= this.processedUntil) {
      return;
    }
    const plan = pushdownPlan(this.prepared.definition, new Date(this.processedUntil), new Date(until));
    for await (const input of chunkedBuckets(pool, plan, this.prepared.definition.spanMs, signal)) {
      this.bucketsProcessed++;
      this.tuples += input.tuples.length;
      feedBucket(this.detector, this.tracker, input, this);
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
    copy.records = this.records.clone();
    copy.bucketsProcessed = this.bucketsProcessed;
    copy.tuples = this.tuples;
    return copy;
  }

  /**
   * The results of [from, to): the bucket containing `from` is included, as Elastic's bucket results are.
   * Records are unpacked slice by slice with turns of the event loop between, so tens of thousands of them
   * (44 000 at 10 M rows × 1 M addresses) hold up neither health checks and cancels nor, under bun, the
   * collector's pacer.
   */
  async snapshot(from: Date, to: Date): Promise<DetectionResult> {
    const spanMs = this.prepared.definition.spanMs;
    const lo = alignDown(from.getTime(), spanMs);
    const hi = to.getTime();
    const inRange = (t: number) => t >= lo && t < hi;
    const withData = this.buckets.filter((b) => inRange(b.time));
    let rows = 0;
    for (const b of withData) {
      rows += b.eventCount;
    }
    const records: RecordResult[] = [];
    const slice = new EventLoopSlice();
    for (const part of this.records.slicesInRange(lo, hi)) {
      for (const record of part) {
        records.push(record);
      }
      await slice.maybeYield();
    }
    return {
      detector: this.prepared.describe,
      definition: this.prepared.definition,
      from,
      to,
      buckets: this.fillEmpty(withData, lo, hi),
      records,
      groups: this.tracker.groups().filter((g) => g.end > lo && g.start < hi),
      stats: {
        historyFrom: this.prepared.dataFrom,
        bucketsProcessed: this.bucketsProcessed,
        tuples: this.tuples,
        rows,
      },
      memory: detectorMemory(this.detector),
    };
  }

  private fillEmpty(withData: BucketSummary[], lo: number, hi: number): BucketSummary[] {
    const end = Math.min(hi, this.processedUntil);
    return fillEmptyBuckets(withData, lo, end, this.prepared.definition.spanMs, (t) => this.detector.isLearning(t));
  }
}

/**
 * Elastic writes a result for every bucket; buckets of [lo, end) without data score 0. `withData` is in time
 * order. Persisted jobs (jobs/results.ts) fill the same way, so both paths give the same frames.
 */
export function fillEmptyBuckets(
  withData: BucketSummary[],
  lo: number,
  end: number,
  spanMs: number,
  isLearning: (t: number) => boolean,
): BucketSummary[] {
  if ((end - lo) / spanMs > MAX_FILLED_BUCKETS) {
    return withData;
  }
  const out: BucketSummary[] = [];
  let i = 0;
  for (let t = lo; t < end; t += spanMs) {
    if (i < withData.length && withData[i].time === t) {
      out.push(withData[i++]);
    } else {
      out.push({ time: t, rawScore: 0, score: 0, learning: isLearning(t), eventCount: 0 });
    }
  }
  return out;
}

export async function runDetection(
  pool: pg.Pool,
  request: DetectorRequest,
  window: TimeWindow = {},
  signal?: AbortSignal,
): Promise<DetectionResult> {
  const prepared = await prepareDetection(pool, request);
  const { from, to, historyFrom } = resolveRange(prepared, window);
  const run = new DetectionRun(prepared, historyFrom);
  await run.advance(pool, to.getTime(), signal);
  return await run.snapshot(from, to);
}
