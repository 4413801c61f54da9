/**
 * Id watermarks for incremental detection. Log ids grow as rows are appended, so "rows with an id above the
 * watermark whose time is before the checkpoint" are exactly the late arrivals a kept model has not seen.
 * Both statements walk the id index from the watermark only, so they stay cheap on large tables.
 */
import type pg from 'pg';
import type { QueryFilter } from '../../../common/queryModel.ts';
import { columnRef, type TableInfo } from './catalogue.ts';
import { Params, filtersSql } from './filters.ts';
import { run } from './query.ts';
import { columnOf, tableInfo, tableLabel, type ColumnRef, type TableRef } from './tableRef.ts';
import { asTimestamptz } from './timeRange.ts';

/** The largest id in the table, or null when it is empty. */
export async function maxId(pool: pg.Pool, table: TableRef, idColumn: ColumnRef): Promise<bigint | null> {
  const info = await tableInfo(pool, table);
  const id = columnOf(info, idColumn, 'id');
  const res = await run<{ max: string | null }>(
    pool,
    { text: `SELECT max(${columnRef(id)})::text AS max FROM ${info.qualified} AS t`, values: [] },
    { table: tableLabel(info), operation: 'id watermark' },
  );
  return res.rows[0].max === null ? null : BigInt(res.rows[0].max);
}

export interface LateRowsRequest {
  table: TableRef;
  idColumn: ColumnRef;
  timeColumn: ColumnRef;
  afterId: bigint | null;
  before: Date;
  filters?: QueryFilter[];
}

/**
 * Rows appended after the watermark that pass the filters, as a subquery yielding their time: the OFFSET 0
 * fence keeps the planner on the id index. Left free, it reads `min(time)` or `EXISTS` from the time index
 * instead, walking the whole history from its start past every row older than the watermark (seconds on
 * ten million rows once a few thousand rows are new; a few milliseconds this way).
 */
function appendedRows(info: TableInfo, request: LateRowsRequest, params: Params): { sql: string; before: string } {
  const id = columnOf(info, request.idColumn, 'id');
  const time = columnOf(info, request.timeColumn, 'time');
  const after =
    request.afterId === null ? 'TRUE' : `${columnRef(id)} > ${params.typed(request.afterId.toString(), id.castType)}`;
  const where = filtersSql(info, request.filters, params);
  return {
    sql: `(SELECT ${asTimestamptz(time)} AS ts FROM ${info.qualified} AS t WHERE ${after} AND ${where} OFFSET 0) AS appended`,
    before: `appended.ts < ${params.typed(request.before.toISOString(), 'timestamptz')}`,
  };
}

/** True when a row appended after the watermark is dated before `before` (and passes the filters). */
export async function hasLateRows(pool: pg.Pool, request: LateRowsRequest): Promise<boolean> {
  const info = await tableInfo(pool, request.table);
  const params = new Params();
  const appended = appendedRows(info, request, params);
  const res = await run<{ late: boolean }>(
    pool,
    {
      text: `SELECT EXISTS (SELECT 1 FROM ${appended.sql} WHERE ${appended.before}) AS late`,
      values: params.values,
    },
    { table: tableLabel(info), operation: 'late rows', filters: true },
  );
  return res.rows[0].late;
}

/** Time (ms) of the earliest row appended after the watermark and dated before `before`; null when none. */
export async function earliestLateRow(pool: pg.Pool, request: LateRowsRequest): Promise<number | null> {
  const info = await tableInfo(pool, request.table);
  const params = new Params();
  const appended = appendedRows(info, request, params);
  const res = await run<{ earliest: number | null }>(
    pool,
    {
      text: `SELECT round(date_part('epoch', min(appended.ts)) * 1000) AS earliest
             FROM ${appended.sql} WHERE ${appended.before}`,
      values: params.values,
    },
    { table: tableLabel(info), operation: 'late rows', filters: true },
  );
  return res.rows[0].earliest;
}
