/**
 * Lets public functions take either a described table (and columns resolved against it) or user-typed names.
 * Described ones are not looked up again; they are only checked to belong to the table.
 */
import type pg from 'pg';
import {
  describeTable,
  resolveColumn,
  tableColumn,
  type ColumnInfo,
  type ColumnPurpose,
  type TableInfo,
} from './catalogue.ts';

export type TableRef = TableInfo | string;
export type ColumnRef = ColumnInfo | string;

export function columnOf(table: TableInfo, column: ColumnRef, purpose: ColumnPurpose): ColumnInfo {
  return typeof column === 'string' ? resolveColumn(table, column, purpose) : tableColumn(table, column, purpose);
}

export async function tableInfo(pool: pg.Pool, table: TableRef): Promise<TableInfo> {
  return typeof table === 'string' ? describeTable(pool, table) : table;
}

export function tableLabel(table: TableInfo): string {
  return `${table.schema}.${table.name}`;
}
