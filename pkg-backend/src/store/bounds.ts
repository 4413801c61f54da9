/**
 * How much data a table (or a filtered range of it) holds, and over which time span. On a table partitioned by
 * time the aggregate is taken leaf by leaf (`FROM ONLY leaf`) and combined: postgres_fdw ships a count / min /
 * max over one foreign table to its server, whereas over the parent it pulls every timestamp of every foreign
 * partition to the coordinator.
 */
import type pg from 'pg';
import type { QueryFilter } from '../../../common/queryModel.ts';
import type { ColumnInfo, TableInfo } from './catalogue.ts';
import { Params, filtersSql } from './filters.ts';
import { unionSql } from './partitionPushdown.ts';
import { partitionLayout } from './partitions.ts';
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

/**
 * `SELECT <aggregates> FROM <table> AS t WHERE …`, or on a time-partitioned table the same per leaf under a
 * UNION ALL with `outer` combining them (each leaf's output columns named as the outer query reads them).
 */
async function perLeaf(
  pool: pg.Pool,
  table: TableInfo,
  time: ColumnInfo,
  inner: string,
  outer: string,
  where: string,
): Promise<string> {
  const layout = await partitionLayout(pool, table, time, 'table bounds');
  if (!layout) {
    return `SELECT ${inner} FROM ${table.qualified} AS t WHERE ${where}`;
  }
  const leaves = unionSql(layout.partitions, (p) => `SELECT ${inner} FROM ONLY ${p.qualified} AS t WHERE ${where}`);
  return `SELECT ${outer} FROM (${leaves}) AS leaf`;
}

/** Exact row count and first/last time; min/max come from the time index when one exists. */
export async function tableBounds(pool: pg.Pool, request: BoundsRequest): Promise<TableBounds> {
  const table = await tableInfo(pool, request.table);
  const time = columnOf(table, request.timeColumn, 'time');
  const params = new Params();
  const range = rangeSql(time, request.from, request.to, params);
  const where = filtersSql(table, request.filters, params);
  const text = await perLeaf(
    pool,
    table,
    time,
    `count(*) AS rows, min(${asTimestamptz(time)}) AS first, max(${asTimestamptz(time)}) AS last`,
    'sum(leaf.rows) AS rows, min(leaf.first) AS first, max(leaf.last) AS last',
    `${range} AND ${where}`,
  );
  const res = await run<{ rows: string; first: Date | null; last: Date | null }>(
    pool,
    { text: `SELECT b.rows::text AS rows, b.first, b.last FROM (${text}) AS b`, values: params.values },
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
  const text = await perLeaf(
    pool,
    table,
    time,
    `min(${asTimestamptz(time)}) AS first, max(${asTimestamptz(time)}) AS last`,
    'min(leaf.first) AS first, max(leaf.last) AS last',
    `${range} AND ${where}`,
  );
  const res = await run<{ first: Date | null; last: Date | null }>(
    pool,
    { text, values: params.values },
    { table: tableLabel(table), operation: 'time extent', filters: true },
  );
  return { from: res.rows[0].first, to: res.rows[0].last };
}
