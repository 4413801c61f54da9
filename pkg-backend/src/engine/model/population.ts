/**
 * Population `rare` and `freq_rare` (CEventRatePopulationModel / CEventRateBucketGatherer): the rarity of a
 * by value is the number of distinct over entities ever seen with it (no decay; the prior is rebuilt from
 * these counts whenever one changes). An entity's bucket probability is the weighted χ² joint of the
 * probabilities of the by values it used: weight 1 for rare, 1 − (1 − q)^n for freq_rare (CCategoricalTools),
 * where q is the value's share of the entity's requests and n the number of values it used.
 * Idle entities and values are forgotten after 4 / decay buckets, which is what bounds memory; past the
 * model memory limit no new entity, value or pair is added (Elastic's hard_limit).
 *
 * By and over values are interned to integer ids; times, spreads and pairs live in typed arrays, and a bucket
 * is grouped by entity in reused scratch arrays, so the cost of a bucket is its tuples, not the model's size.
 * Entities and values are kept in last-seen order, so pruning pops what expired off the front.
 */
import { JsonColumn, materialize, NameColumn, type SnapshotColumns, type Streamed } from '../../runtime/jsonColumn.ts';
import { jointProbability, SmoothedTailCurve } from '../maths/index.ts';
import type { Cause } from '../types.ts';
import { CAUSE_ABSOLUTE_CUTOFF, CAUSE_RELATIVE_SLACK, MAX_CAUSES, PRUNE_WINDOW_FACTOR } from './config.ts';
import { Interner } from './interner.ts';
import {
  ENTITY_BYTES,
  growFloat64,
  growInt32,
  MODEL_FIXED_BYTES,
  PAIR_BYTES,
  POPULATION_VALUE_BYTES,
} from './memory.ts';
import { type CategoryModel, type EntityObservation, type ModelTuple, materializeAll } from './observation.ts';
import { PairStore } from './pairs.ts';
import { RecencyList } from './recency.ts';

/** The first format: one nested array per value, with the time each pair was last seen (never used). */
export interface PopulationStateV1 {
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

/** Columnar, a few flat arrays however many entities: cheap to write, clone and read back. */
export interface PopulationStateV2 {
  kind: 'population';
  format: 2;
  frequencyWeighted: boolean;
  decayRate: number;
  bucketSpanMs: number;
  bucketsSincePrune: number;
  /** By values, least recently seen first. */
  byValues: string[];
  byFirstSeen: number[];
  byLastSeen: number[];
  /** Over values, least recently seen first. */
  overValues: string[];
  overLastSeen: number[];
  /** Pairs as positions in byValues and overValues, flattened: [by₀, over₀, by₁, over₁, …]. */
  pairs: number[];
  /** Tuples not modelled because the memory limit was reached. */
  limitedTuples: number;
}

/**
 * PopulationStateV2 as a restore may get it: from JSON.parse, or from a snapshot read with POPULATION_COLUMNS,
 * its names as NameColumns and its numbers as Float64Arrays.
 */
export type ReadPopulationStateV2 = Omit<PopulationStateV2, ColumnKey> & {
  byValues: readonly string[] | NameColumn;
  byFirstSeen: ArrayLike<number>;
  byLastSeen: ArrayLike<number>;
  overValues: readonly string[] | NameColumn;
  overLastSeen: ArrayLike<number>;
  pairs: ArrayLike<number>;
};

type ColumnKey = 'byValues' | 'byFirstSeen' | 'byLastSeen' | 'overValues' | 'overLastSeen' | 'pairs';

/** The long arrays of a population state, for a snapshot's reader: a million names read without a string each. */
export const POPULATION_COLUMNS: SnapshotColumns = {
  names: ['byValues', 'overValues'],
  numbers: ['byFirstSeen', 'byLastSeen', 'overLastSeen', 'pairs'],
};

export type PopulationState = PopulationStateV1 | ReadPopulationStateV2;

/** The ids of a recency list, oldest first, as a column of what `element` reads for each. */
function listColumn<T>(order: RecencyList, element: (id: number) => T): JsonColumn<T> {
  return new JsonColumn(() => {
    let id = order.oldest;
    return (max) => {
      const out: T[] = [];
      for (; id >= 0 && out.length < max; id = order.after(id)) {
        out.push(element(id));
      }
      return out;
    };
  });
}

/** Interns name i of a restored state: from the snapshot's bytes when it was read as a column. */
function internFrom(interner: Interner, names: readonly string[] | NameColumn, i: number): number {
  if (!(names instanceof NameColumn)) {
    return interner.add(names[i]);
  }
  const start = names.start[i];
  return start < 0 ? interner.add(names.name(i)) : interner.addBytes(names.bytes, start, names.end[i]);
}

/** Pruning runs every few buckets (Elastic prunes periodically too); which pairs go when is part of the results. */
const PRUNE_EVERY_BUCKETS = 64;

export class PopulationModel implements CategoryModel {
  private readonly entities = new Interner();
  private readonly values = new Interner();
  private readonly pairs = new PairStore();
  private readonly entityOrder = new RecencyList();
  private readonly valueOrder = new RecencyList();
  private entityLastSeen = new Float64Array(0);
  private valueFirstSeen = new Float64Array(0);
  private valueLastSeen = new Float64Array(0);
  private bucketsSincePrune = 0;
  /** Tuples refused because the model was at its memory limit. */
  limitedTuples = 0;
  /** Bytes past which nothing new is added. */
  limitBytes = Infinity;

