/**
 * Types of the datasource front end. The query model, settings and limits are defined once in common/ (the
 * backend imports the same files); this module re-exports them and adds what only the UI needs.
 */
import type { DataSourceJsonData } from '@grafana/data';
import type { DataQuery } from '@grafana/schema';

export * from '../../common/queryModel.ts';
export * from '../../common/limits.ts';
export * from '../../common/resources.ts';
export {
  validateQuery,
  errorFor,
  containsTemplateVariable,
  type QueryValidationError,
} from '../../common/validateQuery.ts';

import type {
  DetectorFunction,
  QueryType,
  RarityDataSourceOptions as SharedDataSourceOptions,
  RarityQuery,
} from '../../common/queryModel.ts';
import { DEFAULT_BUCKET_SPAN } from '../../common/limits.ts';
import type { FieldRole } from '../../common/resources.ts';

/**
 * The settings as Grafana's generics want them: the shared keys (which the backend reads) plus Grafana's
 * common jsonData keys. Shadows the shared name on purpose so front-end code has one name to import; the
 * shared file stays free of @grafana/* imports because the backend imports it too.
 */
export interface RarityDataSourceOptions extends SharedDataSourceOptions, DataSourceJsonData {}

/** What a query variable lists (the variable editor's model; never sent to /api/ds/query). */
export type VariableQueryKind = 'values' | 'fields' | 'tables';

export interface RarityVariableQuery extends DataQuery {
  kind: VariableQueryKind;
  /** For values and fields; empty = the datasource's default table. */
  table?: string;
  /** For values. */
  field?: string;
  /** For fields: only those that can play this role. */
  suits?: FieldRole;
  /** For values: only values containing this text. */
  search?: string;
}

export const DEFAULT_QUERY: Partial<RarityQuery> = {
  queryType: 'scores',
  function: 'rare',
  bucketSpan: DEFAULT_BUCKET_SPAN,
};

export const QUERY_TYPE_LABELS: Record<QueryType, { label: string; description: string }> = {
  scores: {
    label: 'Scores',
    description: 'Anomaly score time series 0–100 (bucket and per entity); use for alert rules',
  },
  records: { label: 'Records', description: 'One row per anomalous record: score, probability, typical, actual' },
  groups: {
    label: 'Groups',
    description: 'Consecutive anomalous buckets of one entity, with Starting At / Ending At log ids',
  },
  logs: { label: 'Logs', description: 'Log lines with severity from the score and their anomaly group' },
  annotations: { label: 'Annotations', description: 'Regions of anomaly groups for time series panels' },
  influencers: {
    label: 'Influencers',
    description: "A job's influencer scores 0–100, one series per value, e.g. {key=…}; one alert instance per value",
  },
};

export const FUNCTION_LABELS: Record<DetectorFunction, { label: string; description: string }> = {
  rare: {
    label: 'rare',
    description:
      'Finds by-field values that are rare in time; with an over field, values used by few entities of the population.',
  },
  freq_rare: {
    label: 'freq_rare',
    description:
      'Finds entities (over field) that frequently use values which are rare across the population; needs an over field.',
  },
};
