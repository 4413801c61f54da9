/**
 * The one parse/validate step every detection goes through. A Grafana query (the saved model, the panel's time
 * range and the datasource settings) or the command line's flags (cli/args.ts, turned into the same query
 * model and settings) become a DetectorRequest: the shared validator (common/validateQuery.ts) has passed it,
 * so the words are the editor's, and the bucket span is parsed once. Names are looked up in the catalogue
 * afterwards, once (definition.ts). A job query (one with detectors) becomes a JobRequest instead (jobRun.ts).
 */
import {
  DEFAULT_BUCKET_SPAN,
  DEFAULT_LIMIT,
  MAX_SCORE,
  MIN_LEARNING_BUCKETS,
  MIN_SCORE,
} from '../../../common/limits.ts';
import type {
  DetectorFunction,
  QueryFilter,
  RarityDataSourceOptions,
  RarityQuery,
  SuccessRule,
} from '../../../common/queryModel.ts';
import type { JobDefinition } from '../../../common/jobModel.ts';
import { JobQueryError, queryToJobDefinition } from '../../../common/jobQuery.ts';
import { checkQuery, isJobQuery, type FieldLabels } from '../../../common/validateQuery.ts';
import type { JobRequest } from './jobRun.ts';
import { QueryError } from './queryError.ts';
import { modelMemoryLimitBytes } from './settings.ts';

/** A detector as asked for: validated, its names not yet looked up. */
export interface DetectorRequest {
  table: string;
  timeColumn: string;
  idColumn: string;
  function: DetectorFunction;
  byField: string;
  overField?: string;
  /** As written, for people; bucketSpanMs is what everything else uses. */
  bucketSpan: string;
  bucketSpanMs: number;
  filters: QueryFilter[];
  successRule?: SuccessRule;
  /** Engine tuning only the command line offers; defaults come from the engine. */
  learningBuckets?: number;
  groupThreshold?: number;
  /**
   * The datasource's model memory limit; undefined: the engine's default. Not part of the detector's
   * definition, so not of its job's identity (see PreparedDetection).
   */
  modelMemoryLimitBytes?: number;
}

/** The results window; either end defaults to the data's. History before `from` is always read for learning. */
export interface TimeWindow {
  from?: Date;
  to?: Date;
}

export interface DetectorTuning {
  learningBuckets?: number;
  groupThreshold?: number;
}

export interface RequestLabels extends FieldLabels {
  learningBuckets?: string;
  groupThreshold?: string;
}

/**
 * The query model and the datasource settings → a DetectorRequest, or a QueryError naming every problem.
 * `labels` lets the command line name its flags instead of the editor's fields.
 */
export function detectorRequest(
  query: Partial<RarityQuery>,
  settings: RarityDataSourceOptions,
  options: { tuning?: DetectorTuning; labels?: RequestLabels } = {},
): DetectorRequest {
  const { errors, bucketSpanMs } = checkQuery(query, { labels: options.labels });
  const tuning = options.tuning ?? {};
  const learning = options.labels?.learningBuckets ?? 'learningBuckets';
  if (
    tuning.learningBuckets !== undefined &&
    !(Number.isInteger(tuning.learningBuckets) && tuning.learningBuckets >= MIN_LEARNING_BUCKETS)
  ) {
    errors.push({
      field: 'learningBuckets',
      message: `${learning} ${tuning.learningBuckets} must be a whole number of at least ${MIN_LEARNING_BUCKETS} (Elastic's advice for rare)`,
    });
  }
  const threshold = options.labels?.groupThreshold ?? 'groupThreshold';
  if (
    tuning.groupThreshold !== undefined &&
    !(tuning.groupThreshold >= MIN_SCORE && tuning.groupThreshold <= MAX_SCORE)
  ) {
    errors.push({
      field: 'groupThreshold',
      message: `${threshold} ${tuning.groupThreshold} must be a score from ${MIN_SCORE} to ${MAX_SCORE}`,
    });
  }
  if (errors.length > 0) {
    throw new QueryError(errors.map((e) => e.message).join('; '), errors[0].field);
  }

  const { table, timeColumn, idColumn } = logTable(query, settings);
  return {
    table,
    timeColumn,
    idColumn,
    function: query.function ?? 'rare',
    // Not blank: the validator refused that above.
    byField: query.byField!,
    overField: query.overField || undefined,
    bucketSpan: query.bucketSpan || DEFAULT_BUCKET_SPAN,
    bucketSpanMs,
    filters: query.filters ?? [],
    successRule: settings.successRule,
    learningBuckets: tuning.learningBuckets,
    groupThreshold: tuning.groupThreshold,
    modelMemoryLimitBytes: modelMemoryLimitBytes(settings),
  };
}

