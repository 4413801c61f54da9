/**
 * The datasource's resource API (CallResource), shared by the front end that calls it and the backend that
 * answers it. Paths are relative to `/api/datasources/uid/<uid>/resources/`.
 *
 *   GET tables                       → TableInfo[]
 *   GET fields?table=<qualified>     → FieldInfo[]
 *   GET values?table=&field=&q=&limit=  → ValueCount[]   (most frequent first; q filters by prefix/substring)
 *   GET jobs                         → JobList            (200 also when not persisted: { persisted: false, advice })
 *   GET jobs/<key>                   → JobSummary         (404 unknown key; 409 + advice when not persisted)
 *   POST jobs/<key>/reset            → JobSummary         (forgets the analysed history; the next use starts over)
 *   DELETE jobs/<key>                → { deleted: key }
 */

export const RESOURCE_PATHS = { tables: 'tables', fields: 'fields', values: 'values', jobs: 'jobs' } as const;
export type ResourcePath = (typeof RESOURCE_PATHS)[keyof typeof RESOURCE_PATHS];

export interface TableInfo {
  schema: string;
  name: string;
  /** Quoted SQL name, e.g. `"public"."weblogs"`; what a query's `table` may hold. */
  qualified: string;
  /** pg_class.reltuples; -1 or 0 when Postgres has not analysed the table yet. */
  estimatedRows: number;
}

/** Which roles a column can play; the backend decides from its Postgres type. */
export interface FieldSuits {
  /** timestamp / timestamptz / date */
  time: boolean;
  /** integer types (monotonic id for Starting At / Ending At) */
  id: boolean;
  /** categorical: text, varchar, integer, boolean, enum, inet … */
  by: boolean;
  /** entity of a population analysis: same as `by` */
  over: boolean;
  /** text that can be shown as a log body */
  message: boolean;
}
export type FieldRole = keyof FieldSuits;

export interface FieldInfo {
  name: string;
  /** Postgres type as information_schema.columns.data_type spells it (e.g. "timestamp with time zone"). */
  type: string;
  suits: FieldSuits;
}

export interface ValueCount {
  value: string;
  count: number;
}

/** Job keys are the first 16 hex digits of the definition's hash. */
export const JOB_KEY_PATTERN = /^[0-9a-f]{16}$/;

export type JobStatusName = 'created' | 'backfilling' | 'current' | 'failed';
export type JobMemoryStatus = 'ok' | 'soft_limit' | 'hard_limit';

/** A persisted detection job as the Jobs page and `rarity jobs` show it. Times are ISO strings. */
export interface JobSummary {
  key: string;
  /** e.g. "freq_rare by state over ip in public.weblogs, 5m buckets". */
  description: string;
  table: string;
  function: string;
  byField: string;
  overField: string | null;
  bucketSpan: string;
  status: JobStatusName;
  processedUntil: string | null;
  /** Seconds from processedUntil to now; null before the first committed chunk. */
  lagSeconds: number | null;
  /** End of the learning period; null when unknown. */
  learningUntil: string | null;
  /** Whether processedUntil has not yet reached learningUntil. */
  learning: boolean;
  memoryStatus: JobMemoryStatus;
  lastError: string | null;
  lastErrorAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export type JobList = { persisted: true; schema: string; jobs: JobSummary[] } | { persisted: false; advice: string };
