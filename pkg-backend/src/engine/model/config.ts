/**
 * Detector defaults from Elastic: decay 0.0005 per standard 1800 s bucket (CAnomalyDetectorModelConfig),
 * a learning period of at least 20 buckets (Elastic's documented advice for rare modelling), and the
 * Cryptolens-style group threshold of 25 (the "minor" severity band).
 */
import { DEFAULT_MODEL_MEMORY_LIMIT_BYTES, MIN_LEARNING_BUCKETS } from '../../../../common/limits.ts';
import { SEVERITY_FROM } from '../../../../common/severity.ts';
import { DEFAULT_DECAY_RATE, STANDARD_BUCKET_LENGTH } from '../maths/index.ts';
import type { DetectorSpec } from '../types.ts';

export const DEFAULT_GROUP_THRESHOLD = SEVERITY_FROM.minor;
/** Elastic prunes entities idle for longer than 4 / decay buckets (CEventRatePopulationModel::prune). */
export const PRUNE_WINDOW_FACTOR = 4;
/** Records are also written when p ≤ this factor × the smallest probability of a written bucket. */
export const RECORD_PROBABILITY_SLACK = 1.2;
/** Causes of a population record: at most 10, with P ≤ max(1.1 · min P, 0.05) (CAnnotatedProbabilityBuilder). */
export const MAX_CAUSES = 10;
export const CAUSE_RELATIVE_SLACK = 1.1;
export const CAUSE_ABSOLUTE_CUTOFF = 0.05;

export interface ResolvedSpec {
  function: DetectorSpec['function'];
  byField: string;
  overField: string | null;
  bucketSpanMs: number;
  learningBuckets: number;
  decayRate: number;
  groupThreshold: number;
  modelMemoryLimitBytes: number;
}

/**
 * Fills in Elastic's defaults. What a person typed was validated before it got here (common/validateQuery.ts,
 * query/request.ts), in the words of the editor or the command line; the checks below only assert that the
 * engine was handed a consistent spec, so a bug elsewhere fails loudly instead of scoring nonsense.
 */
export function resolveSpec(spec: DetectorSpec): ResolvedSpec {
  if (spec.function !== 'rare' && spec.function !== 'freq_rare') {
    throw new Error(`function "${String(spec.function)}" is not supported; use rare or freq_rare`);
  }
  if (!spec.byField) {
    throw new Error('byField is required for rare and freq_rare');
  }
  if (spec.function === 'freq_rare' && !spec.overField) {
    throw new Error('freq_rare needs an overField (the population whose requests are compared)');
  }
  if (!(spec.bucketSpanSeconds > 0) || !Number.isFinite(spec.bucketSpanSeconds)) {
    throw new Error(`bucketSpan must be a positive duration, got ${spec.bucketSpanSeconds} s`);
  }
  const learningBuckets = spec.learningBuckets ?? MIN_LEARNING_BUCKETS;
  if (!Number.isInteger(learningBuckets) || learningBuckets < 0) {
    throw new Error(`learningBuckets must be a non-negative integer, got ${learningBuckets}`);
  }
  if (learningBuckets < MIN_LEARNING_BUCKETS && !spec.allowShortLearning) {
    throw new Error(
      `learningBuckets must be at least ${MIN_LEARNING_BUCKETS} (Elastic's advice for rare), got ${learningBuckets}`,
    );
  }
  const decayRate = spec.decayRate ?? DEFAULT_DECAY_RATE * Math.min(1, spec.bucketSpanSeconds / STANDARD_BUCKET_LENGTH);
  if (!(decayRate >= 0) || !Number.isFinite(decayRate)) {
    throw new Error(`decayRate must be ≥ 0, got ${decayRate}`);
  }
  const modelMemoryLimitBytes = spec.modelMemoryLimitBytes ?? DEFAULT_MODEL_MEMORY_LIMIT_BYTES;
  if (!(modelMemoryLimitBytes > 0)) {
    throw new Error(`modelMemoryLimitBytes must be a positive number of bytes, got ${modelMemoryLimitBytes}`);
  }
  return {
    function: spec.function,
    byField: spec.byField,
    overField: spec.overField ?? null,
    bucketSpanMs: spec.bucketSpanSeconds * 1000,
    learningBuckets,
    decayRate,
    groupThreshold: spec.groupThreshold ?? DEFAULT_GROUP_THRESHOLD,
    modelMemoryLimitBytes,
  };
}

/** True while `time` is inside the learning period that follows `firstBucket`, the model's first bucket with data. */
export function isLearning(firstBucket: number | null, time: number, resolved: ResolvedSpec): boolean {
  return firstBucket === null || time < firstBucket + resolved.learningBuckets * resolved.bucketSpanMs;
}
