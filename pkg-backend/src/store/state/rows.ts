/**
 * Conversions between the engine's results and the state tables. Rows are written as parallel arrays
 * through unnest (one statement per batch, every value bound) and read back into exactly the objects that
 * were written: doubles travel as their shortest decimal text, which float8 and jsonb both keep exactly.
 */
import type { RecordResult } from '../../engine/types.ts';
import { StoreError } from '../errors.ts';
import type { JobRow, JobStatus, MemoryStatus, StoredBucket, StoredGroup } from './types.ts';

/** Epoch milliseconds of a timestamptz column, exact on every supported server version. */
export function msSql(column: string): string {
  return `round(extract(epoch FROM ${column}) * 1000)::float8`;
}

export function isoTime(ms: number, what: string): string {
  if (!Number.isFinite(ms)) {
    throw new StoreError('state_invalid', `${what} is not a time: ${String(ms)}`);
  }
  return new Date(ms).toISOString();
}

export const JOB_COLUMNS = [
  'key',
  'definition',
  'status',
  `${msSql('processed_until')} AS processed_until`,
  'id_watermark::text AS id_watermark',
  `${msSql('history_start')} AS history_start`,
  `${msSql('learning_until')} AS learning_until`,
  'memory_status',
  'model_bytes::float8 AS model_bytes',
  'last_error',
  `${msSql('last_error_at')} AS last_error_at`,
  `${msSql('created_at')} AS created_at`,
  `${msSql('updated_at')} AS updated_at`,
].join(', ');

export interface JobDbRow {
  key: string;
  definition: unknown;
  status: JobStatus;
  processed_until: number | null;
  id_watermark: string | null;
  history_start: number | null;
  learning_until: number | null;
  memory_status: MemoryStatus;
  model_bytes: number | null;
  last_error: string | null;
  last_error_at: number | null;
  created_at: number;
  updated_at: number;
}

export function jobFromRow<D>(r: JobDbRow): JobRow<D> {
  return {
    key: r.key,
    definition: r.definition as D,
    status: r.status,
    processedUntil: r.processed_until,
    idWatermark: r.id_watermark === null ? null : BigInt(r.id_watermark),
    historyStart: r.history_start,
    learningUntil: r.learning_until,
    memoryStatus: r.memory_status,
    modelBytes: r.model_bytes,
    lastError: r.last_error,
    lastErrorAt: r.last_error_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

// ---- buckets ----

export const BUCKET_COLUMNS = `${msSql('time')} AS time, raw_score, score, learning, event_count::float8 AS event_count, interim`;

export interface BucketDbRow {
  time: number;
  raw_score: number;
  score: number;
  learning: boolean;
  event_count: number;
  interim: boolean;
}

export function bucketFromRow(r: BucketDbRow): StoredBucket {
  return { time: r.time, rawScore: r.raw_score, score: r.score, learning: r.learning, eventCount: r.event_count };
}

export function bucketArrays(buckets: readonly StoredBucket[]): unknown[][] {
  return [
    buckets.map((b) => isoTime(b.time, 'bucket time')),
    buckets.map((b) => b.rawScore),
    buckets.map((b) => b.score),
    buckets.map((b) => b.learning),
    buckets.map((b) => b.eventCount),
  ];
}

export const BUCKET_UNNEST =
  'unnest($2::timestamptz[], $3::float8[], $4::float8[], $5::boolean[], $6::bigint[]) AS u(time, raw_score, score, learning, event_count)';

// ---- records ----

export const RECORD_COLUMNS = [
  `${msSql('time')} AS time`,
  'entity',
  'by_value',
  'over_value',
  'probability',
  'raw_score',
  'score',
  'typical',
  'actual',
  'count::float8 AS count',
  'causes',
  'explanation',
  'group_id',
  'interim',
].join(', ');

export interface RecordDbRow {
  time: number;
  entity: string;
  by_value: string;
  over_value: string | null;
  probability: number;
  raw_score: number;
  score: number;
  typical: number;
  actual: number;
  count: number;
  causes: RecordResult['causes'];
  explanation: RecordResult['explanation'];
  group_id: string | null;
  interim: boolean;
}

export function recordFromRow(r: RecordDbRow): RecordResult {
  const record: RecordResult = {
    time: r.time,
    by: r.by_value,
    over: r.over_value,
    entity: r.entity,
    probability: r.probability,
    rawScore: r.raw_score,
    score: r.score,
    typical: r.typical,
    actual: r.actual,
    count: r.count,
    causes: r.causes,
    explanation: r.explanation,
  };
  if (r.group_id !== null) {
    record.groupId = r.group_id;
  }
  return record;
}

/** `seq` numbers records within their bucket in the order given, which is the engine's order. */
export function recordArrays(records: readonly RecordResult[]): unknown[][] {
  const seqByTime = new Map<number, number>();
  const seq = records.map((r) => {
    const n = seqByTime.get(r.time) ?? 0;
    seqByTime.set(r.time, n + 1);
    return n;
  });
  return [
    records.map((r) => isoTime(r.time, 'record time')),
    records.map((r) => r.entity),
    seq,
    records.map((r) => r.by),
    records.map((r) => r.over),
    records.map((r) => r.probability),
    records.map((r) => r.rawScore),
    records.map((r) => r.score),
    records.map((r) => r.typical),
    records.map((r) => r.actual),
    records.map((r) => r.count),
    records.map((r) => JSON.stringify(r.causes)),
    records.map((r) => JSON.stringify(r.explanation)),
    records.map((r) => r.groupId ?? null),
  ];
}

export const RECORD_UNNEST =
  'unnest($2::timestamptz[], $3::text[], $4::integer[], $5::text[], $6::text[], $7::float8[], $8::float8[], $9::float8[], ' +
  '$10::float8[], $11::float8[], $12::bigint[], $13::jsonb[], $14::jsonb[], $15::text[]) ' +
  'AS u(time, entity, seq, by_value, over_value, probability, raw_score, score, typical, actual, count, causes, explanation, group_id)';

// ---- groups ----

export const GROUP_COLUMNS = [
  'group_id',
  'entity',
  `${msSql('start_time')} AS start_time`,
  `${msSql('end_time')} AS end_time`,
  'starting_at::text AS starting_at',
  'ending_at::text AS ending_at',
  'max_score',
  'requests::float8 AS requests',
  'successful::float8 AS successful',
  'unsuccessful::float8 AS unsuccessful',
  'explanation',
  'open',
  'revised',
].join(', ');

export interface GroupDbRow {
  group_id: string;
  entity: string;
  start_time: number;
  end_time: number;
  starting_at: string;
  ending_at: string;
  max_score: number;
  requests: number;
  successful: number;
  unsuccessful: number;
  explanation: string;
  open: boolean;
  revised: boolean;
}

export function groupFromRow(r: GroupDbRow): StoredGroup {
  return {
    id: r.group_id,
    entity: r.entity,
    start: r.start_time,
    end: r.end_time,
    startingAt: BigInt(r.starting_at),
    endingAt: BigInt(r.ending_at),
    maxScore: r.max_score,
    requests: r.requests,
    successful: r.successful,
    unsuccessful: r.unsuccessful,
    explanation: r.explanation,
    open: r.open,
    revised: r.revised,
  };
}

/** The order GroupTracker.groups() reports: start, then entity by localeCompare (not the server's collation). */
export function compareGroups(a: StoredGroup, b: StoredGroup): number {
  return a.start - b.start || a.entity.localeCompare(b.entity);
}
