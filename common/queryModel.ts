/**
 * The query model saved by panels and alert rules, and the datasource settings. One definition, imported by
 * the front end (src/) and the backend (pkg-backend/), so both sides agree on names; limits are in limits.ts.
 */

export type QueryType = 'scores' | 'records' | 'groups' | 'logs' | 'annotations' | 'influencers';
export type DetectorFunction = 'rare' | 'freq_rare';

export const QUERY_TYPES: readonly QueryType[] = ['scores', 'records', 'groups', 'logs', 'annotations', 'influencers'];
export const DETECTOR_FUNCTIONS: readonly DetectorFunction[] = ['rare', 'freq_rare'];

/** Comparison operators a structured filter may use; anything else is refused. */
export const FILTER_OPS = ['=', '!=', '<', '<=', '>', '>=', 'in', 'not in', 'like', 'is null', 'is not null'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export interface QueryFilter {
  field: string;
  op: FilterOp;
  /** Bound as a parameter; a comma-separated list for `in` / `not in`; ignored for the null tests. */
  value?: string;
}

/**
 * One detector of a job query, as common/jobModel.ts's JobDetector but with the description optional: without
 * one, Elastic's default (e.g. `rare by ip partitionfield=key`) is used. Field references as byField's.
 */
export interface QueryDetector {
  function: DetectorFunction;
  byField: string;
  overField?: string;
  /** Every value of this field gets a detector of its own, with its own history. */
  partitionField?: string;
  description?: string;
}

export interface RarityQuery {
  refId: string;
  queryType: QueryType;
  /** Optional; defaults to the datasource's table. Schema-qualified names allowed. */
  table?: string;
  function: DetectorFunction;
  byField: string;
  overField?: string;
  /**
   * A job query when non-empty: these detectors run together (common/jobQuery.ts makes the JobDefinition) and
   * function, byField and overField above are not used. Empty or absent: the single detector above.
   */
  detectors?: QueryDetector[];
  /** Fields whose values may explain a record (Elastic's influencers); each at most once. */
  influencers?: string[];
  /**
   * The field anomaly groups are formed per; one of the job's by, over, partition or influencer fields.
   * Absent: the first influencer.
   */
  groupField?: string;
  /** Grafana duration (e.g. "5m"); default DEFAULT_BUCKET_SPAN. */
  bucketSpan?: string;
  filters?: QueryFilter[];
  minScore?: number;
  limit?: number;
  /**
   * Alert evaluations leave out buckets still filling (scored on a copy, flagged interim) so an alert does not
   * fire on a score that may change; true lets an alert rule see them.
   */
  includeInterim?: boolean;
  hide?: boolean;
}

/** A structured success rule, e.g. `state = 1`; never SQL text. */
export interface SuccessRule {
  field: string;
  op: FilterOp;
  value?: string;
}

/**
 * What an unset sslmode means to the backend. The config editor shows this value and warns about it, so the
 * screen never claims an encryption the connection does not use.
 */
export const DEFAULT_SSLMODE = 'disable';

/** Datasource settings (jsonData) shared by the config editor and the backend. */
export interface RarityDataSourceOptions {
  url?: string;
  database?: string;
  user?: string;
  sslmode?: 'disable' | 'require' | 'verify-ca' | 'verify-full';
  tlsConfigurationMethod?: 'file-path' | 'file-content';
  sslRootCertFile?: string;
  sslCertFile?: string;
  sslKeyFile?: string;
  table?: string;
  timeColumn?: string;
  idColumn?: string;
  messageColumn?: string;
  successRule?: SuccessRule;
  queryTimeoutSeconds?: number;
  /** Schema holding detection jobs and results; default DEFAULT_STATE_SCHEMA. */
  stateSchema?: string;
  /**
   * A separate, writable state database (host:port) for jobs and results, e.g. when the logs sit on a read-only
   * replica. Empty together with stateDatabase: the log database keeps them.
   */
  stateUrl?: string;
  stateDatabase?: string;
  stateUser?: string;
  stateSslmode?: 'disable' | 'require' | 'verify-ca' | 'verify-full';
  /** Days of results and snapshots kept; default DEFAULT_RETENTION_DAYS. */
  retentionDays?: number;
  /**
   * Model memory one detector may hold, in whole MB (Elastic's model_memory_limit); past it new entities are
   * not modelled (hard_limit). Default DEFAULT_MODEL_MEMORY_LIMIT_MB.
   */
  modelMemoryLimitMb?: number;
  /**
   * Encoded frames one query (refId) may answer with, in whole MB; past it that query gets an error saying how
   * to narrow it. Default DEFAULT_MAX_RESPONSE_MB.
   */
  maxResponseMb?: number;
  /**
   * Schemas whose tables queries and the editors' pickers may use. Empty: only the schema of the datasource's
   * log table. PostgreSQL's own catalogues (pg_catalog, information_schema, pg_*) are refused whatever is listed.
   */
  allowedSchemas?: string[];
}

export interface RaritySecureJsonData {
  password?: string;
  tlsCACert?: string;
  tlsClientCert?: string;
  tlsClientKey?: string;
  statePassword?: string;
}
