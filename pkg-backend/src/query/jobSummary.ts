/**
 * A stored job as people see it (the Jobs page, `rarity jobs`): what it detects, how far it got and how it
 * is doing. The stored definition is the resolved DetectorDefinition; a row written by another version that
 * lacks a field is described with what is there rather than refused. A job of several detectors is described
 * by its detectors.
 */
import type { JobSummary } from '../../../common/resources.ts';
import type { JobRow } from '../store/index.ts';
import type { DetectorDefinition } from './definition.ts';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** What a row of a job with several detectors holds (jobs/jobAdvance.ts StoredJobDefinition). */
interface StoredJob {
  kind: 'job';
  table?: string;
  bucketSpan?: string;
  groupField?: string;
  spec?: { detectors?: Array<{ function?: string; byField?: string; overField?: string; partitionField?: string }> };
}

function describeRow(definition: unknown) {
  const j = (definition ?? {}) as Partial<StoredJob>;
  if (j.kind === 'job') {
    const detectors = j.spec?.detectors ?? [];
    const table = j.table ?? '?';
    const bucketSpan = j.bucketSpan ?? '?';
    return {
      description: `job of ${detectors.length} detector${detectors.length === 1 ? '' : 's'} (${detectors
        .map(
          (d) =>
            `${d.function ?? '?'} by ${d.byField ?? '?'}${d.overField ? ` over ${d.overField}` : ''}${d.partitionField ? ` partitioned by ${d.partitionField}` : ''}`,
        )
        .join('; ')}) in ${table}, ${bucketSpan} buckets, groups per ${j.groupField ?? '?'}`,
      table,
      fn: 'job',
      byField: detectors[0]?.byField ?? '?',
      overField: detectors[0]?.overField ?? null,
      bucketSpan,
    };
  }
  const d = (definition ?? {}) as Partial<DetectorDefinition>;
  const table = d.table?.qualified ?? '?';
  const fn = d.function ?? '?';
  const byField = d.byColumn?.name ?? '?';
  const overField = d.overColumn?.name ?? null;
  const bucketSpan = d.bucketSpan ?? (d.spanMs ? `${d.spanMs / 1000}s` : '?');
  const over = overField === null ? '' : ` over ${overField}`;
  return {
    description: `${fn} by ${byField}${over} in ${table}, ${bucketSpan} buckets`,
    table,
    fn,
    byField,
    overField,
    bucketSpan,
  };
}

export function summariseJob(row: JobRow, now = Date.now()): JobSummary {
  const { description, table, fn, byField, overField, bucketSpan } = describeRow(row.definition);
  return {
    key: row.key,
    description,
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
