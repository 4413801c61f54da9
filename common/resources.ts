/**
 * The datasource's resource API (CallResource), shared by the front end that calls it and the backend that
 * answers it. Paths are relative to `/api/datasources/uid/<uid>/resources/`.
 *
 *   GET tables                       → TableInfo[]
 *   GET fields?table=<qualified>     → FieldInfo[]
 *   GET values?table=&field=&q=&limit=  → ValueCount[]   (most frequent first; q filters by prefix/substring)
 */

export const RESOURCE_PATHS = { tables: 'tables', fields: 'fields', values: 'values' } as const;
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
