/**
 * A detector definition: a DetectorRequest resolved against the catalogue, once. The table and every column
 * are the catalogue's own descriptions, the span is in milliseconds and every default is filled in, so what
 * runs is exactly what is described. The job key (detectorKey.ts), the pushdown plan, the engine's spec and
 * the description people see are all derived from it; nothing downstream looks a name up again.
 *
 * A plain object (no class, no Date, no bigint): it can be hashed, stored and compared as JSON.
 */
import type pg from 'pg';
import { MIN_LEARNING_BUCKETS } from '../../../common/limits.ts';
import type { DetectorFunction, QueryFilter, SuccessRule } from '../../../common/queryModel.ts';
import { DEFAULT_GROUP_THRESHOLD } from '../engine/model/config.ts';
import type { DetectorSpec } from '../engine/types.ts';
import { describeTable, resolveColumn, type ColumnInfo, type PushdownPlan, type TableInfo } from '../store/index.ts';
import { QueryError } from './queryError.ts';
import type { DetectorRequest } from './request.ts';

export interface DetectorDefinition {
  table: TableInfo;
  timeColumn: ColumnInfo;
  idColumn: ColumnInfo;
  function: DetectorFunction;
  byColumn: ColumnInfo;
  /** Set for population analysis (always for freq_rare). */
  overColumn: ColumnInfo | null;
  /** As written, for people; spanMs for everything else. */
  bucketSpan: string;
  spanMs: number;
  filters: QueryFilter[];
  successRule: SuccessRule | null;
  learningBuckets: number;
  groupThreshold: number;
}

/** What a result says about the detector that produced it (frames' meta, the command line's output). */
export interface DetectorDescription {
  key: string;
  table: string;
  function: DetectorFunction;
  byField: string;
  overField: string | null;
  bucketSpan: string;
  bucketSpanSeconds: number;
  learningBuckets: number;
}

/** The one catalogue lookup of a request: its table, then each column for the role it plays. */
export async function defineDetector(pool: pg.Pool, request: DetectorRequest): Promise<DetectorDefinition> {
  const table = await describeTable(pool, request.table);
  const byColumn = resolveColumn(table, request.byField, 'by');
  const overColumn = request.overField ? resolveColumn(table, request.overField, 'over') : null;
  // The validator compares the names as written; "a.b" quoted and a.b as the catalogue spells it are one column.
  if (overColumn?.name === byColumn.name) {
    throw new QueryError(
      `Over field ${JSON.stringify(request.overField)} is the same column as the by field (${byColumn.name}); choose a different field`,
      'overField',
    );
  }
  return {
    table,
    timeColumn: resolveColumn(table, request.timeColumn, 'time'),
    idColumn: resolveColumn(table, request.idColumn, 'id'),
    function: request.function,
    byColumn,
    overColumn,
    bucketSpan: request.bucketSpan,
    spanMs: request.bucketSpanMs,
    filters: request.filters,
    successRule: request.successRule ?? null,
    learningBuckets: request.learningBuckets ?? MIN_LEARNING_BUCKETS,
    groupThreshold: request.groupThreshold ?? DEFAULT_GROUP_THRESHOLD,
  };
}

/**
 * The engine's view: field names and numbers only. The memory limit comes from the datasource settings, not
 * the definition: it bounds the model rather than changing what it detects, so it is left out of the job's
 * identity and a changed limit applies from a job's next advance instead of starting it again.
 */
export function detectorSpec(definition: DetectorDefinition, modelMemoryLimitBytes?: number): DetectorSpec {
  return {
    function: definition.function,
    byField: definition.byColumn.name,
    overField: definition.overColumn?.name,
    bucketSpanSeconds: definition.spanMs / 1000,
    learningBuckets: definition.learningBuckets,
    groupThreshold: definition.groupThreshold,
    modelMemoryLimitBytes,
  };
}

/** The store's aggregate over [from, to). */
export function pushdownPlan(definition: DetectorDefinition, from: Date, to: Date): PushdownPlan {
  return {
    table: definition.table,
    timeColumn: definition.timeColumn,
    idColumn: definition.idColumn,
    byColumn: definition.byColumn,
    overColumn: definition.overColumn ?? undefined,
    bucketSpanSeconds: definition.spanMs / 1000,
    from,
    to,
    filters: definition.filters,
    successRule: definition.successRule ?? undefined,
  };
}

export function describeDetector(definition: DetectorDefinition, key: string): DetectorDescription {
  return {
    key,
    table: definition.table.qualified,
    function: definition.function,
    byField: definition.byColumn.name,
    overField: definition.overColumn?.name ?? null,
    bucketSpan: definition.bucketSpan,
    bucketSpanSeconds: definition.spanMs / 1000,
    learningBuckets: definition.learningBuckets,
  };
}
