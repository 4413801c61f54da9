/**
 * The query model saved by panels and alert rules (DESIGN.md §3). One definition, imported by the
 * front end (src/) and the backend (pkg-backend/), so both sides agree on names and limits.
 */

export type QueryType = 'scores' | 'records' | 'groups' | 'logs' | 'annotations';
export type DetectorFunction = 'rare' | 'freq_rare';

export const QUERY_TYPES: readonly QueryType[] = ['scores', 'records', 'groups', 'logs', 'annotations'];
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

export interface RarityQuery {
  refId: string;
  queryType: QueryType;
  /** Optional; defaults to the datasource's table. Schema-qualified names allowed. */
  table?: string;
  function: DetectorFunction;
  byField: string;
  overField?: string;
  /** Grafana duration (e.g. "5m"); default "5m". */
  bucketSpan?: string;
  filters?: QueryFilter[];
  minScore?: number;
  limit?: number;
  hide?: boolean;
}

export const DEFAULT_BUCKET_SPAN = '5m';
export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 100_000;
/** Elastic advises at least 20 learning buckets for rare modelling. */
export const MIN_LEARNING_BUCKETS = 20;

/** A structured success rule, e.g. `state = 1`; never SQL text. */
export interface SuccessRule {
  field: string;
  op: FilterOp;
  value?: string;
}

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
}

export interface RaritySecureJsonData {
  password?: string;
  tlsCACert?: string;
  tlsClientCert?: string;
  tlsClientKey?: string;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses a Grafana duration ("30s", "5m", "1h", "1d", "1h30m") into milliseconds; throws on anything else. */
export function parseDurationMs(text: string): number {
  const trimmed = String(text ?? '').trim();
  const re = /(\d+)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(trimmed)) !== null) {
    total += Number(match[1]) * DURATION_UNITS[match[2]];
    consumed = re.lastIndex;
  }
  if (trimmed === '' || consumed !== trimmed.length) {
    throw new Error(`bucketSpan "${text}" is not a duration; use a number and a unit such as 30s, 5m, 1h or 1d`);
  }
  return total;
}
