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

/** The part of a BucketTuple the models read. */
export interface ModelTuple {
  by: string;
  over: string | null;
  count: number;
}

/**
 * A category model. `observe` adds one bucket and returns how many entities it observed; their
 * probabilities and observations can then be read by index (0 ≤ i < that number) until the next
 * `observe`. Only the probabilities are computed for every entity: the detector builds an observation
 * object for the few that become records.
 */
export interface CategoryModel {
  observe(time: number, tuples: readonly ModelTuple[]): number;
  probability(i: number): number;
  /** Name of entity i (its over value for populations, else its by value), without building its observation. */
  entity(i: number): string;
  observation(i: number): EntityObservation;
  /** `observe`, then the observation of every entity present in the bucket. */
  addBucket(time: number, tuples: readonly ModelTuple[]): EntityObservation[];
  /** Estimated heap bytes of the model's state and buffers. */
  readonly memoryBytes: number;
  /** Past this many bytes nothing new (entity, value, pair) is added; the tuple is counted in limitedTuples. */
  limitBytes: number;
  readonly limitedTuples: number;
  toJSON(): unknown;
  /** The state as toJSON gives it, with long arrays as columns read from the live model as they are written. */
  snapshotJSON(): unknown;
}

export function materializeAll(model: CategoryModel, count: number): EntityObservation[] {
  const observations: EntityObservation[] = [];
  for (let i = 0; i < count; i++) {
    observations.push(model.observation(i));
  }
  return observations;
}