  /**
   * Spreads only change when a (value, entity) pair is added or pruned, which most buckets of a steady
   * population never do; until then the tail probabilities of the last bucket still hold.
   */
  private priorValid = false;
  private readonly curve = new SmoothedTailCurve();
  private priorCounts = new Float64Array(0);
  /** value id → its index among the prior's counts */
  private priorIndex = new Int32Array(0);
  private typicalSpread = 0;

  // The bucket being observed, grouped by entity (sparse sets: an index is valid when it points back).
  private time = 0;
  private entityCount = 0;
  private attributeCount = 0;
  /** entity id → its position in this bucket's entities */
  private entityLocal = new Int32Array(0);
  /** pair id → its attribute slot in this bucket */
  private pairSlot = new Int32Array(0);
  private bucketEntity = new Int32Array(0);
  private attributesOf = new Int32Array(0);
  private attributeStart = new Int32Array(0);
  /** Attributes in first-seen order: pair, entity position, summed count. */
  private slotPair = new Int32Array(0);
  private slotEntity = new Int32Array(0);
  private slotCount = new Float64Array(0);
  /** The same grouped by entity, each entity's in first-seen order. */
  private groupedPair = new Int32Array(0);
  private groupedCount = new Float64Array(0);
  private groupedP = new Float64Array(0);
  private entityP = new Float64Array(0);
  private entityRequests = new Float64Array(0);
  private readonly jointPs: number[] = [];
  private readonly jointWeights: number[] = [];

  constructor(
    private readonly frequencyWeighted: boolean,
    private readonly decayRate: number,
    private readonly bucketSpanMs: number,
  ) {}

  static fromJSON(state: PopulationState): PopulationModel {
    const model = new PopulationModel(state.frequencyWeighted, state.decayRate, state.bucketSpanMs);
    model.bucketsSincePrune = state.bucketsSincePrune;
    if ('format' in state) {
      model.restore(state);
    } else {
      model.restoreV1(state);
    }
    return model;
  }

  toJSON(): PopulationStateV2 {
    return materialize(this.snapshotJSON());
  }

  /**
   * The state with its six long arrays as columns read from the typed arrays as they are written: at a million
   * entities, built as arrays they were some 80 MB of strings and numbers at every job chunk, garbage the
   * collector met all at once.
   */
  snapshotJSON(): Streamed<PopulationStateV2> {
    const { values, entities, valueOrder, entityOrder } = this;
    return {
      kind: 'population',
      format: 2,
      frequencyWeighted: this.frequencyWeighted,
      decayRate: this.decayRate,
      bucketSpanMs: this.bucketSpanMs,
      bucketsSincePrune: this.bucketsSincePrune,
      byValues: listColumn(valueOrder, (v) => values.name(v)),
      byFirstSeen: listColumn(valueOrder, (v) => this.valueFirstSeen[v]),
      byLastSeen: listColumn(valueOrder, (v) => this.valueLastSeen[v]),
      overValues: listColumn(entityOrder, (e) => entities.name(e)),
      overLastSeen: listColumn(entityOrder, (e) => this.entityLastSeen[e]),
      pairs: this.pairColumn(),
      limitedTuples: this.limitedTuples,
    };
  }

