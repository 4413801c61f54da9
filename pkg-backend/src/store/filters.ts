/**
 * Structured filters and the success rule → SQL predicates. Operators come from an allow-list, columns from
 * the catalogue, and values are always bind parameters cast to the column's own type, so '3' compares with
 * an integer column and nothing a user types can become SQL.
 */
import { truncateEcho } from '../../../common/echo.ts';
import { MAX_FILTERS } from '../../../common/limits.ts';
import { FILTER_OPS, type FilterOp, type QueryFilter, type SuccessRule } from '../../../common/queryModel.ts';
import { columnRef, resolveColumn, type ColumnInfo, type TableInfo } from './catalogue.ts';
import { StoreError } from './errors.ts';

/** Collects bind values and hands out their $n placeholders. */
export class Params {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** A placeholder with an explicit cast, so PostgreSQL never has to guess the type. */
  typed(value: unknown, castType: string): string {
    return `${this.add(value)}::${castType}`;
  }
}

/** A refused filter or success rule, named as written (each part cut to a readable length). */
function bad(
  filter: { field?: unknown; op?: unknown; value?: unknown },
  reason: string,
  allowed: string,
  what = 'filter',
): StoreError {
  const part = (x: unknown) => truncateEcho(typeof x === 'string' ? x : (JSON.stringify(x) ?? String(x)));
  const value = filter.value === undefined ? '' : `"${part(filter.value)}"`;
  const written = filter.field === undefined ? '' : ` ${part(filter.field)} ${part(filter.op)} ${value}`;
  return new StoreError('invalid_filter', `${what}${written}: ${reason}. ${allowed}`.replace(/\s+/g, ' ').trim(), {
    field: typeof filter.field === 'string' ? filter.field : undefined,
    value: typeof filter.value === 'string' ? filter.value : undefined,
  });
}

const INT_RANGE: Record<string, [bigint, bigint]> = {
  smallint: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  bigint: [-9223372036854775808n, 9223372036854775807n],
};

