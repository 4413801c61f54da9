/** What the state store keeps. Times are epoch milliseconds, as in the engine's results. */
import type { AnomalyGroup, BucketResult, RecordResult } from '../../engine/types.ts';

export type JobStatus = 'created' | 'backfilling' | 'current' | 'failed';
export const JOB_STATUSES: readonly JobStatus[] = ['created', 'backfilling', 'current', 'failed'];

/** Elastic's model memory status. */
export type MemoryStatus = 'ok' | 'soft_limit' | 'hard_limit';
export const MEMORY_STATUSES: readonly MemoryStatus[] = ['ok', 'soft_limit', 'hard_limit'];

export interface JobRow<D = unknown> {
  key: string;
  definition: D;
  status: JobStatus;
  /** Exclusive end of the analysed buckets; null before the first committed chunk. */
  processedUntil: number | null;
  idWatermark: bigint | null;
  historyStart: number | null;
  learningUntil: number | null;
  memoryStatus: MemoryStatus;
  modelBytes: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** A bucket without its records, as the query layer keeps it. */
export type StoredBucket = Omit<BucketResult, 'records'>;

export interface StoredGroup extends AnomalyGroup {
  revised: boolean;
}

/** A group as a chunk writes it; `revised` only ever turns a stored group's flag on. */
export type GroupWrite = AnomalyGroup & { revised?: boolean };

export interface SnapshotWrite {
  /** Must equal the chunk's processedUntil: a snapshot is the model after exactly the committed buckets. */
  until: number;
  /** Version of the engine's state format, so a newer engine can refuse or convert an older snapshot. */
  formatVersion: number;
  state: unknown;
}

export interface Snapshot {
  until: number;
  formatVersion: number;
  state: unknown;
  /** Size of the state's JSON before compression. */
  stateBytes: number;
  createdAt: number;
}

export type SnapshotInfo = Omit<Snapshot, 'state'> & { compressedBytes: number };

export interface Chunk {
  buckets: StoredBucket[];
  records: RecordResult[];
  /** Every group the chunk created or changed, open ones included. */
  groups: GroupWrite[];
  snapshot: SnapshotWrite;
  processedUntil: number;
  /** Omitted: unchanged. */
  idWatermark?: bigint | null;
  status?: JobStatus;
  /** Set once: the job's history starts where its first chunk did. */
  historyStart?: number;
  learningUntil?: number | null;
  memoryStatus?: MemoryStatus;
  modelBytes?: number | null;
}

/** What a committed chunk says about the job besides its results. */
export type ProgressWrite = Omit<Chunk, 'buckets' | 'records' | 'groups'>;

export interface InterimResults {
  buckets: StoredBucket[];
  records: RecordResult[];
}

export interface Results {
  /** The job's progress in the same snapshot as the rows. */
  processedUntil: number | null;
  buckets: StoredBucket[];
  records: RecordResult[];
  /** Groups overlapping the range, each whole, in start order. */
  groups: StoredGroup[];
  /** Scored on a copy past processedUntil; empty unless asked for. */
  interim: InterimResults;
}

export interface RewindResult {
  previousProcessedUntil: number | null;
  deleted: { buckets: number; records: number; groups: number; snapshots: number };
  /**
   * Groups reaching past the rewind point as they were before it, so the caller can tell which groups the
   * re-analysis changed and mark them revised.
   */
  affectedGroups: StoredGroup[];
}

export interface RetentionResult {
  buckets: number;
  /** Records of single-detector jobs and of jobs with several detectors. */
  records: number;
  influencers: number;
  groups: number;
  snapshots: number;
}

// ---- jobs with several detectors ----

export interface JobResultBucket {
  time: number;
  rawScore: number;
  score: number;
  probability: number;
  learning: boolean;
  eventCount: number;
}

export interface JobResultRecord {
  time: number;
  score: number;
  probability: number;
  /** Index of the detector in the job (Elastic's detector_index). */
  detector: number;
  function: string;
  by: string;
  over: string | null;
  partition: string | null;
  typical: number;
  actual: number;
  count: number;
  influencers: Array<{ field: string; value: string; influence: number }>;
  explanation: string;
  groupId: string | null;
}

export interface InfluencerResult {
  time: number;
  field: string;
  value: string;
  score: number;
  probability: number;
}

/** A job's anomaly group: one value of its group field over consecutive anomalous buckets. */
export interface JobResultGroup {
  id: string;
  entity: string;
  start: number;
  end: number;
  /** Decimal text: log ids may pass 2^53. Null when no row of the span was left when it was counted. */
  startingAt: string | null;
  endingAt: string | null;
  maxScore: number;
  requests: number;
  successful: number;
  unsuccessful: number;
  explanation: string;
  open: boolean;
  revised?: boolean;
}

export interface JobChunk extends ProgressWrite {
  buckets: JobResultBucket[];
  /** In the job's order within each bucket. */
  records: JobResultRecord[];
  influencers: InfluencerResult[];
  /** Every group the chunk created, extended or closed. */
  groups: JobResultGroup[];
}

export interface JobResults {
  processedUntil: number | null;
  buckets: JobResultBucket[];
  records: JobResultRecord[];
  influencers: InfluencerResult[];
  /** Groups overlapping the range, each whole, by start then value. */
  groups: JobResultGroup[];
}