  /** Each entity's pairs, entities least recently seen first, as [by position, over position] flattened. */
  private pairColumn(): JsonColumn<number> {
    return new JsonColumn(() => {
      const { pairs, entityOrder } = this;
      const valuePosition = new Int32Array(this.values.capacity);
      let at = 0;
      for (let v = this.valueOrder.oldest; v >= 0; v = this.valueOrder.after(v)) {
        valuePosition[v] = at++;
      }
      let e = entityOrder.oldest;
      let position = 0;
      let pair = e >= 0 ? pairs.firstPairOf(e) : -1;
      return (max) => {
        const out: number[] = [];
        // Whole pairs only: a reader asked for one element still gets a pair.
        while (e >= 0 && (out.length + 2 <= max || out.length === 0)) {
          if (pair < 0) {
            e = entityOrder.after(e);
            position++;
            pair = e >= 0 ? pairs.firstPairOf(e) : -1;
            continue;
          }
          out.push(valuePosition[pairs.valueOf(pair)], position);
          pair = pairs.pairAfter(pair);
        }
        return out;
      };
    });
  }

  /** Number of distinct (value, entity) pairs remembered. */
  get pairCount(): number {
    return this.pairs.size;
  }

  /**
   * Estimated heap bytes, from what the model holds rather than the capacity its arrays happen to have, so
   * a model restored from a snapshot meets its limit at exactly the tuple the original would have.
   */
  get memoryBytes(): number {
    return (
      MODEL_FIXED_BYTES +
      this.entities.size * ENTITY_BYTES +
      this.entities.stringBytes +
      this.values.size * POPULATION_VALUE_BYTES +
      this.values.stringBytes +
      this.pairs.size * PAIR_BYTES
    );
  }

  addBucket(time: number, tuples: readonly ModelTuple[]): EntityObservation[] {
    return materializeAll(this, this.observe(time, tuples));
  }

  observe(time: number, tuples: readonly ModelTuple[]): number {
    this.time = time;
    this.reserveBucket(tuples.length);
    let entityCount = 0;
    let attributeCount = 0;
    for (let i = 0; i < tuples.length; i++) {
      const t = tuples[i];
      if (t.over === null) {
        continue;
      }
      let e = this.entities.id(t.over);
      let v = this.values.id(t.by);
      let pair = e !== undefined && v !== undefined ? this.pairs.find(e, v) : -1;
      if (pair < 0) {
        if (this.memoryBytes >= this.limitBytes) {
          this.limitedTuples++;
          continue;
        }
        e ??= this.addEntity(t.over);
        v ??= this.addValue(t.by, time);
        pair = this.pairs.add(e, v);
        if (pair >= this.pairSlot.length) {
          this.pairSlot = growInt32(this.pairSlot, pair + 1);
        }
        this.priorValid = false;
      }
      this.valueLastSeen[v!] = time;
      this.valueOrder.touch(v!);
      let local = this.entityLocal[e!];
      if (!(local < entityCount && this.bucketEntity[local] === e)) {
        local = entityCount++;
        this.entityLocal[e!] = local;
        this.bucketEntity[local] = e!;
        this.attributesOf[local] = 0;
        this.entityLastSeen[e!] = time;
        this.entityOrder.touch(e!);
      }
      const slot = this.pairSlot[pair];
      if (slot < attributeCount && this.slotPair[slot] === pair) {
        this.slotCount[slot] += t.count;
      } else {
        this.pairSlot[pair] = attributeCount;
        this.slotPair[attributeCount] = pair;
        this.slotEntity[attributeCount] = local;
        this.slotCount[attributeCount] = 0 + t.count;
        this.attributesOf[local]++;
        attributeCount++;
      }
    }
    this.entityCount = entityCount;
    this.attributeCount = attributeCount;
    if (entityCount === 0) {
      return 0;
    }
    this.maybePrune(time);
    if (!this.priorValid) {
      this.buildPrior();
    }
    this.groupByEntity();
    this.scoreEntities();
    return entityCount;
  }

  probability(i: number): number {
    return this.entityP[i];
  }

  entity(i: number): string {
    return this.entities.name(this.bucketEntity[i]);
  }

  observation(i: number): EntityObservation {
    const start = this.attributeStart[i];
    const end = this.attributeStart[i + 1];
    const order: number[] = [];
    for (let s = start; s < end; s++) {
      order.push(s);
    }
    // Stable, so equally probable values keep the order the entity used them in.
    order.sort((a, b) => this.groupedP[a] - this.groupedP[b]);
    const cutoff = Math.max(CAUSE_RELATIVE_SLACK * this.groupedP[order[0]], CAUSE_ABSOLUTE_CUTOFF);
    let kept = 0;
    for (let j = 0; j < order.length && kept < MAX_CAUSES; j++) {
      if (j === 0 || this.groupedP[order[j]] <= cutoff) {
        order[kept++] = order[j];
      }
    }
    // Sized up front: a record keeps its causes until the detection answers, and an array grown by push
    // holds room for 17 of them.
    const causes = new Array<Cause>(kept);
    for (let j = 0; j < kept; j++) {
      const s = order[j];
      const v = this.pairs.valueOf(this.groupedPair[s]);
      causes[j] = { by: this.values.name(v), probability: this.groupedP[s], count: this.groupedCount[s] };
    }
    const strongest = this.pairs.valueOf(this.groupedPair[order[0]]);
    const entity = this.entities.name(this.bucketEntity[i]);
    return {
      entity,
      over: entity,
      probability: this.entityP[i],
      causes,
      count: this.entityRequests[i],
      firstOccurrence: this.valueFirstSeen[strongest] === this.time,
      relativeRarity: this.typicalSpread / this.pairs.spread(strongest),
    };
  }

