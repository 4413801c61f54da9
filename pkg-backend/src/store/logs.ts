/** The raw log rows behind a result: a range, optionally one entity and an id window (a group's Starting/Ending At). */
import type pg from 'pg';
import { MAX_LIMIT } from '../../../common/limits.ts';
import type { QueryFilter, SuccessRule } from '../../../common/queryModel.ts';
import { columnRef } from './catalogue.ts';
import { StoreError } from './errors.ts';
import { Params, filtersSql, successSql } from './filters.ts';
import { run } from './query.ts';
import { columnOf, tableInfo, tableLabel, type ColumnRef, type TableRef } from './tableRef.ts';
import { asTimestamptz, rangeSql } from './timeRange.ts';

export interface LogsRequest {
  table: TableRef;
  timeColumn: ColumnRef;
  idColumn: ColumnRef;
  messageColumn?: ColumnRef;
  from?: Date;
  to?: Date;
  filters?: QueryFilter[];
  successRule?: SuccessRule;
  limit: number;
  order: 'asc' | 'desc';
  /** Restrict to rows whose column, as text, equals entityValue (how the pushdown reports entities). */
  entityColumn?: ColumnRef;
  entityValue?: string;
  /** Inclusive id window. */
  idFrom?: bigint;
  idTo?: bigint;
}

export interface LogRow {
  id: bigint;
  time: Date;
  /** null when no success rule is configured. */
  successful: boolean | null;
  message: string | null;
  /** Every column of the row, as node-postgres parses it (bigint/numeric stay strings). */
  values: Record<string, unknown>;
}

function idParam(params: Params, v: bigint, castType: string, field: string): string {
  if (typeof v !== 'bigint') {
    throw new StoreError('invalid_filter', `${field} must be a bigint, got ${String(v)}`, { field, value: String(v) });
  }
  return params.typed(v.toString(), castType);
}

export async function fetchLogs(pool: pg.Pool, request: LogsRequest): Promise<LogRow[]> {
  const table = await tableInfo(pool, request.table);
  const time = columnOf(table, request.timeColumn, 'time');
  const id = columnOf(table, request.idColumn, 'id');
  const message = request.messageColumn ? columnOf(table, request.messageColumn, 'message') : undefined;
  if (request.order !== 'asc' && request.order !== 'desc') {
    throw new StoreError('query', `order "${String(request.order)}" must be asc or desc`, {
      field: 'order',
      value: String(request.order),
    });
  }
  const limit = Math.floor(Number(request.limit));
  if (!Number.isFinite(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new StoreError('query', `limit ${request.limit} must be between 1 and ${MAX_LIMIT}`, {
      field: 'limit',
      value: String(request.limit),
    });
  }
  const params = new Params();
  const where = [rangeSql(time, request.from, request.to, params), filtersSql(table, request.filters, params)];
  if (request.entityColumn !== undefined) {
    const entity = columnOf(table, request.entityColumn, 'filter');
    if (request.entityValue === undefined) {
      throw new StoreError('invalid_filter', `entityColumn ${entity.name} needs an entityValue`, {
        field: 'entityValue',
      });
    }
    where.push(`${columnRef(entity)}::text = ${params.typed(String(request.entityValue), 'text')}`);
  }
  if (request.idFrom !== undefined) {
    where.push(`${columnRef(id)} >= ${idParam(params, request.idFrom, id.castType, 'idFrom')}`);
  }
  if (request.idTo !== undefined) {
    where.push(`${columnRef(id)} <= ${idParam(params, request.idTo, id.castType, 'idTo')}`);
  }
  const success = successSql(table, request.successRule, params);
  const dir = request.order === 'asc' ? 'ASC' : 'DESC';
  const cols = table.columns.map((c) => columnRef(c));
  const extras = [
    `${columnRef(id)}::text`,
    asTimestamptz(time),
    success ?? 'NULL::boolean',
    message ? `${columnRef(message)}::text` : 'NULL::text',
  ];
  const text = `SELECT ${[...cols, ...extras].join(', ')}
                  FROM ${table.qualified} AS t
                 WHERE ${where.join(' AND ')}
                 ORDER BY ${columnRef(time)} ${dir}, ${columnRef(id)} ${dir}
                 LIMIT ${params.typed(limit, 'integer')}`;
  // Array rows: user columns may be called anything, including our own aliases.
  const res = await run<unknown[]>(
    pool,
    { text, values: params.values },
    { table: tableLabel(table), operation: 'fetch logs', filters: true },
    { rowMode: 'array' },
  );
  const n = table.columns.length;
  return res.rows.map((r) => {
    const values: Record<string, unknown> = {};
    table.columns.forEach((c, i) => (values[c.name] = r[i]));
    return {
      id: BigInt(r[n] as string),
      time: r[n + 1] as Date,
      successful: r[n + 2] as boolean | null,
      message: r[n + 3] as string | null,
      values,
    };
  });
}
