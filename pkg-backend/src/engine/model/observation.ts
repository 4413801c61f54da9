/** What a model says about one entity in one bucket, before scoring and normalisation. */
import type { Cause } from '../types.ts';

export interface EntityObservation {
  /** over value for population models, else the by value. */
  entity: string;
  over: string | null;
  /** Probability of the entity's behaviour in this bucket (joint over its attributes for populations). */
  probability: number;
  /** Attributes ordered by probability, strongest (smallest P) first. */
  causes: Cause[];
  /** Requests of the entity in the bucket. */
  count: number;
  /** The strongest cause's by value was seen for the first time in this bucket. */
  firstOccurrence: boolean;
  /** median(count) / count of the strongest cause. */
  relativeRarity: number;
}

export interface CategoryModel {
  /** Adds one bucket to the model, then returns the observation of every entity present in it. */
  addBucket(
    time: number,
    tuples: ReadonlyArray<{ by: string; over: string | null; count: number }>,
  ): EntityObservation[];
  toJSON(): unknown;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) {
    return 0;
  }
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
