/**
 * The store's public API: the only module other layers (query, plugin, cli, demo, bench, tests outside
 * test/store) import from pkg-backend/src/store. It exports what they use and nothing more; the SQL behind it
 * stays inside the store.
 */
export { StoreError, cancelledError } from './errors.ts';
export {
  createPool,
  configFromDataSourceSettings,
  connectionTarget,
  parseHostPort,
  SSL_MODES,
  type ConnectionConfig,
} from './connection.ts';
export { startEmbeddedPostgres, reachableDataDir, freePort, type EmbeddedHandle } from './embedded.ts';
export { ping } from './query.ts';
export {
  listTables,
  describeTable,
  currentSchema,
  resolveColumn,
  type TableInfo,
  type ColumnInfo,
  type TableScope,
} from './catalogue.ts';
export { parseTableName } from './identifiers.ts';
export { checkPredicate } from './filters.ts';
export type { PushdownPlan } from './pushdown.ts';
export { streamBuckets, streamChunks, type ChunkEvent, type ChunkedStreamOptions } from './pushdownStream.ts';
export {
  resolveJobField,
  jobFieldName,
  type JobField,
  type JobPushdownPlan,
  type JobPushdownDetector,
} from './jobPushdown.ts';
export { streamJobChunks, type JobChunkEvent } from './jobStream.ts';
export { groupSpanStats, type GroupSpan, type GroupSpanStats, type GroupStatsPlan } from './jobGroups.ts';
export { tableBounds, timeExtent } from './bounds.ts';
export { earliestLateRow, hasLateRows, maxId } from './watermark.ts';
export { fetchLogs, type LogRow } from './logs.ts';
export { topValues } from './values.ts';
// The demo seed and the benchmarks.
export { loadLogTable, emptyColumns, type IfTableExists, type RowColumns } from './demoTable.ts';
export {
  ensureBenchTable,
  appendBenchRows,
  trimBenchTable,
  BENCH_TABLE_START,
  BENCH_TABLE_DAYS,
} from './benchTable.ts';
export { runBareAggregate } from './baseline.ts';
export { createShardedCopy, dropShardedCopy, type ShardServer, type ShardedCopy } from './shardedTable.ts';
export {
  openStateStore,
  StateStore,
  DEFAULT_STATE_SCHEMA,
  LATEST_STATE_VERSION,
  JOB_STATUSES,
  MEMORY_STATUSES,
  parseStateSchema,
  type StateOpenResult,
  type StateReady,
  type StateUnavailable,
  type OpenStateOptions,
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
  type JobLockOptions,
  type JobLockResult,
  type MemoryStatus,
  type ReadOptions,
  type Results,
  type RetentionResult,
  type RewindOptions,
  type RewindResult,
  type Snapshot,
  type SnapshotInfo,
  type SnapshotWrite,
  type StoredBucket,
  type StoredGroup,
} from './state/index.ts';