/** Checks a value against the column type up front, so the message can say what would have fitted. */
function checkValue(col: ColumnInfo, value: string, filter: QueryFilter | SuccessRule, what: string): string {
  const v = value.trim();
  switch (col.category) {
    case 'integer': {
      if (!/^[+-]?\d+$/.test(v)) {
        throw bad(filter, `column ${col.name} is ${col.type}`, 'Use a whole number, e.g. 3.', what);
      }
      const range = INT_RANGE[col.type];
      // More than 19 significant digits is out of every range; BigInt of a megabyte of digits costs seconds.
      const tooLong = v.replace(/^[+-]?0*/, '').length > 19;
      if (range && (tooLong || BigInt(v) < range[0] || BigInt(v) > range[1])) {
        throw bad(filter, `out of range for ${col.type}`, `Use a number between ${range[0]} and ${range[1]}.`, what);
      }
      return v;
    }
    case 'numeric':
    case 'float':
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) {
        throw bad(filter, `column ${col.name} is ${col.type}`, 'Use a number, e.g. 2.5.', what);
      }
      return v;
    case 'boolean':
      if (!/^(true|false|t|f|yes|no|on|off|1|0)$/i.test(v)) {
        throw bad(filter, `column ${col.name} is boolean`, 'Use true or false.', what);
      }
      return v;
    case 'time':
      if (Number.isNaN(Date.parse(v)) && !/^\d{4}-\d{2}-\d{2}/.test(v)) {
        throw bad(
          filter,
          `column ${col.name} is ${col.type}`,
          'Use an ISO date/time, e.g. 2024-05-01T12:00:00Z.',
          what,
        );
      }
      if (/^[+-]|^\d{5}/.test(v)) {
        // PostgreSQL reads a five-digit or signed year in ways of its own, or refuses it (SQLSTATE 22009).
        throw bad(
          filter,
          `column ${col.name} is ${col.type}`,
          'Use a year from 0001 to 9999, e.g. 2024-05-01T12:00:00Z.',
          what,
        );
      }
      return v;
    case 'uuid':
      if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v)) {
        throw bad(
          filter,
          `column ${col.name} is uuid`,
          'Use a UUID such as 123e4567-e89b-12d3-a456-426614174000.',
          what,
        );
      }
      return v;
    default:
      // text keeps its spaces; enums, inet and others are checked by PostgreSQL's own cast (mapped to invalid_filter)
      return value;
  }
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** One predicate. `!=` and `not in` keep rows where the column is null, like Kibana's "is not". */
export function predicateSql(
  table: TableInfo,
  filter: QueryFilter | SuccessRule,
  params: Params,
  what = 'filter',
): string {
  if (!filter || typeof filter !== 'object' || Array.isArray(filter)) {
    throw new StoreError('invalid_filter', `${what} is not an object { field, op, value }`);
  }
  if (typeof filter.field !== 'string' || filter.field.trim() === '') {
    throw bad(filter, 'needs a field (a column name)', 'Choose a column, e.g. state.', what);
  }
  const op = (typeof filter.op === 'string' ? filter.op.trim().toLowerCase() : filter.op) as FilterOp;
  if (!FILTER_OPS.includes(op)) {
    throw bad(
      filter,
      `operator ${truncateEcho(JSON.stringify(filter.op) ?? String(filter.op))} is not supported`,
      `Use one of ${FILTER_OPS.join(', ')}.`,
      what,
    );
  }
  let col: ColumnInfo;
  try {
    col = resolveColumn(table, filter.field, 'filter');
  } catch (err) {
    if (err instanceof StoreError) {
      throw new StoreError(
        err.kind === 'invalid_identifier' ? 'invalid_identifier' : 'invalid_filter',
        `${what}: ${err.message}`,
        { field: filter.field, value: filter.value },
      );
    }
    throw err;
  }
  const ref = columnRef(col);
  if (op === 'is null') {
    return `${ref} IS NULL`;
  }
  if (op === 'is not null') {
    return `${ref} IS NOT NULL`;
  }
  // A provisioning file or the API may write a success value as a JSON number or boolean (`value: 1`).
  const raw: unknown = filter.value;
  const text =
    typeof raw === 'string'
      ? raw
      : (typeof raw === 'number' && Number.isFinite(raw)) || typeof raw === 'boolean'
        ? String(raw)
        : undefined;
  if (text === undefined) {
    throw bad(filter, `operator ${op} needs a value`, 'Give the value as text or a number, e.g. "3".', what);
  }
  if (op === 'like') {
    // Any column can be matched as text (ip, ids); the pattern is a bound value, never SQL.
    const castRef = col.category === 'text' ? ref : `${ref}::text`;
    return `${castRef} LIKE ${params.typed(text, 'text')}`;
  }
  if (op === 'in' || op === 'not in') {
    const items = splitList(text).map((v) => checkValue(col, v, filter, what));
    if (items.length === 0) {
      throw bad(filter, `operator ${op} needs at least one value`, 'Give a comma-separated list, e.g. "2,3".', what);
    }
    const list = params.typed(items, `${col.castType}[]`);
    return op === 'in' ? `${ref} = ANY(${list})` : `(${ref} IS NULL OR ${ref} <> ALL(${list}))`;
  }
  if (col.category === 'json' || col.category === 'other') {
    if (op !== '=' && op !== '!=') {
      throw bad(
        filter,
        `column ${col.name} (${col.type}) can only be compared with =, !=, like and null tests`,
        '',
        what,
      );
    }
  }
  const value = checkValue(col, text, filter, what);
  if (
    (col.category === 'integer' || col.category === 'numeric' || col.category === 'float' || col.category === 'time') &&
    value === ''
  ) {
    throw bad(filter, 'empty value', `Column ${col.name} is ${col.type}.`, what);
  }
  const param = params.typed(value, col.castType);
  if (op === '!=') {
    return `${ref} IS DISTINCT FROM ${param}`;
  }
  return `${ref} ${op} ${param}`;
}

/** All filters joined with AND; 'TRUE' when there are none, so callers can always write `AND <this>`. */
export function filtersSql(table: TableInfo, filters: readonly QueryFilter[] | undefined, params: Params): string {
  if (!filters || filters.length === 0) {
    return 'TRUE';
  }
  if (!Array.isArray(filters)) {
    throw new StoreError('invalid_filter', 'filters must be a list of { field, op, value }');
  }
  if (filters.length > MAX_FILTERS) {
    throw new StoreError('invalid_filter', `${filters.length} filters given; at most ${MAX_FILTERS} are allowed`);
  }
  return filters.map((f) => `(${predicateSql(table, f, params)})`).join(' AND ');
}

/** Checks a rule (e.g. the datasource's success rule) against the table without building a statement. */
export function checkPredicate(table: TableInfo, rule: QueryFilter | SuccessRule, what: string): void {
  predicateSql(table, rule, new Params(), what);
}

/**
 * The success rule as a boolean expression, or undefined without a rule. A row whose column is null is not
 * successful (coalesce), so `count(*) FILTER (WHERE …)` and the logs' boolean agree.
 */
export function successSql(table: TableInfo, rule: SuccessRule | undefined, params: Params): string | undefined {
  if (!rule) {
    return undefined;
  }
  return `coalesce((${predicateSql(table, rule, params, 'success rule')}), false)`;
}
