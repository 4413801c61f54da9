/**
 * `rare` without an over field: CEventRateModel with a CMultinomialConjugate prior over the by values.
 * Each bucket adds presence (not volume) of every by value, then decays all counts; the bucket is scored
 * against the prior that already includes it, so a first-seen value scores with c = 1.
 *
 * Values are interned to integer ids with their counts in a typed array. The values stay sorted by count
 * from one bucket to the next: decay scales every count alike, so only the values present in the bucket
 * move, and they are merged back in. Only present values have their probability evaluated.
 */
import { JsonColumn, materialize, type Streamed } from '../../runtime/jsonColumn.ts';
import { SmoothedTailCurve } from '../maths/index.ts';
import { Interner } from './interner.ts';
import { growFloat64, growInt32, MODEL_FIXED_BYTES, RARE_VALUE_BYTES } from './memory.ts';
import { type CategoryModel, type EntityObservation, type ModelTuple, materializeAll } from './observation.ts';

export interface RareInTimeState {
  kind: 'rare_in_time';
  decayRate: number;
  /** [value, decayed count, first seen bucket time] */
  categories: Array<[string, number, number]>;
  /** Tuples not modelled because the memory limit was reached; absent in states written before the limit. */
  limitedTuples?: number;
}

export class RareInTimeModel implements CategoryModel {
  private readonly values = new Interner();
  private counts = new Float64Array(0);
  private firstSeen = new Float64Array(0);
  /** Value ids by ascending count. */
  private order = new Int32Array(0);
  private merged = new Int32Array(0);
  private readonly curve = new SmoothedTailCurve();
  private typicalCount = 0;
  /** Tuples refused because the model was at its memory limit. */
  limitedTuples = 0;
  /** Bytes past which no new value is added. */
  limitBytes = Infinity;

  // The bucket being observed: its values in first-seen order (a sparse set over value ids).
  private time = 0;
  private presentCount = 0;
  private present = new Int32Array(0);
  private presentSlot = new Int32Array(0);
  private requests = new Float64Array(0);
  private sortedPresent = new Int32Array(0);

  constructor(private readonly decayRate: number) {}

  static fromJSON(state: RareInTimeState): RareInTimeModel {
    const model = new RareInTimeModel(state.decayRate);
    for (const [value, count, first] of state.categories) {
      const v = model.addValue(value, first);
      model.counts[v] = count;
    }
    const k = model.values.size;
    for (let i = 0; i < k; i++) {
      model.order[i] = i;
    }
    model.order.subarray(0, k).sort((a, b) => model.counts[a] - model.counts[b]);
    model.limitedTuples = state.limitedTuples ?? 0;
    return model;
  }

  toJSON(): RareInTimeState {
    return materialize(this.snapshotJSON());
  }

  /** The state with its categories as a column read as it is written (see PopulationModel.snapshotJSON). */
  snapshotJSON(): Streamed<RareInTimeState> {
    const categories = new JsonColumn<[string, number, number]>(() => {
      let v = 0;
      return (max) => {
        const out: Array<[string, number, number]> = [];
        for (; v < this.values.size && out.length < max; v++) {
          out.push([this.values.name(v), this.counts[v], this.firstSeen[v]]);
        }
        return out;
      };
    });
    return { kind: 'rare_in_time', decayRate: this.decayRate, categories, limitedTuples: this.limitedTuples };
  }

  /** Estimated heap bytes, from what the model holds (see PopulationModel.memoryBytes). */
  get memoryBytes(): number {
    return MODEL_FIXED_BYTES + this.values.size * RARE_VALUE_BYTES + this.values.stringBytes;
  }

  addBucket(time: number, tuples: readonly ModelTuple[]): EntityObservation[] {
    return materializeAll(this, this.observe(time, tuples));
  }

