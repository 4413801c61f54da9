/**
 * The datasource as the protocol layer sees it, and everything the two share: request context, data query
 * in and answer out, health, resource request and response, and a plain frame description. The protocol
 * layer (pkg-backend/src/plugin/) decodes gRPC into these types, calls DatasourceHandlers and encodes the
 * answers; the datasource (./datasource.ts) implements them without touching gRPC or Arrow. Only plugin/
 * imports this module from outside; query/ never imports plugin/.
 */
import type pg from 'pg';
import type { StateStore } from '../store/index.ts';
import type { DataSourceSettings } from './settings.ts';

/** What the datasource logs through; the plugin's structured logger is one. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** One configured datasource: its parsed settings and its connection pool. */
export interface DatasourceInstance {
  /** `<uid or id>@<lastUpdatedMS>`: stable for one saved version of the settings. */
  readonly key: string;
  readonly settings: DataSourceSettings;
  readonly pool: pg.Pool;
  /**
   * Where this datasource keeps its detection jobs, opened once per instance. Absent (or not persisted):
   * queries run on in-process state and say why in a frame notice.
   */
  state?(): Promise<JobStateHandle>;
}

/** The state store of a datasource instance, or why there is none (shown as a notice and in the health check). */
export type JobStateHandle =
  { persisted: true; store: StateStore; schema: string } | { persisted: false; reason: string; advice: string };

export interface GrafanaUser {
  login: string;
  name: string;
  email: string;
  role: string;
}

export interface RequestContext {
  /** Parsed settings + the datasource's pg.Pool. Always present: requests without usable settings are answered by the protocol layer. */
  instance: DatasourceInstance;
  orgId: number;
  pluginId: string;
  pluginVersion: string;
  /** Grafana's user agent, e.g. "Grafana/12.1.0 (linux; amd64)". */
  userAgent: string;
  /** Absent for requests Grafana makes on its own behalf (alert evaluation, background jobs). */
  user?: GrafanaUser;
  /** Request headers (forwarded HTTP headers arrive as `http_<Name>`); multi-valued resource headers joined by ", ". */
  headers: Record<string, string>;
  /** `FromAlert: true` (matched case-insensitively): an alert rule evaluation. */
  fromAlert: boolean;
  /** Aborted when Grafana cancels the call (dashboard closed, timeout) or the plugin shuts down. */
  signal: AbortSignal;
  logger: Logger;
}

/** Finds a header by name regardless of case (Grafana sends `FromAlert`, proxies may lower-case it). */
export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) {
      return value;
    }
  }
  return undefined;
}

export interface DataQueryInput {
  refId: string;
  /** DataQuery.queryType (Grafana copies the model's queryType here); may be "". */
  queryType: string;
  /**
   * The parsed query model. Queries whose JSON is empty or invalid never reach the handler: the protocol
   * layer answers them itself with a 400 "query JSON is invalid" error for that refId.
   */
  json: unknown;
  timeRange: { from: Date; to: Date };
  intervalMs: number;
  maxDataPoints: number;
}

export type ErrorSource = 'plugin' | 'downstream';

export type DataErrorResponse = { error: string; status: number; errorSource: ErrorSource; frames?: Frame[] };
export type DataResponseOut = { frames: Frame[] } | DataErrorResponse;

/** The one way to build a per-refId error answer: what failed, its HTTP-like status and whose fault it is. */
export function dataError(error: string, status = 500, errorSource: ErrorSource = 'plugin'): DataErrorResponse {
  return { error, status, errorSource };
}

export function isErrorResponse(r: DataResponseOut): r is DataErrorResponse {
  return typeof (r as { error?: unknown }).error === 'string' && (r as { error: string }).error !== '';
}

export interface HealthResult {
  status: 'OK' | 'ERROR';
  message: string;
  /** Sent as CheckHealthResponse.jsonDetails; Grafana shows `verboseMessage` as the details of a failed test. */
  details?: unknown;
}

export interface ResourceRequest {
  /** Path below /api/datasources/uid/<uid>/resources/, without a leading slash. */
  path: string;
  method: string;
  /** Path with query string, as the browser sent it. */
  url: string;
  headers: Record<string, string[]>;
  body: Uint8Array;
}

export interface ResourceResponse {
  status: number;
  headers?: Record<string, string[]>;
  /** Objects are sent as JSON (application/json), strings as text/plain unless a content-type is given. */
  body: Uint8Array | string | object;
}

export interface DatasourceHandlers {
  /** Answer each refId; a refId missing from the map becomes a "no response" error. May throw (the protocol layer retries one by one). */
  queryData(ctx: RequestContext, queries: DataQueryInput[]): Promise<Map<string, DataResponseOut>>;
  checkHealth(ctx: RequestContext): Promise<HealthResult>;
  callResource(ctx: RequestContext, req: ResourceRequest): Promise<ResourceResponse>;
  /** Stops background work (the job runner) on SIGTERM or Shutdown; resolves within the given grace. */
  shutdown?(graceMs: number): Promise<void>;
}

// ---- Frames: what a data answer holds, before the protocol layer encodes it as Arrow ----

export type FieldType = 'time' | 'number' | 'string' | 'boolean' | 'int64' | 'json';

/** Grafana FieldConfig; only the keys we use are typed, the rest pass through as JSON. */
export interface FieldConfig {
  displayName?: string;
  displayNameFromDS?: string;
  unit?: string;
  decimals?: number;
  min?: number;
  max?: number;
  links?: Array<{ title: string; url: string; targetBlank?: boolean; internal?: unknown }>;
  custom?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Notice {
  severity: 'info' | 'warning' | 'error';
  text: string;
  link?: string;
  inspect?: string;
}

/** Grafana FrameMeta (data-plane `type`/`typeVersion` decide how alerting reads the frame). */
export interface FrameMeta {
  type?: string;
  typeVersion?: [number, number];
  preferredVisualisationType?: string;
  executedQueryString?: string;
  notices?: Notice[];
  custom?: unknown;
  stats?: Array<{ displayName: string; value: number; unit?: string }>;
  [key: string]: unknown;
}

/**
 * One column. Accepted values per type (null/undefined = null):
 * - time: Date, epoch milliseconds (number), epoch nanoseconds (bigint) or an ISO string
 * - number: number (bigint is converted) · int64: integer number or bigint
 * - string: string (other values are String()-ed) · boolean: boolean · json: anything JSON.stringify accepts
 */
export interface Field {
  name: string;
  type: FieldType;
  values: readonly unknown[];
  /** Defaults to "contains a null"; set true to declare a column nullable even when this batch has none. */
  nullable?: boolean;
  labels?: Record<string, string>;
  config?: FieldConfig;
}

export interface Frame {
  name?: string;
  refId?: string;
  meta?: FrameMeta;
  fields: Field[];
}
