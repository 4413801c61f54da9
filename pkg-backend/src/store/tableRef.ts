/** Lets public functions take either a described table or a user-typed name. */
import type pg from 'pg';
import { describeTable, type TableInfo } from './catalogue.ts';

export type TableRef = TableInfo | string;

export async function tableInfo(pool: pg.Pool, table: TableRef): Promise<TableInfo> {
  return typeof table === 'string' ? describeTable(pool, table) : table;
}

export function tableLabel(table: TableInfo): string {
  return `${table.schema}.${table.name}`;
}
