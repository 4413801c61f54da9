/**
 * Time-column SQL that keeps the range predicate on the bare column (so its index is used) while every
 * output is a timestamptz. Naive timestamps and dates are read as UTC.
 */
import { columnRef, type ColumnInfo } from './catalogue.ts';
import { StoreError } from './errors.ts';
import type { Params } from './filters.ts';

/** The bound instant converted to the column's own type, for index-friendly comparisons. */
function boundSql(col: ColumnInfo, at: Date, params: Params): string {
  const p = params.typed(at.toISOString(), 'timestamptz');
  return col.timeKind === 'timestamptz' ? p : `(${p} AT TIME ZONE 'UTC')`;
}

/** The column as a timestamptz expression (for output and date_bin). */
export function asTimestamptz(col: ColumnInfo): string {
  const ref = columnRef(col);
  if (col.timeKind === 'timestamptz') {
    return ref;
  }
  if (col.timeKind === 'timestamp') {
    return `(${ref} AT TIME ZONE 'UTC')`;
  }
  return `(${ref}::timestamp AT TIME ZONE 'UTC')`;
}

/** `ts >= from AND ts < to`; either end may be absent. */
export function rangeSql(col: ColumnInfo, from: Date | undefined, to: Date | undefined, params: Params): string {
  const parts: string[] = [];
  if (from) {
    parts.push(`${columnRef(col)} >= ${boundSql(col, checkDate(from, 'from'), params)}`);
  }
  if (to) {
    parts.push(`${columnRef(col)} < ${boundSql(col, checkDate(to, 'to'), params)}`);
  }
  return parts.length ? parts.join(' AND ') : 'TRUE';
}

export function checkDate(d: Date, field: string): Date {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) {
    throw new StoreError('query', `${field} is not a valid time: ${String(d)}`, { field, value: String(d) });
  }
  return d;
}