  observe(time: number, tuples: readonly ModelTuple[]): number {
    this.time = time;
    if (tuples.length > this.present.length) {
      this.present = growInt32(this.present, tuples.length);
      this.requests = growFloat64(this.requests, tuples.length);
      this.sortedPresent = growInt32(this.sortedPresent, tuples.length);
    }
    const known = this.values.size;
    let n = 0;
    for (let i = 0; i < tuples.length; i++) {
      const t = tuples[i];
      let v = this.values.id(t.by);
      if (v === undefined) {
        if (this.memoryBytes >= this.limitBytes) {
          this.limitedTuples++;
          continue;
        }
        v = this.addValue(t.by, time);
      }
      const slot = this.presentSlot[v];
      if (slot < n && this.present[slot] === v) {
        this.requests[slot] += t.count;
      } else {
        this.presentSlot[v] = n;
        this.present[n] = v;
        this.requests[n] = 0 + t.count;
        n++;
      }
    }
    this.presentCount = n;
    if (n === 0) {
      return 0;
    }

    const { counts } = this;
    for (let i = 0; i < n; i++) {
      counts[this.present[i]] += 1;
    }
    const k = this.values.size;
    // The curve's total, summed in id order as it would sum it, in the same pass as the decay.
    let total = 0;
    if (this.decayRate > 0) {
      const factor = Math.exp(-this.decayRate);
      for (let v = 0; v < k; v++) {
        const c = counts[v] * factor;
        counts[v] = c;
        total += c;
      }
    } else {
      for (let v = 0; v < k; v++) {
        total += counts[v];
      }
    }
    this.resort(known, k);
    this.curve.reset(counts, k, this.order, total);
    this.typicalCount = this.curve.median();
    return n;
  }

  probability(i: number): number {
    return this.curve.probability(this.present[i]);
  }

  entity(i: number): string {
    return this.values.name(this.present[i]);
  }

  observation(i: number): EntityObservation {
    const v = this.present[i];
    const value = this.values.name(v);
    const probability = this.curve.probability(v);
    const requests = this.requests[i];
    return {
      entity: value,
      over: null,
      probability,
      causes: [{ by: value, probability, count: requests }],
      count: requests,
      firstOccurrence: this.firstSeen[v] === this.time,
      relativeRarity: this.typicalCount / this.counts[v],
    };
  }

  private addValue(name: string, time: number): number {
    const v = this.values.add(name);
    if (v >= this.counts.length) {
      this.counts = growFloat64(this.counts, v + 1);
      this.firstSeen = growFloat64(this.firstSeen, v + 1);
      this.order = growInt32(this.order, v + 1);
      this.merged = growInt32(this.merged, v + 1);
      this.presentSlot = growInt32(this.presentSlot, v + 1);
    }
    this.counts[v] = 0;
    this.firstSeen[v] = time;
    return v;
  }

  /**
   * Restores ascending count order without sorting. A present value's count went from c to (c + 1)·f and an
   * absent one's from c to c·f: both maps are monotone, in floating point too, so the present values keep
   * their old relative order and so do the absent ones, and the two runs merge in O(k). New values have the
   * smallest count a present value can have, f, so they lead the present run. Ties may land in any order;
   * the curve reads nothing from their order.
   */
  private resort(known: number, k: number): void {
    const { counts, order, merged, present, presentSlot, presentCount } = this;
    // One pass splits the old order into the absent run (in `merged`, as scratch) and the present run.
    const moved = this.sortedPresent;
    let m = 0;
    for (let v = known; v < k; v++) {
      moved[m++] = v;
    }
    let a = 0;
    for (let i = 0; i < known; i++) {
      const v = order[i];
      const slot = presentSlot[v];
      if (slot < presentCount && present[slot] === v) {
        moved[m++] = v;
      } else {
        merged[a++] = v;
      }
    }
    // Then they merge into `order`, which the split has finished reading.
    let i = 0;
    let j = 0;
    let out = 0;
    while (i < a && j < m) {
      const v = merged[i];
      const w = moved[j];
      if (counts[w] < counts[v]) {
        order[out++] = w;
        j++;
      } else {
        order[out++] = v;
        i++;
      }
    }
    while (i < a) {
      order[out++] = merged[i++];
    }
    while (j < m) {
      order[out++] = moved[j++];
    }
  }
}
