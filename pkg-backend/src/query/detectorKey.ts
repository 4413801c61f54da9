/**
 * The job key of a detector definition: the same table, columns, function, span, filters, success rule and
 * tuning give the same key, whatever the order of object keys or how the span was written ("5m" or "300s").
 * Group ids and persisted state hang off it. Only what changes the results is hashed: the table's other
 * columns and the types of these ones do not make a different detector. Nor does the model memory limit,
 * which is not in the definition at all (definition.ts, detectorSpec): changing it must not start jobs again.
 */
import { createHash } from 'node:crypto';
import type { DetectorDefinition } from './definition.ts';

export function detectorKey(definition: DetectorDefinition): string {
  return createHash('sha256')
    .update(canonicalJson(keyFields(definition)))
    .digest('hex')
    .slice(0, 16);
}

function keyFields(d: DetectorDefinition): Record<string, unknown> {
  return {
    table: d.table.qualified,
    timeColumn: d.timeColumn.name,
    idColumn: d.idColumn.name,
    function: d.function,
    byField: d.byColumn.name,
    overField: d.overColumn?.name ?? null,
    bucketSpanMs: d.spanMs,
    filters: d.filters,
    successRule: d.successRule,
    learningBuckets: d.learningBuckets,
    groupThreshold: d.groupThreshold,
  };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
