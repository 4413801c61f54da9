/**
 * Validation of the query model, shared by the query editor (shows errors inline before a query
 * runs) and the backend (refuses the same queries with the same words). Messages name the field, the value that
 * was wrong and what is allowed.
 */
import { parseDurationMs } from './duration.ts';
import {
  DEFAULT_BUCKET_SPAN,
  MAX_BUCKET_SPAN_MS,
  MAX_BUCKET_SPAN_TEXT,
  MAX_FILTERS,
  MAX_LIMIT,
  MAX_SCORE,
  MIN_BUCKET_SPAN_MS,
  MIN_SCORE,
} from './limits.ts';
import { DETECTOR_FUNCTIONS, FILTER_OPS, QUERY_TYPES, type FilterOp, type RarityQuery } from './queryModel.ts';

export interface QueryValidationError {
  /** Path of the offending property: "byField", "overField", "filters.0.value", … */
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
  return JSON.stringify(value) ?? String(value);
}

/**
 * The fields a query cannot run without that it lacks. Grafana does not send such a query at all (the
 * datasource's filterQuery); validateQuery words the same rule for the editor and the backend.
 */
export function missingFields(query: Partial<RarityQuery>): Array<'byField' | 'overField'> {
  const missing: Array<'byField' | 'overField'> = [];
  if (isBlank(query.byField)) {
    missing.push('byField');
  }
  if ((query.function ?? 'rare') === 'freq_rare' && isBlank(query.overField)) {
    missing.push('overField');
  }
  return missing;
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
  const missing = missingFields(query);

  if (query.queryType !== undefined && !QUERY_TYPES.includes(query.queryType)) {
    add('queryType', `queryType ${quote(query.queryType)} is not known; use one of ${QUERY_TYPES.join(', ')}`);
  }

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

/** The first error for `field`, for showing next to that input. */
export function errorFor(errors: readonly QueryValidationError[], field: string): string | undefined {
  return errors.find((error) => error.field === field)?.message;
}