/** The log table a query reads (its own or the datasource's) and the datasource's time and id columns. */
function logTable(
  query: Partial<RarityQuery>,
  settings: RarityDataSourceOptions,
): { table: string; timeColumn: string; idColumn: string } {
  const table = query.table || settings.table;
  if (!table) {
    throw new QueryError(
      'no table: set "table" in the query or a default log table in the datasource settings',
      'table',
    );
  }
  if (!settings.timeColumn) {
    throw new QueryError('the datasource has no time column configured (Log table → Time column)', 'timeColumn');
  }
  if (!settings.idColumn) {
    throw new QueryError('the datasource has no id column configured (Log table → Id column)', 'idColumn');
  }
  return { table, timeColumn: settings.timeColumn, idColumn: settings.idColumn };
}

/**
 * A job query (one with detectors) and the datasource settings → the JobRequest runJob takes, or a QueryError
 * naming the first offending field ("detectors.1.overField") and, in its message, every problem.
 */
export function jobQueryRequest(query: RarityQuery, settings: RarityDataSourceOptions): JobRequest {
  checkJobTypes(query);
  let job: JobDefinition;
  try {
    job = queryToJobDefinition(query);
  } catch (e) {
    if (e instanceof JobQueryError) {
      throw new QueryError(e.message, e.errors[0]?.field);
    }
    throw e;
  }
  return {
    ...logTable(query, settings),
    job,
    filters: query.filters ?? [],
    successRule: settings.successRule,
    modelMemoryLimitBytes: modelMemoryLimitBytes(settings),
  };
}

/** As parseQuery's type checks: a hand-made job query's fields must be text before the validator reads them. */
function checkJobTypes(query: RarityQuery): void {
  const wrong = (what: string, field: string, value: unknown, expected: string): never => {
    throw new QueryError(`${what} must be ${expected}, got ${JSON.stringify(value)}`, field, JSON.stringify(value));
  };
  query.detectors!.forEach((d, i) => {
    if (!d || typeof d !== 'object' || Array.isArray(d)) {
      return; // validateQuery words this one
    }
    for (const key of ['function', 'byField', 'overField', 'partitionField', 'description'] as const) {
      const v: unknown = d[key];
      if (v !== undefined && v !== null && typeof v !== 'string') {
        wrong(`detectors[${i}].${key}`, `detectors.${i}.${key}`, v, 'a string');
      }
    }
  });
  const influencers: unknown = query.influencers;
  if (influencers !== undefined && influencers !== null) {
    if (!Array.isArray(influencers)) {
      wrong('influencers', 'influencers', influencers, 'a list of field names');
    }
    (influencers as unknown[]).forEach((v, i) => {
      if (typeof v !== 'string') {
        wrong(`influencers[${i}]`, `influencers.${i}`, v, 'a field name');
      }
    });
  }
  const group: unknown = query.groupField;
  if (group !== undefined && group !== null && typeof group !== 'string') {
    wrong('groupField', 'groupField', group, 'a field name');
  }
}

interface ParsedCommon {
  query: RarityQuery;
  window: Required<TimeWindow>;
  minScore: number;
  limit: number;
}

/** A single-detector query. */
export interface ParsedQuery extends ParsedCommon {
  kind: 'detector';
  detector: DetectorRequest;
}

/** A job query: its detectors run together in-process (jobRun.ts). */
export interface ParsedJobQuery extends ParsedCommon {
  kind: 'job';
  job: JobRequest;
}

export type ParsedDataQuery = ParsedQuery | ParsedJobQuery;

/** parseDataQuery for callers that run one detector only (the benchmarks): a job query is refused by name. */
export function parseQuery(
  json: unknown,
  queryType: string,
  timeRange: { from: Date; to: Date },
  settings: RarityDataSourceOptions,
): ParsedQuery {
  const parsed = parseDataQuery(json, queryType, timeRange, settings);
  if (parsed.kind === 'job') {
    throw new QueryError('a job query (one with detectors) runs through runJob, not as a single detector', 'detectors');
  }
  return parsed;
}

/**
 * A Grafana data query: its JSON (type-checked first, since it may be hand-made), its time range, the settings;
 * a single detector, or a job when it has detectors.
 */
