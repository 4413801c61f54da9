/**
 * Feeding one bucket of aggregates to a detector and its group tracker: the step that in-process runs
 * (DetectionRun) and persisted jobs (JobModel) share, so both give the same records with the same group ids.
 */
import type pg from 'pg';
import type { Detector } from '../engine/detector.ts';
import type { GroupTracker } from '../engine/groups.ts';
import type { BucketInput, BucketResult, RecordResult } from '../engine/types.ts';
import { cancelledError, connectionTarget, streamChunks, type PushdownPlan } from '../store/index.ts';
import { ChunkSizer, maxChunkBuckets } from './chunkSize.ts';

export type BucketSummary = Omit<BucketResult, 'records'>;

export interface FeedResults {
  buckets: BucketSummary[];
  records: { push(record: RecordResult): void };
}

export function feedBucket(detector: Detector, tracker: GroupTracker, input: BucketInput, out: FeedResults): void {
  const result = detector.process(input);
  const ids = tracker.process(input, result);
  const { records, ...bucket } = result;
  out.buckets.push(bucket);
  for (const r of records) {
    const id = ids.get(r.entity);
    // In place: the detector hands each record over once, so a copy would only be one more allocation per
    // grouped record.
    if (id) {
      r.groupId = id;
    }
    out.records.push(r);
  }
}

/** Chunked, prefetching pushdown options whose chunk size follows the statement timeout (chunkSize.ts). */
export function sizedChunks(pool: pg.Pool, spanMs: number, maxBuckets?: number) {
  const sizer = new ChunkSizer(maxChunkBuckets(maxBuckets), connectionTarget(pool).statementTimeoutMs);
  return {
    chunkEnd: (from: number) => from + sizer.take() * spanMs,
    onChunkTimed: (chunk: { from: number; to: number; elapsedMs: number }) =>
      sizer.observe((chunk.to - chunk.from) / spanMs, chunk.elapsedMs),
  };
}

/** Every bucket of the plan, chunk by chunk (one mechanism with jobs: chunks, prefetch, sizing). */
export async function* chunkedBuckets(
  pool: pg.Pool,
  plan: PushdownPlan,
  spanMs: number,
  signal?: AbortSignal,
): AsyncGenerator<BucketInput> {
  for await (const event of streamChunks(pool, plan, { ...sizedChunks(pool, spanMs), signal })) {
    if (signal?.aborted) {
      throw cancelledError();
    }
    if (event.kind === 'bucket') {
      yield event.input;
    }
  }
}
