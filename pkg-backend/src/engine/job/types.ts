/**
 * Vocabulary of an anomaly job (Elastic's analysis_config): several rare / freq_rare detectors over the same
 * buckets, each optionally split by a partition field. Pure data, no I/O.
 */
import type { BucketTuple, DetectorFunction, RecordResult } from '../types.ts';

export interface JobDetectorSpec {
  function: DetectorFunction;
  byField: string;
  /** Required for freq_rare; optional (population analysis) for rare. */
  overField?: string;
  /** Each value of this field gets its own model (Elastic's partition_field_name). */
  partitionField?: string;
  /** Free text for people; not used by the engine. */
  description?: string;
}

export interface JobSpec {
  bucketSpanSeconds: number;
  /** Per-bucket decay rate; default 0.0005 · min(1, bucketSpan / 1800 s) like Elastic's. */
  decayRate?: number;
  /** For the whole job, as Elastic's model_memory_limit; default DEFAULT_MODEL_MEMORY_LIMIT_BYTES. */
  modelMemoryLimitBytes?: number;
  /** Buckets of a model's own history before it is scored; default 20, never below 20 unless allowShortLearning. */
  learningBuckets?: number;
  allowShortLearning?: boolean;
  detectors: JobDetectorSpec[];
  /** Influencer field names (Elastic's analysis_config.influencers), shared by every detector. */
  influencers?: string[];
}

/**
 * One row of a detector's pushdown aggregate `GROUP BY bucket, by[, over][, partition]`. A missing, null or
 * empty partition value is the partition "" (Elastic keeps such rows; it does not drop them). Ignored by
 * detectors without a partition field.
 */
export interface JobTuple extends BucketTuple {
  partition?: string | null;
  /**
   * This tuple's value of each JobSpec.influencers field, aligned with it; null (or missing) where its rows lack
   * the field. The pushdown groups by these fields too, so tuples may differ only here: the engine models them
   * as one observation and only remembers which values were seen with it.
   */
  influencers?: ReadonlyArray<string | null>;
}

/** How much an influencer value explains a record (CIndicatorInfluenceCalculator): clamp(ln p_i / ln p, 0, 1). */
export interface JobInfluence {
  field: string;
  value: string;
  influence: number;
}

/** Elastic's influencer result: one per influencer value whose result was written in this bucket. */
export interface InfluencerScore {
  field: string;
  value: string;
  probability: number;
  rawScore: number;
  /** Normalised 0–100 by the influencer normaliser of its field. */
  score: number;
}

/** One bucket of a job: `detectors[d]` holds detector d's tuples (its own aggregate, as fields differ). */
export interface JobBucketInput {
  start: number;
  detectors: ReadonlyArray<readonly JobTuple[]>;
  /**
   * Rows in the bucket. The detectors' aggregates each leave out rows lacking their fields, so no sum of their
   * counts is the row count; without it the largest detector total is reported.
   */
  eventCount?: number;
}

export interface JobRecord extends RecordResult {
  /** Index of the detector in JobSpec.detectors. */
  detector: number;
  function: DetectorFunction;
  partitionField: string | null;
  /** The record's partition value; null when the detector has no partition field. */
  partition: string | null;
  /**
   * The bucket's tuples of this entity (its by value, or its over value in a population), so that later
   * stages — influencers, anomaly groups — can read fields and ids the engine does not model.
   */
  tuples: readonly JobTuple[];
  /** Influencer values with influence ≥ 0.4, strongest first, then by field and value. */
  influencers: JobInfluence[];
}

/** Elastic's partition_scores: one per partition value whose result was written in this bucket. */
export interface PartitionScore {
  partitionField: string;
  partition: string;
  probability: number;
  rawScore: number;
  /** Normalised 0–100 at the lowest level the partition's node belongs to. */
  score: number;
}

export interface JobBucketResult {
  time: number;
  /** Raw score of the results tree's root (CAnomalyScore::compute in detector style). */
  rawScore: number;
  /** inverseAnomalyScore(rawScore) when it is > 0 (ml-cpp's probability finalizer), else the aggregate's own. */
  probability: number;
  /**
   * Normalised 0–100: the largest of the root's score (bucket normaliser) and each influencer field's pivot
   * root score (influencer bucket normalisers), as Elastic's bucket anomaly_score is the largest of its
   * bucket influencers'.
   */
  score: number;
  /** True while no model of the job is past its learning period. */
  learning: boolean;
  eventCount: number;
  records: JobRecord[];
  partitions: PartitionScore[];
  /** Written influencer results, highest score first. */
  influencers: InfluencerScore[];
}
