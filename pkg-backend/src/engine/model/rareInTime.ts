/**
 * `rare` without an over field: CEventRateModel with a CMultinomialConjugate prior over the by values.
 * Each bucket adds presence (not volume) of every by value, then decays all counts; the bucket is scored
 * against the prior that already includes it, so a first-seen value scores with c = 1.
 */
import { smoothedTailProbabilities } from '../maths/index.ts';
import { median, type CategoryModel, type EntityObservation } from './observation.ts';

export interface RareInTimeState {
  kind: 'rare_in_time';
  decayRate: number;
  /** [value, decayed count, first seen bucket time] */
  categories: Array<[string, number, number]>;
}

export class RareInTimeModel implements CategoryModel {
  private readonly counts = new Map<string, number>();
  private readonly firstSeen = new Map<string, number>();

  constructor(private readonly decayRate: number) {}

  static fromJSON(state: RareInTimeState): RareInTimeModel {
    const model = new RareInTimeModel(state.decayRate);
    for (const [value, count, first] of state.categories) {
      model.counts.set(value, count);
      model.firstSeen.set(value, first);
    }
    return model;
  }

  toJSON(): RareInTimeState {
    const categories: Array<[string, number, number]> = [];
    for (const [value, count] of this.counts) {
      categories.push([value, count, this.firstSeen.get(value)!]);
    }
    return { kind: 'rare_in_time', decayRate: this.decayRate, categories };
  }

  addBucket(
    time: number,
    tuples: ReadonlyArray<{ by: string; over: string | null; count: number }>,
  ): EntityObservation[] {
    const present = new Map<string, number>();
    for (const t of tuples) {
      present.set(t.by, (present.get(t.by) ?? 0) + t.count);
    }
    if (present.size === 0) {
      return [];
    }

    for (const value of present.keys()) {
      this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
      if (!this.firstSeen.has(value)) {
        this.firstSeen.set(value, time);
      }
    }
    if (this.decayRate > 0) {
      const factor = Math.exp(-this.decayRate);
      for (const [value, count] of this.counts) {
        this.counts.set(value, count * factor);
      }
    }

    const values = [...this.counts.keys()];
    const counts = values.map((v) => this.counts.get(v)!);
    const tail = smoothedTailProbabilities(counts);
    const index = new Map(values.map((v, i) => [v, i]));
    const typicalCount = median(counts);

    const observations: EntityObservation[] = [];
    for (const [value, requests] of present) {
      const i = index.get(value)!;
      const probability = tail[i];
      observations.push({
        entity: value,
        over: null,
        probability,
        causes: [{ by: value, probability, count: requests }],
        count: requests,
        firstOccurrence: this.firstSeen.get(value) === time,
        relativeRarity: typicalCount / counts[i],
      });
    }
    return observations;
  }
}
