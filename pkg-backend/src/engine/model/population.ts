/**
 * Population `rare` and `freq_rare` (CEventRatePopulationModel / CEventRateBucketGatherer): the rarity of a
 * by value is the number of distinct over entities ever seen with it (no decay; the prior is rebuilt from
 * these counts every bucket). An entity's bucket probability is the weighted χ² joint of the probabilities of
 * the by values it used: weight 1 for rare, 1 − (1 − q)^n for freq_rare (CCategoricalTools), where q is the
 * value's share of the entity's requests and n the number of values it used.
 * Idle entities and values are forgotten after 4 / decay buckets, which is what bounds memory.
 */
import { jointProbability, smoothedTailProbabilities } from '../maths/index.ts';
import type { Cause } from '../types.ts';
import { CAUSE_ABSOLUTE_CUTOFF, CAUSE_RELATIVE_SLACK, MAX_CAUSES, PRUNE_WINDOW_FACTOR } from './config.ts';
import { median, type CategoryModel, type EntityObservation } from './observation.ts';

export interface PopulationState {
  kind: 'population';
  frequencyWeighted: boolean;
  decayRate: number;
  bucketSpanMs: number;
  bucketsSincePrune: number;
  /** [by value, first seen, last seen, [[over value, last seen together], …]] */
  values: Array<[string, number, number, Array<[string, number]>]>;
  /** [over value, last seen] */
  entities: Array<[string, number]>;
}

/** Pruning scans every pair, so it runs every few buckets rather than every bucket. */
const PRUNE_EVERY_BUCKETS = 64;

interface ValueState {
  firstSeen: number;
  lastSeen: number;
  entities: Map<string, number>;
}

/** The prior rebuilt from the spreads; derived state, never serialised. */
interface Prior {
  tail: Float64Array;
  index: Map<string, number>;
  typicalSpread: number;
}

export class PopulationModel implements CategoryModel {
  private readonly values = new Map<string, ValueState>();
  private readonly entityLastSeen = new Map<string, number>();
  private bucketsSincePrune = 0;
  /**
   * Spreads only change when a (value, entity) pair is first seen or pruned, which most buckets of a steady
   * population never do; until then the smoothed tail probabilities of the last bucket still hold.
   */
  private prior: Prior | null = null;

  constructor(
    private readonly frequencyWeighted: boolean,
    private readonly decayRate: number,
    private readonly bucketSpanMs: number,
  ) {}

  static fromJSON(state: PopulationState): PopulationModel {
    const model = new PopulationModel(state.frequencyWeighted, state.decayRate, state.bucketSpanMs);
    model.bucketsSincePrune = state.bucketsSincePrune;
    for (const [value, firstSeen, lastSeen, pairs] of state.values) {
      model.values.set(value, { firstSeen, lastSeen, entities: new Map(pairs) });
    }
    for (const [entity, lastSeen] of state.entities) {
      model.entityLastSeen.set(entity, lastSeen);
    }
    return model;
  }

  toJSON(): PopulationState {
    return {
      kind: 'population',
      frequencyWeighted: this.frequencyWeighted,
      decayRate: this.decayRate,
      bucketSpanMs: this.bucketSpanMs,
      bucketsSincePrune: this.bucketsSincePrune,
      values: [...this.values].map(([v, s]) => [v, s.firstSeen, s.lastSeen, [...s.entities]]),
      entities: [...this.entityLastSeen],
    };
  }

  /** Number of distinct (value, entity) pairs remembered: the model's memory footprint. */
  get pairCount(): number {
    let n = 0;
    for (const s of this.values.values()) {
      n += s.entities.size;
    }
    return n;
  }

  addBucket(
    time: number,
    tuples: ReadonlyArray<{ by: string; over: string | null; count: number }>,
  ): EntityObservation[] {
    const byEntity = new Map<string, Map<string, number>>();
    for (const t of tuples) {
      if (t.over === null) {
        continue;
      }
      let state = this.values.get(t.by);
      if (!state) {
        state = { firstSeen: time, lastSeen: time, entities: new Map() };
        this.values.set(t.by, state);
      }
      state.lastSeen = time;
      if (!state.entities.has(t.over)) {
        this.prior = null;
      }
      state.entities.set(t.over, time);
      this.entityLastSeen.set(t.over, time);
      let attributes = byEntity.get(t.over);
      if (!attributes) {
        byEntity.set(t.over, (attributes = new Map()));
      }
      attributes.set(t.by, (attributes.get(t.by) ?? 0) + t.count);
    }
    if (byEntity.size === 0) {
      return [];
    }
    this.maybePrune(time);

    const { tail, index, typicalSpread } = (this.prior ??= this.buildPrior());

    const observations: EntityObservation[] = [];
    for (const [entity, attributes] of byEntity) {
      let requests = 0;
      for (const c of attributes.values()) {
        requests += c;
      }
      const causes: Cause[] = [];
      const weights: number[] = [];
      const n = attributes.size;
      for (const [value, count] of attributes) {
        causes.push({ by: value, probability: tail[index.get(value)!], count });
        weights.push(this.frequencyWeighted ? 1 - Math.pow(1 - count / requests, n) : 1);
      }
      const probability =
        causes.length === 1
          ? causes[0].probability
          : jointProbability(
              causes.map((c) => c.probability),
              weights,
            );
      causes.sort((a, b) => a.probability - b.probability);
      const cutoff = Math.max(CAUSE_RELATIVE_SLACK * causes[0].probability, CAUSE_ABSOLUTE_CUTOFF);
      const kept = causes.filter((c, i) => i === 0 || c.probability <= cutoff).slice(0, MAX_CAUSES);
      const strongest = kept[0];
      const strongestState = this.values.get(strongest.by)!;
      observations.push({
        entity,
        over: entity,
        probability,
        causes: kept,
        count: requests,
        firstOccurrence: strongestState.firstSeen === time,
        relativeRarity: typicalSpread / strongestState.entities.size,
      });
    }
    return observations;
  }

  private buildPrior(): Prior {
    const names = [...this.values.keys()];
    const spreads = names.map((v) => this.values.get(v)!.entities.size);
    return {
      tail: Float64Array.from(smoothedTailProbabilities(spreads)),
      index: new Map(names.map((v, i) => [v, i])),
      typicalSpread: median(spreads),
    };
  }

  private maybePrune(time: number): void {
    if (this.decayRate <= 0 || ++this.bucketsSincePrune < PRUNE_EVERY_BUCKETS) {
      return;
    }
    this.bucketsSincePrune = 0;
    this.prior = null;
    const cutoff = time - (PRUNE_WINDOW_FACTOR / this.decayRate) * this.bucketSpanMs;
    for (const [entity, lastSeen] of this.entityLastSeen) {
      if (lastSeen < cutoff) {
        this.entityLastSeen.delete(entity);
      }
    }
    for (const [value, state] of this.values) {
      if (state.lastSeen < cutoff) {
        this.values.delete(value);
        continue;
      }
      for (const entity of state.entities.keys()) {
        if (!this.entityLastSeen.has(entity)) {
          state.entities.delete(entity);
        }
      }
    }
  }
}
