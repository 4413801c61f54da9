/**
 * Validation of the query model, shared by the query editor (shows errors inline before a query
 * runs) and the backend (refuses the same queries with the same words). Messages name the field, the value that
 * was wrong and what is allowed.
 */
import { parseDurationMs } from './duration.ts';
import { truncateEcho } from './echo.ts';
import {
  DEFAULT_BUCKET_SPAN,
  MAX_BUCKET_SPAN_MS,
  MAX_BUCKET_SPAN_TEXT,
  MAX_FILTERS,
  MAX_INFLUENCERS,
  MAX_JOB_DETECTORS,
  MAX_LIMIT,
  MAX_SCORE,
  MIN_BUCKET_SPAN_MS,
  MIN_SCORE,
} from './limits.ts';
import {
  DETECTOR_FUNCTIONS,
  FILTER_OPS,
  QUERY_TYPES,
  type FilterOp,
  type QueryDetector,
  type RarityQuery,
} from './queryModel.ts';

export interface QueryValidationError {
  /** Path of the offending property: "byField", "overField", "filters.0.value", "detectors.2.overField", … */
  field: string;
  message: string;
}

export interface ValidateOptions {
  /**
   * The editor validates queries before Grafana interpolated them: a value holding a template variable
   * ("$span", "${by}", "[[x]]") cannot be checked yet and is accepted. The backend leaves this off.
   */
  allowTemplateVariables?: boolean;
  /**
   * How messages name the fields a person sets: the editor's and the JSON model's words by default; the
   * command line passes its flags (`--over`, `--bucket-span`, …).
   */
  labels?: FieldLabels;
}

export type LabelledField = 'function' | 'byField' | 'overField' | 'bucketSpan';
export type FieldLabels = Partial<Record<LabelledField, string>>;

const LABELS: Record<LabelledField, string> = {
  function: 'function',
  byField: 'By field',
  overField: 'Over field',
  bucketSpan: 'bucketSpan',
};

/** A query that passed, with its bucket span in milliseconds (NaN while a template variable hides it). */
export interface CheckedQuery {
  errors: QueryValidationError[];
  bucketSpanMs: number;
}

/** Ops that compare against nothing, so a value is not needed. */
const NULL_OPS: readonly FilterOp[] = ['is null', 'is not null'];
const LIST_OPS: readonly FilterOp[] = ['in', 'not in'];
const TEMPLATE_VARIABLE = /\$\w+|\$\{[^}]+\}|\[\[[^\]]+\]\]/;

export function containsTemplateVariable(text: unknown): boolean {
  return typeof text === 'string' && TEMPLATE_VARIABLE.test(text);
}

function isBlank(text: unknown): boolean {
  return typeof text !== 'string' || text.trim() === '';
}

function quote(value: unknown): string {
  return truncateEcho(JSON.stringify(value) ?? String(value));
}

/** Whether `query` is a job query: one with detectors, whose single-detector fields are then not used. */
export function isJobQuery(query: Partial<RarityQuery>): boolean {
  return Array.isArray(query.detectors) && query.detectors.length > 0;
}

function missingOf(detector: Partial<QueryDetector> | undefined): Array<'byField' | 'overField'> {
  const missing: Array<'byField' | 'overField'> = [];
  if (isBlank(detector?.byField)) {
    missing.push('byField');
  }
  if ((detector?.function ?? 'rare') === 'freq_rare' && isBlank(detector?.overField)) {
    missing.push('overField');
  }
  return missing;
}

/**
 * The fields a query cannot run without that it lacks; for a job query, those any of its detectors lacks.
 * Grafana does not send such a query at all (the datasource's filterQuery); validateQuery words the same rule
 * for the editor and the backend.
 */
export function missingFields(query: Partial<RarityQuery>): Array<'byField' | 'overField'> {
  if (!isJobQuery(query)) {
    return missingOf(query);
  }
  const missing = new Set(query.detectors!.flatMap((detector) => missingOf(detector)));
  return (['byField', 'overField'] as const).filter((field) => missing.has(field));
}

/**
 * Why `text` cannot be a bucket span (given its parsed length `ms`), or undefined when it can: a duration of
 * whole seconds, at least MIN_BUCKET_SPAN_MS and at most MAX_BUCKET_SPAN_MS.
 */
function bucketSpanError(text: string, ms: number, label: string): string | undefined {
  if (Number.isNaN(ms)) {
    return `${label} ${quote(text)} is not a duration; use a number and a unit such as 30s, 5m, 1h or 1d`;
  }
  if (ms <= 0) {
    return `${label} ${quote(text)} must be longer than zero, e.g. 5m`;
  }
  if (ms < MIN_BUCKET_SPAN_MS || ms % 1000 !== 0) {
    return `${label} ${quote(text)} must be a whole number of seconds, at least ${MIN_BUCKET_SPAN_MS / 1000}s`;
  }
  if (!Number.isSafeInteger(ms) || ms > MAX_BUCKET_SPAN_MS) {
    return `${label} ${quote(text)} is too long; use at most ${MAX_BUCKET_SPAN_TEXT}`;
  }
  return undefined;
}

