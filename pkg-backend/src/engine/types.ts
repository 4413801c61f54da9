/**
 * Engine vocabulary: what the detector consumes (per-bucket aggregates from the store's pushdown)
 * and what it emits (bucket scores, records, groups). Pure data, no I/O.
 */
import type { AnomalyGroup } from '../../../common/anomalyGroup.ts';
import type { DetectorFunction } from '../../../common/queryModel.ts';

export type { AnomalyGroup, DetectorFunction };

export interface DetectorSpec {
  function: DetectorFunction;
  byField: string;
  /** Required for freq_rare; optional (population analysis) for rare. */
  overField?: string;
  bucketSpanSeconds: number;
  /** Buckets of history before anything is scored; default 20, never below 20 unless allowShortLearning. */
  learningBuckets?: number;
  allowShortLearning?: boolean;
  /** Per-bucket decay rate; default 0.0005 · min(1, bucketSpan / 1800 s) like Elastic's. */
  decayRate?: number;
  /** Record score at or above which a bucket makes its entity part of an anomaly group; default 25. */
  groupThreshold?: number;
  /**
   * Model memory limit in bytes (Elastic's model_memory_limit): past it new entities, values and pairs are
   * not modelled and the memory status is hard_limit. Default DEFAULT_MODEL_MEMORY_LIMIT_BYTES.
   */
  modelMemoryLimitBytes?: number;
}

/**
 * One row of the pushdown aggregate `GROUP BY bucket, by[, over]`. Ids are integers beyond 2^53 (bigserial),
 * as bigint or as the decimal text PostgreSQL sends: only tuples of entities in anomaly groups ever need them
 * as numbers, so the pushdown leaves them as text and GroupTracker converts those few.
 */
export interface BucketTuple {
  by: string;
  over: string | null;
  count: number;
  successful: number;
  minId: bigint | string;
  maxId: bigint | string;
}

/** All tuples of one bucket; `start` is the bucket start in epoch milliseconds. */
export interface BucketInput {
  start: number;
  tuples: BucketTuple[];
}

export interface Cause {
  by: string;
  probability: number;
  /** Count of this by value for the entity in this bucket. */
  count: number;
}

export interface Explanation {
  /** First bucket in which this by value (for the entity, in population analysis: anywhere) was seen. */
  firstOccurrence: boolean;
  /** median(c) / c_x: how many times rarer than the typical value. */
  relativeRarity: number;
  /** Human sentence, e.g. "first occurrence of state 7 for ip 10.0.0.1". */
  text: string;
}

export interface RecordResult {
  time: number;
  /** Strongest cause's by value. */
  by: string;
  over: string | null;
  /** over value for population detectors, else the by value. */
  entity: string;
  probability: number;
  rawScore: number;
  /** Normalised 0–100. */
  score: number;
  typical: number;
  actual: number;
  count: number;
  causes: Cause[];
  explanation: Explanation;
  groupId?: string;
}

export interface BucketResult {
  time: number;
  rawScore: number;
  score: number;
  learning: boolean;
  eventCount: number;
  records: RecordResult[];
}
