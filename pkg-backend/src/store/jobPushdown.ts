/**
 * The job pushdown: one statement aggregates a chunk for every detector of a job at once. Each detector's key
 * set (bucket, by, over, partition, influencers) is one grouping set of `GROUP BY GROUPING SETS`, so the table
 * is scanned once however many detectors there are; detectors with the same key set share a grouping set, and
 * the set (bucket) alone gives each bucket's row count. `grouping()` over every key column tells a row's set
 * (a bit is set where the column was rolled up), which maps back to the detectors using it.
 *
 * Null handling matches pushdown.ts per detector: the grouping sets share one WHERE, so the rows a detector
 * skips (by or over null) cannot be filtered there; their NULL group is dropped in JS instead. `grouping()`
 * tells that real NULL value from a column the set does not group by. A partition value NULL or '' is the
 * partition "" (Elastic keeps such rows), grouped as one in SQL.
 *
 * The derived field `successful` (SUCCESSFUL_FIELD) is the success rule as the text 'true' / 'false'.
 */
import type pg from 'pg';
import { MAX_BUCKETS } from '../../../common/limits.ts';
import { SUCCESSFUL_FIELD, isSuccessfulField } from '../../../common/jobModel.ts';
import type { QueryFilter, SuccessRule } from '../../../common/queryModel.ts';
import {
  columnRef,
  resolveColumn,
  tableColumn,
  type ColumnInfo,
  type ColumnPurpose,
  type TableInfo,
} from './catalogue.ts';
import { StoreError } from './errors.ts';
import { Params, filtersSql, successSql } from './filters.ts';
import { checkSpanAndRange } from './pushdown.ts';
import type { Statement } from './query.ts';
import { asTimestamptz, checkDate, rangeSql } from './timeRange.ts';

/** A field of a job: a column of the table, or the field derived from the success rule. */
export type JobField = { kind: 'column'; column: ColumnInfo } | { kind: 'successful' };

export interface JobPushdownDetector {
  by: JobField;
  over?: JobField;
  partition?: JobField;
}

export interface JobPushdownPlan {
  table: TableInfo;
  timeColumn: ColumnInfo;
  idColumn: ColumnInfo;
  detectors: JobPushdownDetector[];
  influencers: JobField[];
  bucketSpanSeconds: number;
  from: Date;
  to: Date;
  filters?: QueryFilter[];
  successRule?: SuccessRule;
}

/** grouping() takes at most 31 arguments, its result being an int4 bitmask. */
const MAX_KEY_COLUMNS = 31;

/**
 * A job's field reference (a plain or double-quoted name, as a query writes byField) resolved for `purpose`:
 * `successful` is the derived field and needs a success rule; any other name must be a column of the table.
 */
export function resolveJobField(
  table: TableInfo,
  reference: string,
  purpose: ColumnPurpose,
  successRule: SuccessRule | undefined,
): JobField {
  if (typeof reference === 'string' && isSuccessfulField(reference)) {
    if (!successRule) {
      throw new StoreError(
        'column_missing',
        `field "${reference}" is derived from the datasource's success rule, and none is set: set a success rule (e.g. state = 1) or name another field`,
        { field: `${purpose}Column`, value: reference },
      );
    }
    return { kind: 'successful' };
  }
  return { kind: 'column', column: resolveColumn(table, reference, purpose) };
}

/** The field's name as the engine and the results call it. */
export function jobFieldName(field: JobField): string {
  return field.kind === 'successful' ? SUCCESSFUL_FIELD : field.column.name;
}

/** Where a key column's value sits in a row and what it is grouped by. */
interface KeyColumn {
  expression: string;
}

/** Per detector, where its by, over, partition and influencer values sit among the key columns. */
interface DetectorKeys {
  by: number;
  over: number | undefined;
  partition: number | undefined;
  influencers: number[];
}

/** What a row's grouping() bitmask stands for. */
export interface KeyLayout {
  keyCount: number;
  detectors: DetectorKeys[];
  /** Bitmask of a grouping set → the detectors that use it. */
  byMask: Map<number, number[]>;
  countMask: number;
  influencerCount: number;
}

/**
 * A job's rows, fetched as arrays: the grouping() bitmask, the group's numbers folded into one text field as
 * in pushdown.ts ("bucket count successful min_id max_id"), then one text field per key column (null where
 * the value is null or the set does not group by that column).
 */
export type JobPushdownRow = [number, string, ...Array<string | null>];

function checkPlan(plan: JobPushdownPlan): void {
  checkSpanAndRange(plan);
  if (!Array.isArray(plan.detectors) || plan.detectors.length === 0) {
    throw new StoreError('query', 'a job pushdown needs at least one detector');
  }
}

/** Grouped like pushdown.ts's groupKey: text under "C", other categorical types by their own value. */
function keyExpression(table: TableInfo, field: JobField, purpose: ColumnPurpose, success: string | undefined): string {
  if (field.kind === 'successful') {
    if (success === undefined) {
      throw new StoreError('column_missing', `field "${SUCCESSFUL_FIELD}" needs a success rule, and none is set`, {
        field: `${purpose}Column`,
        value: SUCCESSFUL_FIELD,
      });
    }
    return `CASE WHEN ${success} THEN 'true' ELSE 'false' END COLLATE "C"`;
  }
  const col = tableColumn(table, field.column, purpose);
  return col.category === 'text' ? `${columnRef(col)}::text COLLATE "C"` : columnRef(col);
}