  /**
   * The weighted joint probability of entity i's attributes for which `include` holds, each with the weight
   * it had in the entity's own joint: an influencer value's share of a population record
   * (CProbabilityAndInfluenceCalculator). All included: the entity's probability itself; none: 1.
   */
  subsetProbability(i: number, include: (by: string) => boolean): number {
    const start = this.attributeStart[i];
    const end = this.attributeStart[i + 1];
    const n = end - start;
    const ps: number[] = [];
    const weights: number[] = [];
    for (let s = start; s < end; s++) {
      if (include(this.values.name(this.pairs.valueOf(this.groupedPair[s])))) {
        ps.push(this.groupedP[s]);
        const q = this.groupedCount[s] / this.entityRequests[i];
        weights.push(this.frequencyWeighted && n > 1 ? 1 - Math.pow(1 - q, n) : 1);
      }
    }
    if (ps.length === n) {
      return this.entityP[i];
    }
    return ps.length === 0 ? 1 : jointProbability(ps, weights);
  }

  private addEntity(name: string): number {
    return this.placeEntity(this.entities.add(name));
  }

  /** Makes room for a newly interned entity and lists it as the most recently seen. */
  private placeEntity(e: number): number {
    if (e >= this.entityLastSeen.length) {
      this.entityLastSeen = growFloat64(this.entityLastSeen, e + 1);
      this.entityLocal = growInt32(this.entityLocal, e + 1);
    }
    this.pairs.reserve(e + 1, 0);
    this.entityOrder.append(e);
    return e;
  }

  private addValue(name: string, time: number): number {
    return this.placeValue(this.values.add(name), time);
  }

  /** Makes room for a newly interned value, first seen at `time`, and lists it as the most recently seen. */
  private placeValue(v: number, time: number): number {
    if (v >= this.valueFirstSeen.length) {
      this.valueFirstSeen = growFloat64(this.valueFirstSeen, v + 1);
      this.valueLastSeen = growFloat64(this.valueLastSeen, v + 1);
      this.priorIndex = growInt32(this.priorIndex, v + 1);
    }
    this.pairs.reserve(0, v + 1);
    this.valueFirstSeen[v] = time;
    this.valueOrder.append(v);
    return v;
  }

  private reserveBucket(tuples: number): void {
    // attributeStart holds one more entry than there are entities; the arrays grow by the same rule from
    // different lengths, so both must be checked (a bucket of exactly bucketEntity.length entities lost its
    // last entity's attributes, and a restored model, grown differently, scored that bucket otherwise).
    if (tuples <= this.bucketEntity.length && tuples < this.attributeStart.length) {
      return;
    }
    this.bucketEntity = growInt32(this.bucketEntity, tuples);
    this.attributesOf = growInt32(this.attributesOf, tuples);
    this.attributeStart = growInt32(this.attributeStart, tuples + 1);
    this.slotPair = growInt32(this.slotPair, tuples);
    this.slotEntity = growInt32(this.slotEntity, tuples);
    this.slotCount = growFloat64(this.slotCount, tuples);
    this.groupedPair = growInt32(this.groupedPair, tuples);
    this.groupedCount = growFloat64(this.groupedCount, tuples);
    this.groupedP = growFloat64(this.groupedP, tuples);
    this.entityP = growFloat64(this.entityP, tuples);
    this.entityRequests = growFloat64(this.entityRequests, tuples);
  }

  /** Counting sort of the attributes by entity position: stable, so each entity keeps its first-seen order. */
  private groupByEntity(): void {
    const { attributeStart, attributesOf, entityCount } = this;
    attributeStart[0] = 0;
    for (let i = 0; i < entityCount; i++) {
      attributeStart[i + 1] = attributeStart[i] + attributesOf[i];
      attributesOf[i] = attributeStart[i];
    }
    for (let s = 0; s < this.attributeCount; s++) {
      const at = attributesOf[this.slotEntity[s]]++;
      this.groupedPair[at] = this.slotPair[s];
      this.groupedCount[at] = this.slotCount[s];
    }
  }

