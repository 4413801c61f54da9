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
  bareAggregateSql,
  streamBuckets,
  MAX_BUCKETS,
  DEFAULT_BATCH_SIZE,
  type PushdownPlan,
  type StreamOptions,
} from './pushdown.ts';
export { tableBounds, type BoundsRequest, type TableBounds } from './bounds.ts';
export { fetchLogs, type LogsRequest, type LogRow } from './logs.ts';
export { topValues, type TopValuesOptions, type ValueCount } from './values.ts';
export { run, type Statement } from './query.ts';
export type { TableRef } from './tableRef.ts';
