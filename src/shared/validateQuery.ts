/**
 * Validation of the query model (DESIGN.md §3), shared by the query editor (shows errors inline before a query
 * runs) and the backend (refuses the same queries with the same words). Messages name the field, the value that
 * was wrong and what is allowed (DESIGN.md §5).
 */
import {
  DETECTOR_FUNCTIONS,
  FILTER_OPS,
  MAX_LIMIT,
  QUERY_TYPES,
  parseDurationMs,
  type FilterOp,
  type RarityQuery,
} from './queryModel.ts';

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

/** Returns every problem of `query`; an empty list means it can run. */
export function validateQuery(query: Partial<RarityQuery>, options: ValidateOptions = {}): QueryValidationError[] {
  const errors: QueryValidationError[] = [];
  const add = (field: string, message: string) => errors.push({ field, message });
  const unchecked = (value: unknown) => options.allowTemplateVariables === true && containsTemplateVariable(value);

  if (query.queryType !== undefined && !QUERY_TYPES.includes(query.queryType)) {
    add('queryType', `queryType ${quote(query.queryType)} is not known; use one of ${QUERY_TYPES.join(', ')}`);
  }

  const fn = query.function ?? 'rare';
  // A dashboard may pick the function with a variable ("$function"); it is checked after interpolation.
  if (!DETECTOR_FUNCTIONS.includes(fn) && !unchecked(fn)) {
    add('function', `function ${quote(fn)} is not known; use rare or freq_rare`);
  }

  if (isBlank(query.byField)) {
    add('byField', 'By field is required: choose the categorical field whose rare values are searched for');
  }

  if (fn === 'freq_rare' && isBlank(query.overField)) {
    add('overField', 'Over field is required for freq_rare: choose the entity field (e.g. a client IP) whose requests are compared');
  } else if (
    !isBlank(query.overField) &&
    !isBlank(query.byField) &&
    query.overField!.trim() === query.byField!.trim() &&
    !unchecked(query.byField)
  ) {
    add('overField', `Over field ${quote(query.overField)} is the same as the by field; choose a different field`);
  }

  if (query.bucketSpan !== undefined && query.bucketSpan !== '' && !unchecked(query.bucketSpan)) {
    try {
      if (parseDurationMs(query.bucketSpan) <= 0) {
        add('bucketSpan', `bucketSpan ${quote(query.bucketSpan)} must be longer than zero, e.g. 5m`);
      }
    } catch (error) {
      add('bucketSpan', (error as Error).message);
    }
  }

  if (query.minScore !== undefined && query.minScore !== null) {
    const score = query.minScore;
    if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 100) {
      add('minScore', `minScore ${quote(score)} must be a number from 0 to 100`);
    }
  }

  if (query.limit !== undefined && query.limit !== null) {
    const limit = query.limit;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      add('limit', `limit ${quote(limit)} must be a whole number from 1 to ${MAX_LIMIT}`);
    }
  }

  (query.filters ?? []).forEach((filter, i) => {
    const at = `filters.${i}`;
    if (isBlank(filter?.field)) {
      add(`${at}.field`, `Filter ${i + 1}: choose a field`);
    }
    if (!FILTER_OPS.includes(filter?.op)) {
      add(`${at}.op`, `Filter ${i + 1}: operator ${quote(filter?.op)} is not allowed; use one of ${FILTER_OPS.join(', ')}`);
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
        add(`${at}.value`, `Filter ${i + 1}: "${filter.op}" needs a comma-separated list without empty items, got ${quote(filter.value)}`);
      }
    }
  });

  return errors;
}

/** The first error for `field`, for showing next to that input. */
export function errorFor(errors: readonly QueryValidationError[], field: string): string | undefined {
  return errors.find((error) => error.field === field)?.message;
}
