/** The persisted state of detection jobs (docs/persistence.md), exported through store/index.ts. */
export {
  openStateStore,
  type OpenStateOptions,
  type StateOpenResult,
  type StateReady,
  type StateUnavailable,
} from './open.ts';
export { StateStore } from './store.ts';
export { DEFAULT_STATE_SCHEMA, parseStateSchema, type StateSchema } from './schemaName.ts';
export { LATEST_STATE_VERSION, MIGRATIONS, type Migration } from './migrations.ts';
export { advisoryKey, type JobLockOptions, type JobLockResult } from './jobLock.ts';
export { encodeSnapshot, decodeSnapshot } from './snapshotCodec.ts';
export type { EnsureJobOptions } from './jobs.ts';
export type { ReadOptions, RewindOptions } from './results.ts';
export {
  JOB_STATUSES,
  MEMORY_STATUSES,
  type Chunk,
  type GroupWrite,
  type InfluencerResult,
  type InterimResults,
  type JobChunk,
  type JobResultBucket,
  type JobResultGroup,
  type JobResultRecord,
  type JobResults,
  type JobRow,
  type JobStatus,
  type MemoryStatus,
  type Results,
  type RetentionResult,
  type RewindResult,
  type Snapshot,
  type SnapshotInfo,
  type SnapshotWrite,
  type StoredBucket,
  type StoredGroup,
} from './types.ts';