/** Returns every problem of `query`; an empty list means it can run. */
export function validateQuery(query: Partial<RarityQuery>, options: ValidateOptions = {}): QueryValidationError[] {
  return checkQuery(query, options).errors;
}

/** validateQuery, also handing back the bucket span it parsed so the backend does not parse it again. */
export function checkQuery(query: Partial<RarityQuery>, options: ValidateOptions = {}): CheckedQuery {
  const errors: QueryValidationError[] = [];
  const add = (field: string, message: string) => errors.push({ field, message });
  const unchecked = (value: unknown) => options.allowTemplateVariables === true && containsTemplateVariable(value);
  const label = { ...LABELS, ...options.labels };

  if (query.queryType !== undefined && !QUERY_TYPES.includes(query.queryType)) {
    add('queryType', `queryType ${quote(query.queryType)} is not known; use one of ${QUERY_TYPES.join(', ')}`);
  }

  // Influencer results come from a job's influencer fields; a single detector has none.
  if (query.queryType === 'influencers' && (!isJobQuery(query) || (query.influencers ?? []).length === 0)) {
    add(
      'queryType',
      'queryType influencers needs a job with at least one influencer: switch Detection to Job and add influencers',
    );
  }

  if (isJobQuery(query)) {
    checkJob(query, add, unchecked);
  } else {
    checkSingle(query, add, unchecked, label);
    checkInfluencers(query, [query.byField, query.overField], add, unchecked);
  }

  // An empty span means the default, as in the editor's placeholder.
  const span = query.bucketSpan === undefined || query.bucketSpan === '' ? DEFAULT_BUCKET_SPAN : query.bucketSpan;
  let bucketSpanMs = Number.NaN;
  if (!unchecked(span)) {
    bucketSpanMs = parseDurationMs(span);
    const problem = bucketSpanError(span, bucketSpanMs, label.bucketSpan);
    if (problem) {
      add('bucketSpan', problem);
    }
  }

  if (query.minScore !== undefined && query.minScore !== null) {
    const score = query.minScore;
    if (typeof score !== 'number' || !Number.isFinite(score) || score < MIN_SCORE || score > MAX_SCORE) {
      add('minScore', `minScore ${quote(score)} must be a number from ${MIN_SCORE} to ${MAX_SCORE}`);
    }
  }

  if (query.limit !== undefined && query.limit !== null) {
    const limit = query.limit;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      add('limit', `limit ${quote(limit)} must be a whole number from 1 to ${MAX_LIMIT}`);
    }
  }

  if (
    query.includeInterim !== undefined &&
    query.includeInterim !== null &&
    typeof query.includeInterim !== 'boolean'
  ) {
    add('includeInterim', `includeInterim ${quote(query.includeInterim)} must be true or false`);
  }

  const filters = query.filters ?? [];
  if (filters.length > MAX_FILTERS) {
    add('filters', `${filters.length} filters given; at most ${MAX_FILTERS} are allowed`);
  }
  filters.forEach((filter, i) => {
    const at = `filters.${i}`;
    if (isBlank(filter?.field)) {
      add(`${at}.field`, `Filter ${i + 1}: choose a field`);
    }
    if (!FILTER_OPS.includes(filter?.op)) {
      add(
        `${at}.op`,
        `Filter ${i + 1}: operator ${quote(filter?.op)} is not allowed; use one of ${FILTER_OPS.join(', ')}`,
      );
      return;
    }
    if (NULL_OPS.includes(filter.op)) {
      return;
    }
    if (filter.value === undefined || filter.value === null || String(filter.value) === '') {
      add(`${at}.value`, `Filter ${i + 1}: "${filter.op}" needs a value`);
    } else if (LIST_OPS.includes(filter.op) && !unchecked(filter.value)) {
      const items = String(filter.value)
        .split(',')
        .map((item) => item.trim());
      if (items.some((item) => item === '')) {
        add(
          `${at}.value`,
          `Filter ${i + 1}: "${filter.op}" needs a comma-separated list without empty items, got ${quote(filter.value)}`,
        );
      }
    }
  });

  return { errors, bucketSpanMs };
}

type Add = (field: string, message: string) => void;
type Unchecked = (value: unknown) => boolean;

/** The single detector of a query without detectors: function, byField, overField. */
function checkSingle(
  query: Partial<RarityQuery>,
  add: Add,
  unchecked: Unchecked,
  label: Record<LabelledField, string>,
) {
  const missing = missingFields(query);
  const fn = query.function ?? 'rare';
  // A dashboard may pick the function with a variable ("$function"); it is checked after interpolation.
  if (!DETECTOR_FUNCTIONS.includes(fn) && !unchecked(fn)) {
    add('function', `${label.function} ${quote(fn)} is not known; use ${DETECTOR_FUNCTIONS.join(' or ')}`);
  }

  if (missing.includes('byField')) {
    add('byField', `${label.byField} is required: choose the categorical field whose rare values are searched for`);
  }

  if (missing.includes('overField')) {
    add(
      'overField',
      `${label.overField} is required for freq_rare: choose the entity field (e.g. a client IP) whose requests are compared`,
    );
  } else if (
    !isBlank(query.overField) &&
    !isBlank(query.byField) &&
    query.overField!.trim() === query.byField!.trim() &&
    !unchecked(query.byField)
  ) {
    add(
      'overField',
      `${label.overField} ${quote(query.overField)} is the same as the by field; choose a different field`,
    );
  }
}

