/**
 * A stored job as people see it (the Jobs page, `rarity jobs`): what it detects, how far it got and how it
 * is doing. The stored definition is the resolved DetectorDefinition; a row written by another version that
 * lacks a field is described with what is there rather than refused.
 */
import type { JobSummary } from '../../../common/resources.ts';
import type { JobRow } from '../store/index.ts';
import type { DetectorDefinition } from './definition.ts';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function summariseJob(row: JobRow, now = Date.now()): JobSummary {
  const d = (row.definition ?? {}) as Partial<DetectorDefinition>;
  const table = d.table?.qualified ?? '?';
  const fn = d.function ?? '?';
  const byField = d.byColumn?.name ?? '?';
  const overField = d.overColumn?.name ?? null;
  const bucketSpan = d.bucketSpan ?? (d.spanMs ? `${d.spanMs / 1000}s` : '?');
  const over = overField === null ? '' : ` over ${overField}`;
  return {
    key: row.key,
    description: `${fn} by ${byField}${over} in ${table}, ${bucketSpan} buckets`,
    table,
    function: fn,
    byField,
    overField,
    bucketSpan,
    status: row.status,
    processedUntil: iso(row.processedUntil),
    lagSeconds: row.processedUntil === null ? null : Math.max(0, Math.round((now - row.processedUntil) / 1000)),
    learningUntil: iso(row.learningUntil),
    learning: row.learningUntil !== null && (row.processedUntil === null || row.processedUntil < row.learningUntil),
    memoryStatus: row.memoryStatus,
    lastError: row.lastError,
    lastErrorAt: iso(row.lastErrorAt),
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}
