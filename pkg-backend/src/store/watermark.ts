/**
 * Id watermarks for incremental detection. Log ids grow as rows are appended, so "rows with an id above the
 * watermark whose time is before the checkpoint" are exactly the late arrivals a kept model has not seen.
 * Both statements walk the id index from the watermark only, so they stay cheap on large tables.
 */
import type pg from 'pg';
import type { QueryFilter } from '../../../common/queryModel.ts';
import { columnRef } from './catalogue.ts';
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

/** True when a row appended after the watermark is dated before `before` (and passes the filters). */
export async function hasLateRows(pool: pg.Pool, request: LateRowsRequest): Promise<boolean> {
  const info = await tableInfo(pool, request.table);
  const id = columnOf(info, request.idColumn, 'id');
  const time = columnOf(info, request.timeColumn, 'time');
  const params = new Params();
  const after =
    request.afterId === null ? 'TRUE' : `${columnRef(id)} > ${params.typed(request.afterId.toString(), id.castType)}`;
  const before = `${asTimestamptz(time)} < ${params.typed(request.before.toISOString(), 'timestamptz')}`;
  const where = filtersSql(info, request.filters, params);
  const res = await run<{ late: boolean }>(
    pool,
    {
      text: `SELECT EXISTS (SELECT 1 FROM ${info.qualified} AS t WHERE ${after} AND ${before} AND ${where}) AS late`,
      values: params.values,
    },
    { table: tableLabel(info), operation: 'late rows', filters: true },
  );
  return res.rows[0].late;
}

/** Time (ms) of the earliest row appended after the watermark and dated before `before`; null when none. */
export async function earliestLateRow(pool: pg.Pool, request: LateRowsRequest): Promise<number | null> {
  const info = await tableInfo(pool, request.table);
  const id = columnOf(info, request.idColumn, 'id');
  const time = columnOf(info, request.timeColumn, 'time');
  const params = new Params();
  const after =
    request.afterId === null ? 'TRUE' : `${columnRef(id)} > ${params.typed(request.afterId.toString(), id.castType)}`;
  const before = `${asTimestamptz(time)} < ${params.typed(request.before.toISOString(), 'timestamptz')}`;
  const where = filtersSql(info, request.filters, params);
  const res = await run<{ earliest: number | null }>(
    pool,
    {
      text: `SELECT round(extract(epoch FROM min(${asTimestamptz(time)})) * 1000)::float8 AS earliest
             FROM ${info.qualified} AS t WHERE ${after} AND ${before} AND ${where}`,
      values: params.values,
    },
    { table: tableLabel(info), operation: 'late rows', filters: true },
  );
  return res.rows[0].earliest;
}
