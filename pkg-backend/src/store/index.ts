/** The store's public API: the only module other layers import from pkg-backend/src/store. */
export { StoreError, toStoreError, type StoreErrorKind, type ErrorContext } from './errors.ts';
export {
  createPool,
  configFromDataSourceSettings,
  parseHostPort,
  poolConfig,
  connectionTarget,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  SSL_MODES,
  type ConnectionConfig,
  type DataSourceSettingsLike,
  type SslMode,
} from './connection.ts';
export { parseTableName, parseColumnName, quoteIdent, quoteQualified, MAX_IDENTIFIER_BYTES, type TableName } from './identifiers.ts';
export {
  listTables,
  describeTable,
  resolveColumn,
  tableColumn,
  columnRef,
  type TableSummary,
  type TableInfo,
  type ColumnInfo,
  type ColumnPurpose,
  type ColumnCategory,
} from './catalogue.ts';
export { Params, predicateSql, filtersSql, successSql } from './filters.ts';
export {
  pushdownSql,
  streamBuckets,
  DEFAULT_BATCH_SIZE,
  type PushdownPlan,
  type StreamOptions,
} from './pushdown.ts';
export { tableBounds, timeExtent, type BoundsRequest, type TableBounds } from './bounds.ts';
export { hasLateRows, maxId, type LateRowsRequest } from './watermark.ts';
export { fetchLogs, type LogsRequest, type LogRow } from './logs.ts';
export { topValues, type TopValuesOptions, type ValueCount } from './values.ts';
export { ping, run, type Statement } from './query.ts';
export type { ColumnRef, TableRef } from './tableRef.ts';
export { startEmbeddedPostgres, reachableDataDir, freePort, type EmbeddedHandle } from './embedded.ts';
export { loadLogTable, emptyColumns, type IfTableExists, type InsertBatch, type RowColumns } from './demoTable.ts';
export { ensureBenchTable } from './benchTable.ts';
export { runBareAggregate } from './baseline.ts';
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
  type InterimResults,
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
