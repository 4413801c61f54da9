/**
 * A Grafana query (the saved model + the panel's time range) and the datasource settings → a detection
 * request. Validation is the one the query editor runs (src/shared/validateQuery.ts), so the words match.
 */
import { DEFAULT_BUCKET_SPAN, DEFAULT_LIMIT, type RarityDataSourceOptions, type RarityQuery } from '../../../src/shared/queryModel.ts';
import { validateQuery } from '../../../src/shared/validateQuery.ts';
import type { DetectionRequest } from './detection.ts';
import { QueryError } from './errors.ts';

export interface ParsedQuery {
  query: RarityQuery;
  detection: DetectionRequest;
  minScore: number;
  limit: number;
}

export function parseQuery(
  json: unknown,
  queryType: string,
  timeRange: { from: Date; to: Date },
  settings: RarityDataSourceOptions,
): ParsedQuery {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new QueryError('the query must be a JSON object with at least queryType, function and byField');
  }
  const raw = json as Partial<RarityQuery>;
  const query = { ...raw, queryType: raw.queryType || (queryType as RarityQuery['queryType']) || 'scores' } as RarityQuery;
  query.function = query.function ?? 'rare';
  const errors = validateQuery(query);
  if (errors.length > 0) throw new QueryError(errors.map((e) => e.message).join('; '), errors[0].field);

  const table = query.table || settings.table;
  if (!table) throw new QueryError('no table: set "table" in the query or a default log table in the datasource settings', 'table');
  if (!settings.timeColumn) throw new QueryError('the datasource has no time column configured (Log table → Time column)', 'timeColumn');
  if (!settings.idColumn) throw new QueryError('the datasource has no id column configured (Log table → Id column)', 'idColumn');

  return {
    query,
    minScore: query.minScore ?? 0,
    limit: query.limit ?? DEFAULT_LIMIT,
    detection: {
      table,
      timeColumn: settings.timeColumn,
      idColumn: settings.idColumn,
      function: query.function,
      byField: query.byField,
      overField: query.overField || undefined,
      bucketSpan: query.bucketSpan || DEFAULT_BUCKET_SPAN,
      from: timeRange.from,
      to: timeRange.to,
      filters: query.filters,
      successRule: settings.successRule,
    },
  };
}
