/**
 * The job's models: one per (detector, partition value), created at the first tuple of that value so its
 * history starts there (CAnomalyJob::detectorForKey). Models share only the job's config; the memory limit
 * holds for their sum, as Elastic's model_memory_limit does for a whole job: each model is handed, for the
 * duration of its bucket, the room the others leave, and no new partition is created at the limit.
 */
import { isLearning, type ResolvedSpec } from '../model/config.ts';
import { createModel, type ModelState, restoreModel } from '../model/factory.ts';
import type { CategoryModel } from '../model/observation.ts';
import type { JobTuple } from './types.ts';

export interface ModelSlot {
  detector: number;
  /** null when the detector has no partition field. */
  partition: string | null;
  model: CategoryModel;
  firstBucket: number | null;
  lastBucket: number | null;
  buckets: number;
  /** model.memoryBytes as of its last bucket, so the job's total needs no walk over every model. */
  bytes: number;
}

export interface ModelSlotState<M = ModelState> {
  detector: number;
  partition: string | null;
  firstBucket: number | null;
  lastBucket: number | null;
  buckets: number;
  model: M;
}

/** A slot as a snapshot is written from: its model's long arrays as columns. */
export type ModelSlotSnapshot = ModelSlotState<unknown>;

/** A model's part of one bucket: its tuples and how many entities it observed. */
export interface ObservedSlot {
  slot: ModelSlot;
  tuples: readonly JobTuple[];
  entities: number;
  learning: boolean;
}

export class ModelSet {
  /** Per detector: partition value ("" without a partition field) → slot. */
  private readonly slots: Array<Map<string, ModelSlot>>;
  private totalBytes = 0;
  /** Tuples of partitions that could not get a model because the job was at its memory limit. */
  private refusedTuples = 0;
  /** The earliest first bucket of any model: the job is learning until that one has learned. */
  private firstBucket: number | null = null;

  constructor(
    private readonly resolved: readonly ResolvedSpec[],
    private readonly partitionFields: ReadonlyArray<string | null>,
    private readonly limitBytes: number,
  ) {
    this.slots = resolved.map(() => new Map());
  }

  static fromJSON(
    resolved: readonly ResolvedSpec[],
    partitionFields: ReadonlyArray<string | null>,
    limitBytes: number,
    states: readonly ModelSlotState[],
    refusedTuples: number,
  ): ModelSet {
    const set = new ModelSet(resolved, partitionFields, limitBytes);
    for (const s of states) {
      if (!(s.detector >= 0 && s.detector < resolved.length)) {
        throw new Error(`job state holds a model of detector ${s.detector}; the job has ${resolved.length}`);
      }
      const model = restoreModel(s.model);
      const slot: ModelSlot = { ...s, model, bytes: model.memoryBytes };
      set.slots[s.detector].set(s.partition ?? '', slot);
      set.totalBytes += slot.bytes;
      set.noteFirstBucket(slot.firstBucket);
    }
    set.refusedTuples = refusedTuples;
    return set;
  }

  toJSON(): { models: ModelSlotState[]; refusedTuples: number } {
    return this.states((model) => model.toJSON() as ModelState);
  }

  /** toJSON's state with each model's long arrays as columns (CategoryModel.snapshotJSON). */
  snapshotJSON(): { models: ModelSlotSnapshot[]; refusedTuples: number } {
    return this.states((model) => model.snapshotJSON());
  }

  private states<M>(state: (model: CategoryModel) => M): { models: Array<ModelSlotState<M>>; refusedTuples: number } {
    const models: Array<ModelSlotState<M>> = [];
    for (const perDetector of this.slots) {
      for (const { detector, partition, firstBucket, lastBucket, buckets, model } of perDetector.values()) {
        models.push({ detector, partition, firstBucket, lastBucket, buckets, model: state(model) });
      }
    }
    return { models, refusedTuples: this.refusedTuples };
  }

  /** Estimated bytes of all models: what the memory limit applies to. */
  get modelBytes(): number {
    return this.totalBytes;
  }

  get size(): number {
    return this.slots.reduce((n, perDetector) => n + perDetector.size, 0);
  }

  get limitedTuples(): number {
    let n = this.refusedTuples;
    for (const perDetector of this.slots) {
      for (const slot of perDetector.values()) {
        n += slot.model.limitedTuples;
      }
    }
    return n;
  }

  /** True while no model is past its learning period at `time`. */
  isLearning(time: number): boolean {
    return this.firstBucket === null || isLearning(this.firstBucket, time, this.resolved[0]);
  }

  /** Feeds detector `d`'s tuples of one bucket to its partitions' models. */
  observe(d: number, time: number, tuples: readonly JobTuple[]): ObservedSlot[] {
    if (tuples.length === 0) {
      return [];
    }
    const observed: ObservedSlot[] = [];
    for (const [partition, part] of this.split(d, tuples)) {
      const slot = this.slot(d, partition, part.length);
      if (slot) {
        observed.push(this.observeSlot(slot, time, part));
      }
    }
    return observed;
  }

  private split(d: number, tuples: readonly JobTuple[]): Map<string, readonly JobTuple[]> {
    if (this.partitionFields[d] === null) {
      return new Map([['', tuples]]);
    }
    const parts = new Map<string, JobTuple[]>();
    for (const t of tuples) {
      const partition = t.partition ?? '';
      const part = parts.get(partition);
      if (part) {
        part.push(t);
      } else {
        parts.set(partition, [t]);
      }
    }
    return parts;
  }

  private slot(d: number, partition: string, tuples: number): ModelSlot | undefined {
    let slot = this.slots[d].get(partition);
    if (!slot) {
      if (this.totalBytes >= this.limitBytes) {
        this.refusedTuples += tuples;
        return undefined;
      }
      const model = createModel(this.resolved[d]);
      slot = {
        detector: d,
        partition: this.partitionFields[d] === null ? null : partition,
        model,
        firstBucket: null,
        lastBucket: null,
        buckets: 0,
        bytes: model.memoryBytes,
      };
      this.slots[d].set(partition, slot);
      this.totalBytes += slot.bytes;
    }
    return slot;
  }

  private observeSlot(slot: ModelSlot, time: number, tuples: readonly JobTuple[]): ObservedSlot {
    slot.firstBucket ??= time;
    this.noteFirstBucket(slot.firstBucket);
    slot.lastBucket = time;
    slot.buckets++;
    slot.model.limitBytes = this.limitBytes - (this.totalBytes - slot.bytes);
    const entities = slot.model.observe(time, tuples);
    const bytes = slot.model.memoryBytes;
    this.totalBytes += bytes - slot.bytes;
    slot.bytes = bytes;
    return { slot, tuples, entities, learning: isLearning(slot.firstBucket, time, this.resolved[slot.detector]) };
  }

  private noteFirstBucket(time: number | null): void {
    if (time !== null && (this.firstBucket === null || time < this.firstBucket)) {
      this.firstBucket = time;
    }
  }
}