function trimmed(text: unknown): string | undefined {
  return isBlank(text) ? undefined : (text as string).trim();
}

/** A job query's detectors, influencers and group field; each message names the detector it is about. */
function checkJob(query: Partial<RarityQuery>, add: Add, unchecked: Unchecked) {
  const detectors = query.detectors!;
  if (detectors.length > MAX_JOB_DETECTORS) {
    add('detectors', `${detectors.length} detectors given; at most ${MAX_JOB_DETECTORS} are allowed in one job`);
  }
  const seen = new Map<string, number>();
  detectors.forEach((detector, i) => {
    const name = `detectors[${i}]`;
    const at = `detectors.${i}`;
    if (typeof detector !== 'object' || detector === null || Array.isArray(detector)) {
      add(at, `${name} must be an object with function and byField, got ${quote(detector)}`);
      return;
    }
    const fn = detector.function ?? 'rare';
    if (!DETECTOR_FUNCTIONS.includes(fn) && !unchecked(fn)) {
      add(`${at}.function`, `${name}: function ${quote(fn)} is not known; use ${DETECTOR_FUNCTIONS.join(' or ')}`);
    }
    const missing = missingOf(detector);
    if (missing.includes('byField')) {
      add(`${at}.byField`, `${name}: ${fn} needs a by field, the categorical field whose rare values are searched for`);
    }
    if (missing.includes('overField')) {
      add(
        `${at}.overField`,
        `${name}: freq_rare needs an over field, the entity field (e.g. a client IP) whose requests are compared`,
      );
    }
    if (
      detector.description !== undefined &&
      detector.description !== null &&
      typeof detector.description !== 'string'
    ) {
      add(`${at}.description`, `${name}: description must be text, got ${quote(detector.description)}`);
    }
    const by = trimmed(detector.byField);
    const over = trimmed(detector.overField);
    const partition = trimmed(detector.partitionField);
    // Elastic refuses these too (Detector.Builder.build); the later field of each pair is the one marked.
    const same = (field: string, what: string, value: string, other: string) => {
      if (!unchecked(value)) {
        add(
          `${at}.${field}`,
          `${name}: the ${what} field ${quote(value)} is the same as the ${other} field; choose a different field`,
        );
      }
    };
    if (over !== undefined && over === by) {
      same('overField', 'over', over, 'by');
    }
    if (partition !== undefined && partition === by) {
      same('partitionField', 'partition', partition, 'by');
    } else if (partition !== undefined && partition === over) {
      same('partitionField', 'partition', partition, 'over');
    }
    if (by !== undefined) {
      const key = JSON.stringify([fn, by, over, partition]);
      const twin = seen.get(key);
      if (twin === undefined) {
        seen.set(key, i);
      } else {
        add(at, `${name} is the same detector as detectors[${twin}]; remove one of them`);
      }
    }
  });
  const fields = detectors.flatMap((d) =>
    d && typeof d === 'object' ? [d.byField, d.overField, d.partitionField] : [],
  );
  checkInfluencers(query, fields, add, unchecked);
}

/** Influencers, and the group field: one of `fields` (the detectors' fields) or of the influencers. */
function checkInfluencers(query: Partial<RarityQuery>, fields: unknown[], add: Add, unchecked: Unchecked) {
  const influencers = query.influencers ?? [];
  if (!Array.isArray(influencers)) {
    add('influencers', `influencers must be a list of field names, got ${quote(influencers)}`);
    return;
  }
  if (influencers.length > MAX_INFLUENCERS) {
    add('influencers', `${influencers.length} influencers given; at most ${MAX_INFLUENCERS} are allowed in one job`);
  }
  const names = new Set<string>();
  influencers.forEach((influencer, i) => {
    const name = trimmed(influencer);
    if (name === undefined) {
      add(`influencers.${i}`, `influencers[${i}]: choose a field, got ${quote(influencer)}`);
    } else if (names.has(name)) {
      add(`influencers.${i}`, `influencers[${i}]: ${quote(name)} is named more than once; name each influencer once`);
    } else {
      names.add(name);
    }
  });
  const group = query.groupField;
  if (group === undefined || group === null || group === '') {
    return;
  }
  const groupName = trimmed(group);
  if (groupName === undefined) {
    add('groupField', `groupField must be a field name, got ${quote(group)}`);
    return;
  }
  const known = new Set([...names, ...fields.map(trimmed).filter((f) => f !== undefined)]);
  if (!known.has(groupName) && !unchecked(groupName)) {
    add(
      'groupField',
      `Group field ${quote(groupName)} is none of the job's by, over, partition or influencer fields, so records carry no value of it to group by; add it to the influencers`,
    );
  }
}

/** The first error for `field`, for showing next to that input. */
export function errorFor(errors: readonly QueryValidationError[], field: string): string | undefined {
  return errors.find((error) => error.field === field)?.message;
}