/** A partition groups NULL and '' as one value, "". */
function partitionExpression(key: string): string {
  return `coalesce((${key})::text, '') COLLATE "C"`;
}

/**
 * The key columns and what a row's mask means. `success` is the success rule as a boolean expression over the
 * relation aliased `t` (the table, or the partition-wise statement's pre-aggregated rows).
 */
export function layoutKeys(
  plan: JobPushdownPlan,
  success: string | undefined,
): { keys: KeyColumn[]; layout: KeyLayout } {
  const keys: KeyColumn[] = [];
  const indexOf = (expression: string): number => {
    const found = keys.findIndex((k) => k.expression === expression);
    if (found >= 0) {
      return found;
    }
    keys.push({ expression });
    return keys.length - 1;
  };
  const key = (field: JobField, purpose: ColumnPurpose) => indexOf(keyExpression(plan.table, field, purpose, success));
  const influencers = plan.influencers.map((f) => key(f, 'by'));
  const detectors = plan.detectors.map((d): DetectorKeys => ({
    by: key(d.by, 'by'),
    over: d.over ? key(d.over, 'over') : undefined,
    partition: d.partition
      ? indexOf(partitionExpression(keyExpression(plan.table, d.partition, 'by', success)))
      : undefined,
    influencers,
  }));
  if (keys.length > MAX_KEY_COLUMNS) {
    throw new StoreError(
      'query',
      `the job's detectors and influencers name ${keys.length} different fields; one statement can group by at most ${MAX_KEY_COLUMNS}. Split the job in two.`,
    );
  }
  const all = (1 << keys.length) - 1;
  // grouping(k0, …, kn-1): k0 is the most significant bit; a bit is set where the column is rolled up.
  const maskOf = (used: Set<number>) => {
    let mask = all;
    for (const i of used) {
      mask &= ~(1 << (keys.length - 1 - i));
    }
    return mask;
  };
  const byMask = new Map<number, number[]>();
  detectors.forEach((d, i) => {
    const mask = maskOf(detectorSet(d));
    byMask.set(mask, [...(byMask.get(mask) ?? []), i]);
  });
  return {
    keys,
    layout: { keyCount: keys.length, detectors, byMask, countMask: all, influencerCount: influencers.length },
  };
}

function detectorSet(d: DetectorKeys): Set<number> {
  return new Set([
    d.by,
    ...(d.over === undefined ? [] : [d.over]),
    ...(d.partition === undefined ? [] : [d.partition]),
    ...d.influencers,
  ]);
}

/** The name of key column `i` in the statement: k0, k1, … */
export function keyName(i: number): string {
  return `k${i}`;
}

/** GROUPING SETS over the bucket `b` and the key columns: one set per distinct detector key set, then (b). */
export function groupingSetsSql(layout: KeyLayout): string {
  const sets = [...new Set(layout.detectors.map((d) => [...detectorSet(d)].sort((a, b) => a - b).join(',')))].map(
    (s) =>
      `(b, ${s
        .split(',')
        .map((i) => keyName(Number(i)))
        .join(', ')})`,
  );
  return `GROUPING SETS (${[...sets, '(b)'].join(', ')})`;
}

/** The statement and what its rows' bitmasks mean; `$n` values only, identifiers from the catalogue. */
export function jobPushdownSql(plan: JobPushdownPlan): { statement: Statement; layout: KeyLayout } {
  checkPlan(plan);
  const t = plan.table;
  const time = tableColumn(t, plan.timeColumn, 'time');
  const id = tableColumn(t, plan.idColumn, 'id');
  const params = new Params();
  const span = params.typed(`${plan.bucketSpanSeconds} seconds`, 'interval');
  const origin = params.typed('1970-01-01T00:00:00Z', 'timestamptz');
  const range = rangeSql(time, plan.from, plan.to, params);
  const where = filtersSql(t, plan.filters, params);
  // Compiled once: the CASE of `successful` and the FILTER of the count reuse the same placeholders.
  const success = successSql(t, plan.successRule, params);
  const { keys, layout } = layoutKeys(plan, success);
  const allKeys = keys.map((_, i) => keyName(i));
  const text = [
    `SELECT grouping(${allKeys.join(', ')})::int4 AS mask,`,
    `       round(date_part('epoch', b) * 1000)::int8 || ' ' || count(*) || ' ' || count(*) FILTER (WHERE ok)`,
    `         || ' ' || min(i) || ' ' || max(i) AS stats,`,
    `       ${allKeys.map((c) => `${c}::text`).join(', ')}`,
    `  FROM (SELECT date_bin(${span}, ${asTimestamptz(time)}, ${origin}) AS b, ${columnRef(id)} AS i,`,
    `               ${success ?? 'TRUE'} AS ok,`,
    `               ${keys.map((key, i) => `${key.expression} AS ${keyName(i)}`).join(',\n               ')}`,
    `          FROM ${t.qualified} AS t`,
    `         WHERE ${range}`,
    `           AND ${where}) AS s`,
    ` GROUP BY ${groupingSetsSql(layout)}`,
    ` ORDER BY b, mask, ${allKeys.join(', ')}`,
  ].join('\n');
  return { statement: { text, values: params.values }, layout };
}
