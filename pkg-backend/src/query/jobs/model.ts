/**
 * The model of a persisted job: detector plus group tracker, advanced over a range of buckets at a time.
 * Unlike DetectionRun it keeps no results: each advance hands back what the range produced (buckets, records,
 * the groups it touched), ready to be committed as one chunk, and the state it snapshots holds open groups
 * only, because closed groups are already results.
 */
import type pg from 'pg';
import type { JobMemoryStatus } from '../../../../common/resources.ts';
import { Detector, type DetectorSnapshot, type DetectorState } from '../../engine/detector.ts';
import { GroupTracker, type GroupTrackerState } from '../../engine/groups.ts';
import type { AnomalyGroup, BucketInput, RecordResult } from '../../engine/types.ts';
import { cancelledError, streamBuckets } from '../../store/index.ts';
import { feedBucket, type BucketSummary } from '../bucketFeed.ts';
import { detectorSpec, pushdownPlan } from '../definition.ts';
import type { PreparedDetection } from '../detection.ts';
import { detectorMemory, type ModelMemory } from '../modelMemory.ts';

/** Version of ModelState inside a snapshot; a snapshot of another version is not resumed from. */
export const MODEL_FORMAT_VERSION = 1;

export interface ModelState {
  detector: DetectorState;
  tracker: GroupTrackerState;
}

/** ModelState as a snapshot is written from: the same JSON text, the detector's arrays as columns. */
export type ModelSnapshot = Omit<ModelState, 'detector'> & { detector: DetectorSnapshot };

export interface RangeResults {
  buckets: BucketSummary[];
  records: RecordResult[];
  /** Groups closed in the range, then those still open at its end (copies). */
  groups: AnomalyGroup[];
  bucketsProcessed: number;
  tuples: number;
}

export class JobModel {
  private readonly detector: Detector;
  private readonly tracker: GroupTracker;

  constructor(
    readonly prepared: PreparedDetection,
    /** Every bucket before this time (ms) is in the model. */
    public until: number,
    state?: ModelState,
  ) {
    // The limit is the one set now, whatever the snapshot's spec says: a changed limit applies from here on.
    this.detector = new Detector(detectorSpec(prepared.definition, prepared.modelMemoryLimitBytes), state?.detector);
    this.tracker = state
      ? GroupTracker.fromJSON(state.tracker)
      : new GroupTracker({
          detectorKey: prepared.key,
          bucketSpanMs: prepared.definition.spanMs,
          threshold: prepared.definition.groupThreshold,
          population: prepared.definition.overColumn !== null,
        });
  }

  private pending: RangeResults = emptyRange();

  /** Buckets were fed since the last endRange: the model is ahead of `until`. */
  get dirty(): boolean {
    return this.pending.bucketsProcessed > 0;
  }

  /** Feeds one bucket of the range being advanced; endRange hands the range's results over. */
  feed(input: BucketInput): void {
    this.pending.bucketsProcessed++;
    this.pending.tuples += input.tuples.length;
    feedBucket(this.detector, this.tracker, input, this.pending);
  }

  /** Every bucket before `to` has been fed: returns what the range produced, the groups it touched included. */
  endRange(to: number): RangeResults {
    const out = this.pending;
    this.pending = emptyRange();
    this.until = to;
    out.groups = [...this.tracker.drainClosed(), ...this.openGroups()];
    return out;
  }

  /** Feeds [until, to) from PostgreSQL in one statement (a job's interim bucket) and returns what it produced. */
  async advance(pool: pg.Pool, to: number, signal?: AbortSignal): Promise<RangeResults> {
    if (to <= this.until) {
      return emptyRange();
    }
    const plan = pushdownPlan(this.prepared.definition, new Date(this.until), new Date(to));
    for await (const input of streamBuckets(pool, plan, { signal })) {
      if (signal?.aborted) {
        throw cancelledError();
      }
      this.feed(input);
    }
    return this.endRange(to);
  }

  openGroups(): AnomalyGroup[] {
    return this.tracker
      .groups()
      .filter((g) => g.open)
      .map((g) => ({ ...g }));
  }

  /**
   * The state for a snapshot about to be written: the model's long arrays are columns read from the live model
   * as it is written, so it must be serialised before the model is fed again (the advance feeds it only once
   * commitChunk has resolved). Built as arrays, a million entities' state was some 80 MB more at every chunk.
   */
  snapshotState(): ModelSnapshot {
    return { detector: this.detector.snapshotJSON(), tracker: this.tracker.toJSON() };
  }

  /** The detector's memory status and estimated bytes, as each chunk records them in the job's row. */
  memoryUse(): { status: JobMemoryStatus; bytes: number } {
    return { status: this.detector.memoryStatus, bytes: Math.round(this.detector.memoryBytes) };
  }

  /** The report a result carries while the model is near or at its limit. */
  memory(): ModelMemory | undefined {
    return detectorMemory(this.detector);
  }

  /** End of the learning period; null while no bucket with data has been seen (everything is learning). */
  learningUntil(): number | null {
    // Not read from toJSON(): at a million entities that built the whole state, some 90 MB, at every chunk.
    const first = this.detector.firstDataBucket;
    return first === null ? null : first + this.detector.resolved.learningBuckets * this.detector.resolved.bucketSpanMs;
  }
}

function emptyRange(): RangeResults {
  return { buckets: [], records: [], groups: [], bucketsProcessed: 0, tuples: 0 };
}

/** True for a state this code can resume from. */
export function isModelState(formatVersion: number, state: unknown): state is ModelState {
  const s = state as Partial<ModelState> | null;
  return formatVersion === MODEL_FORMAT_VERSION && !!s && typeof s === 'object' && !!s.detector && !!s.tracker;
}
