/**
 * The population model forgets idle entities and values from a last-seen list; this checks it forgets
 * exactly what the plain definition does: every 64 buckets with data, the over values not seen for 4 / d
 * buckets go, and so do the by values not seen for that long, with all of their pairs.
 */
import { describe, expect, it } from 'vitest';
import { PopulationModel, type PopulationStateV2 } from '../../pkg-backend/src/engine/model/population.ts';
import type { BucketTuple } from '../../pkg-backend/src/engine/types.ts';
import { mulberry32 } from './maths-rng.ts';
import { bucket, tuple } from './helpers.ts';

const SPAN = 300;
const PRUNE_EVERY = 64;

/** The definition, with a scan of everything at each prune. */
class ReferencePruning {
  readonly values = new Map<string, { firstSeen: number; lastSeen: number; entities: Set<string> }>();
  readonly entities = new Map<string, number>();
  private sincePrune = 0;

  constructor(private readonly decay: number) {}

  add(time: number, tuples: BucketTuple[]): void {
    let any = false;
    for (const t of tuples) {
      if (t.over === null) {
        continue;
      }
      any = true;
      let v = this.values.get(t.by);
      if (!v) {
        this.values.set(t.by, (v = { firstSeen: time, lastSeen: time, entities: new Set() }));
      }
      v.lastSeen = time;
      v.entities.add(t.over);
      this.entities.set(t.over, time);
    }
    if (!any || ++this.sincePrune < PRUNE_EVERY) {
      return;
    }
    this.sincePrune = 0;
    const cutoff = time - (4 / this.decay) * SPAN * 1000;
    for (const [e, lastSeen] of this.entities) {
      if (lastSeen < cutoff) {
        this.entities.delete(e);
      }
    }
    for (const [name, v] of this.values) {
      if (v.lastSeen < cutoff) {
        this.values.delete(name);
        continue;
      }
      for (const e of v.entities) {
        if (!this.entities.has(e)) {
          v.entities.delete(e);
        }
      }
    }
  }

  summary() {
    const values = [...this.values].map(
      ([name, v]) => [name, v.firstSeen, v.lastSeen, [...v.entities].sort()] as const,
    );
    return { values: values.sort(byName), entities: [...this.entities].sort(byName) };
  }
}

function byName(a: readonly [string, ...unknown[]], b: readonly [string, ...unknown[]]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function summaryOf(state: PopulationStateV2) {
  const pairs = new Map<string, string[]>(state.byValues.map((v) => [v, []]));
  for (let i = 0; i < state.pairs.length; i += 2) {
    pairs.get(state.byValues[state.pairs[i]])!.push(state.overValues[state.pairs[i + 1]]);
  }
  const values = state.byValues.map(
    (name, i) => [name, state.byFirstSeen[i], state.byLastSeen[i], pairs.get(name)!.sort()] as const,
  );
  const entities = state.overValues.map((name, i) => [name, state.overLastSeen[i]] as const);
  return { values: values.sort(byName), entities: entities.sort(byName) };
}

/** Entities drift over time and by values come and go, with idle stretches, so every kind of expiry happens. */
function workload(seed: number, buckets: number): Array<{ index: number; tuples: BucketTuple[] }> {
  const rand = mulberry32(seed);
  const out: Array<{ index: number; tuples: BucketTuple[] }> = [];
  let index = 0;
  for (let b = 0; b < buckets; b++) {
    index += rand() < 0.03 ? 1 + Math.floor(rand() * 120) : 1;
    const tuples: BucketTuple[] = [];
    const n = rand() < 0.05 ? 0 : 1 + Math.floor(rand() * 12);
    for (let i = 0; i < n; i++) {
      const entity = rand() < 0.05 ? null : `e${Math.floor(rand() * 30) + Math.floor(b / 40) * 10}`;
      const value = rand() < 0.1 ? `w${Math.floor(b / 25)}` : `v${Math.floor(Math.pow(rand(), 3) * 8)}`;
      tuples.push(tuple(value, entity, 1 + Math.floor(rand() * 3)));
    }
    out.push({ index, tuples });
  }
  return out;
}

describe('population pruning', () => {
  it.each([
    [1, 0.05],
    [2, 0.1],
    [3, 0.02],
    [4, 0.4],
  ])('forgets exactly the pairs the definition forgets (seed %i, decay %f)', (seed, decay) => {
    const model = new PopulationModel(true, decay, SPAN * 1000);
    const reference = new ReferencePruning(decay);
    let prunedSomething = false;
    let previousPairs = 0;
    for (const { index, tuples } of workload(seed, 1500)) {
      const time = bucket(index, SPAN, []).start;
      model.addBucket(time, tuples);
      reference.add(time, tuples);
      const state = model.toJSON();
      expect(summaryOf(state)).toEqual(reference.summary());
      prunedSomething ||= model.pairCount < previousPairs;
      previousPairs = model.pairCount;
    }
    expect(prunedSomething).toBe(true);
  });

  it('keeps pruning the same after a round trip through JSON', () => {
    const decay = 0.05;
    const inputs = workload(9, 1200);
    const straight = new PopulationModel(false, decay, SPAN * 1000);
    let resumed = new PopulationModel(false, decay, SPAN * 1000);
    inputs.forEach(({ index, tuples }, i) => {
      const time = bucket(index, SPAN, []).start;
      if (i % 150 === 149) {
        resumed = PopulationModel.fromJSON(JSON.parse(JSON.stringify(resumed.toJSON())));
      }
      expect(resumed.addBucket(time, tuples)).toEqual(straight.addBucket(time, tuples));
    });
    expect(summaryOf(resumed.toJSON())).toEqual(summaryOf(straight.toJSON()));
  });

  it('reads the first state format and carries on as the original would', () => {
    const decay = 0.05;
    const inputs = workload(5, 600);
    const straight = new PopulationModel(true, decay, SPAN * 1000);
    const reference = new ReferencePruning(decay);
    for (const { index, tuples } of inputs.slice(0, 300)) {
      const time = bucket(index, SPAN, []).start;
      straight.addBucket(time, tuples);
      reference.add(time, tuples);
    }
    // The first format as the Map-based model wrote it: values and entities in insertion order.
    const current = straight.toJSON();
    const old = {
      kind: 'population' as const,
      frequencyWeighted: true,
      decayRate: decay,
      bucketSpanMs: SPAN * 1000,
      bucketsSincePrune: current.bucketsSincePrune,
      values: [...reference.values].map(
        ([name, v]) =>
          [name, v.firstSeen, v.lastSeen, [...v.entities].map((e) => [e, reference.entities.get(e)!])] as [
            string,
            number,
            number,
            Array<[string, number]>,
          ],
      ),
      entities: [...reference.entities],
    };
    const resumed = PopulationModel.fromJSON(old);
    expect(summaryOf(resumed.toJSON())).toEqual(summaryOf(current));
    for (const { index, tuples } of inputs.slice(300)) {
      const time = bucket(index, SPAN, []).start;
      expect(resumed.addBucket(time, tuples)).toEqual(straight.addBucket(time, tuples));
    }
  });
});
