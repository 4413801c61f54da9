/** The most frequent values of a column, for query-editor suggestions (by/over/filter values). */
import type pg from 'pg';
import { columnRef, resolveColumn } from './catalogue.ts';
import { StoreError } from './errors.ts';
import { Params } from './filters.ts';
import { run } from './query.ts';
import { tableInfo, tableLabel, type TableRef } from './tableRef.ts';
import { rangeSql } from './timeRange.ts';

export interface TopValuesOptions {
  /** Case-insensitive substring (a prefix is a substring); LIKE wildcards in it match literally. */
  q?: string;
  /** Default 20, at most 1000. */
  limit?: number;
  from?: Date;
  to?: Date;
  /** Needed with from/to when the table has more than one time column. */
  timeColumn?: string;
}

export interface ValueCount {
  value: string;
  count: number;
}

export async function topValues(
  pool: pg.Pool,
  table: TableRef,
  column: string,
  options: TopValuesOptions = {},
): Promise<ValueCount[]> {
  const info = await tableInfo(pool, table);
  const col = resolveColumn(info, column, 'filter');
  const limit = Math.min(Math.max(1, Math.floor(options.limit ?? 20)), 1000);
  const params = new Params();
  const where = [`${columnRef(col)} IS NOT NULL`];
  if (options.from || options.to) {
    let timeName = options.timeColumn;
    if (!timeName) {
      const times = info.columns.filter((c) => c.suits.time);
      if (times.length !== 1) {
        throw new StoreError(
          'column_missing',
          `give timeColumn to limit values of ${col.name} by time; ${info.schema}.${info.name} has time columns: ${times.map((c) => c.name).join(', ') || 'none'}`,
          { field: 'timeColumn' },
        );
      }
      timeName = times[0].name;
    }
    where.push(rangeSql(resolveColumn(info, timeName, 'time'), options.from, options.to, params));
  }
  if (options.q) {
    const pattern = `%${options.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    where.push(`${columnRef(col)}::text ILIKE ${params.typed(pattern, 'text')}`);
  }
  const res = await run<{ value: string; count: string }>(
    pool,
    {
      text: `SELECT ${columnRef(col)}::text AS value, count(*)::text AS count
               FROM ${info.qualified} AS t
              WHERE ${where.join(' AND ')}
              GROUP BY 1 ORDER BY count(*) DESC, 1 ASC
              LIMIT ${params.typed(limit, 'integer')}`,
      values: params.values,
    },
    { table: tableLabel(info), column: col.name, operation: 'top values' },
  );
  return res.rows.map((r) => ({ value: r.value, count: Number(r.count) }));
}