export function parseDataQuery(
  json: unknown,
  queryType: string,
  timeRange: { from: Date; to: Date },
  settings: RarityDataSourceOptions,
): ParsedDataQuery {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new QueryError('the query must be a JSON object with at least queryType, function and byField');
  }
  const raw = { ...(json as Partial<RarityQuery>) };
  // Type checks the shared validator cannot do (it assumes the editor's types), so that `byField: 5` is called
  // a wrong type rather than a missing field. queryType/function are left to validateQuery ("… is not known").
  for (const key of ['table', 'byField', 'overField', 'bucketSpan'] as const) {
    const v: unknown = raw[key];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      throw new QueryError(
        `${key} must be a string${key === 'bucketSpan' ? ' such as 5m' : ''}, got ${JSON.stringify(v)}`,
        key,
        JSON.stringify(v),
      );
    }
  }
  if (raw.filters !== undefined && raw.filters !== null) {
    raw.filters = normaliseFilters(raw.filters as unknown);
  }
  const window = checkTimeRange(timeRange);
  const query = {
    ...raw,
    queryType: raw.queryType || (queryType as RarityQuery['queryType']) || 'scores',
  } as RarityQuery;
  query.function = query.function ?? 'rare';
  const common = { query, window, minScore: query.minScore ?? 0, limit: query.limit ?? DEFAULT_LIMIT };
  if (isJobQuery(query)) {
    return { kind: 'job', job: jobQueryRequest(query, settings), ...common };
  }
  if (query.detectors !== undefined && query.detectors !== null && !Array.isArray(query.detectors)) {
    throw new QueryError(
      `detectors must be a list of { function, byField, overField?, partitionField? }, got ${JSON.stringify(query.detectors)}`,
      'detectors',
      JSON.stringify(query.detectors),
    );
  }
  return { kind: 'detector', detector: detectorRequest(query, settings), ...common };
}

/**
 * `filters` must be a list of objects. Values that are numbers or booleans (alert rules provisioned from
 * YAML/JSON often write `value: 3`) are compared as their text, which the store casts to the column type.
 * Objects/arrays as values are refused.
 */
function normaliseFilters(filters: unknown): QueryFilter[] {
  if (!Array.isArray(filters)) {
    throw new QueryError(
      `filters must be a list of { field, op, value }, got ${JSON.stringify(filters)}`,
      'filters',
      JSON.stringify(filters),
    );
  }
  return filters.map((f: unknown, i) => {
    if (!f || typeof f !== 'object' || Array.isArray(f)) {
      throw new QueryError(
        `Filter ${i + 1} must be an object { field, op, value }, got ${JSON.stringify(f)}`,
        `filters.${i}`,
        JSON.stringify(f),
      );
    }
    const filter = { ...(f as QueryFilter) };
    const value: unknown = filter.value;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
      filter.value = String(value);
    } else if (value !== undefined && value !== null && typeof value !== 'string') {
      throw new QueryError(
        `Filter ${i + 1}: value must be text (or a number), got ${JSON.stringify(value)}`,
        `filters.${i}.value`,
        JSON.stringify(value),
      );
    }
    if (filter.field !== undefined && filter.field !== null && typeof filter.field !== 'string') {
      throw new QueryError(
        `Filter ${i + 1}: field must be a column name, got ${JSON.stringify(filter.field)}`,
        `filters.${i}.field`,
        JSON.stringify(filter.field),
      );
    }
    return filter;
  });
}

/** Years 0001 to 9999: what a timestamp bound as a parameter round-trips through PostgreSQL. */
const EARLIEST_TIME = new Date('0001-01-01T00:00:00Z').getTime();
const LATEST_TIME = new Date('9999-12-31T23:59:59.999Z').getTime();

/**
 * Grafana always sends a valid range, but a hand-made request may not: an epoch beyond JavaScript's Date
 * range must be refused here as the user's mistake, not fail deep in the store.
 */
function checkTimeRange(range: { from: Date; to: Date }): { from: Date; to: Date } {
  for (const key of ['from', 'to'] as const) {
    if (!(range[key] instanceof Date) || !Number.isFinite(range[key].getTime())) {
      throw new QueryError(
        `time range: ${key} is not a valid time (epoch milliseconds between -8.64e15 and 8.64e15)`,
        `timeRange.${key}`,
      );
    }
    const t = range[key].getTime();
    if (t < EARLIEST_TIME || t > LATEST_TIME) {
      throw new QueryError(
        `time range: ${key} ${range[key].toISOString()} is outside the years 0001 to 9999, which is all a time ` +
          'range may span (PostgreSQL cannot read a timestamp with a five-digit or negative year as we send it)',
        `timeRange.${key}`,
      );
    }
  }
  return range;
}
