/** How much data a table (or a filtered range of it) holds, and over which time span. */
import type pg from 'pg';
import type { QueryFilter } from '../../../common/queryModel.ts';
import { Params, filtersSql } from './filters.ts';
import { run } from './query.ts';
import { columnOf, tableInfo, tableLabel, type ColumnRef, type TableRef } from './tableRef.ts';
import { asTimestamptz, rangeSql } from './timeRange.ts';

export interface BoundsRequest {
  table: TableRef;
  timeColumn: ColumnRef;
  filters?: QueryFilter[];
  from?: Date;
  to?: Date;
}

export interface TableBounds {
  rows: number;
  from: Date | null;
  to: Date | null;
}

/** Exact row count and first/last time; min/max come from the time index when one exists. */
export async function tableBounds(pool: pg.Pool, request: BoundsRequest): Promise<TableBounds> {
  const table = await tableInfo(pool, request.table);
  const time = columnOf(table, request.timeColumn, 'time');
  const params = new Params();
  const range = rangeSql(time, request.from, request.to, params);
  const where = filtersSql(table, request.filters, params);
  const res = await run<{ rows: string; first: Date | null; last: Date | null }>(
    pool,
    {
      text: `SELECT count(*)::text AS rows, min(${asTimestamptz(time)}) AS first, max(${asTimestamptz(time)}) AS last
               FROM ${table.qualified} AS t WHERE ${range} AND ${where}`,
      values: params.values,
    },
    { table: tableLabel(table), operation: 'table bounds', filters: true },
  );
  const row = res.rows[0];
  return { rows: Number(row.rows), from: row.first, to: row.last };
}

/**
 * First and last time only. Without count(*) PostgreSQL answers min/max from the time index (MinMaxAgg),
 * so detection can find where history starts without scanning the table.
 */
export async function timeExtent(
  pool: pg.Pool,
  request: BoundsRequest,
): Promise<{ from: Date | null; to: Date | null }> {
  const table = await tableInfo(pool, request.table);
  const time = columnOf(table, request.timeColumn, 'time');
  const params = new Params();
  const range = rangeSql(time, request.from, request.to, params);
  const where = filtersSql(table, request.filters, params);
  const res = await run<{ first: Date | null; last: Date | null }>(
    pool,
    {
      text: `SELECT min(${asTimestamptz(time)}) AS first, max(${asTimestamptz(time)}) AS last
               FROM ${table.qualified} AS t WHERE ${range} AND ${where}`,
      values: params.values,
    },
    { table: tableLabel(table), operation: 'time extent', filters: true },
  );
  return { from: res.rows[0].first, to: res.rows[0].last };
}