  private scoreEntities(): void {
    const { attributeStart, groupedCount, groupedP, jointPs, jointWeights } = this;
    for (let i = 0; i < this.entityCount; i++) {
      const start = attributeStart[i];
      const end = attributeStart[i + 1];
      let requests = 0;
      for (let s = start; s < end; s++) {
        requests += groupedCount[s];
        groupedP[s] = this.curve.probability(this.priorIndex[this.pairs.valueOf(this.groupedPair[s])]);
      }
      this.entityRequests[i] = requests;
      const n = end - start;
      if (n === 1) {
        this.entityP[i] = groupedP[start];
        continue;
      }
      jointPs.length = 0;
      jointWeights.length = 0;
      for (let s = start; s < end; s++) {
        jointPs.push(groupedP[s]);
        jointWeights.push(this.frequencyWeighted ? 1 - Math.pow(1 - groupedCount[s] / requests, n) : 1);
      }
      this.entityP[i] = jointProbability(jointPs, jointWeights);
    }
  }

  private buildPrior(): void {
    this.priorCounts = growFloat64(this.priorCounts, this.values.size);
    let k = 0;
    for (let v = this.valueOrder.oldest; v >= 0; v = this.valueOrder.after(v)) {
      this.priorCounts[k] = this.pairs.spread(v);
      this.priorIndex[v] = k++;
    }
    this.curve.reset(this.priorCounts, k);
    this.typicalSpread = this.curve.median();
    this.priorValid = true;
  }

  private maybePrune(time: number): void {
    if (this.decayRate <= 0 || ++this.bucketsSincePrune < PRUNE_EVERY_BUCKETS) {
      return;
    }
    this.bucketsSincePrune = 0;
    const cutoff = time - (PRUNE_WINDOW_FACTOR / this.decayRate) * this.bucketSpanMs;
    // What this bucket touched was seen at `time`, after the cutoff, so its ids stay valid.
    for (let e = this.entityOrder.oldest; e >= 0 && this.entityLastSeen[e] < cutoff; e = this.entityOrder.oldest) {
      this.pairs.removeEntity(e);
      this.entityOrder.remove(e);
      this.entities.remove(e);
      this.priorValid = false;
    }
    for (let v = this.valueOrder.oldest; v >= 0 && this.valueLastSeen[v] < cutoff; v = this.valueOrder.oldest) {
      this.pairs.removeValue(v);
      this.valueOrder.remove(v);
      this.values.remove(v);
      this.priorValid = false;
    }
  }

  private restore(state: ReadPopulationStateV2): void {
    const valueIds = new Int32Array(state.byValues.length);
    for (let i = 0; i < valueIds.length; i++) {
      const v = this.placeValue(internFrom(this.values, state.byValues, i), state.byFirstSeen[i]);
      this.valueLastSeen[v] = state.byLastSeen[i];
      valueIds[i] = v;
    }
    const entityIds = new Int32Array(state.overValues.length);
    for (let i = 0; i < entityIds.length; i++) {
      const e = this.placeEntity(internFrom(this.entities, state.overValues, i));
      this.entityLastSeen[e] = state.overLastSeen[i];
      entityIds[i] = e;
    }
    // Pairs were written most recent first per entity; adding them in reverse rebuilds the same lists.
    for (let i = state.pairs.length - 2; i >= 0; i -= 2) {
      this.addPair(entityIds[state.pairs[i + 1]], valueIds[state.pairs[i]]);
    }
    this.limitedTuples = state.limitedTuples;
  }

  private restoreV1(state: PopulationStateV1): void {
    // Map insertion order is not last-seen order; a stable sort by last seen gives the order pruning needs.
    const entities = [...state.entities].sort((a, b) => a[1] - b[1]);
    for (const [name, lastSeen] of entities) {
      const e = this.addEntity(name);
      this.entityLastSeen[e] = lastSeen;
    }
    const values = [...state.values].sort((a, b) => a[2] - b[2]);
    for (const [name, firstSeen, lastSeen, pairs] of values) {
      const v = this.addValue(name, firstSeen);
      this.valueLastSeen[v] = lastSeen;
      for (const [over] of pairs) {
        const e = this.entities.id(over);
        if (e === undefined) {
          throw new Error(`population state is inconsistent: by value ${name} is paired with unknown ${over}`);
        }
        this.addPair(e, v);
      }
    }
  }

  private addPair(e: number, v: number): void {
    const pair = this.pairs.add(e, v);
    if (pair >= this.pairSlot.length) {
      this.pairSlot = growInt32(this.pairSlot, pair + 1);
    }
  }
}
