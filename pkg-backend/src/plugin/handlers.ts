/**
 * The seam between the protocol layer and the query layer. server.ts decodes gRPC requests into these
 * types, calls a PluginHandlers implementation, and encodes the answers; the query layer
 * (pkg-backend/src/query/handlers.ts → `createHandlers`) implements it without touching gRPC or Arrow.
 */
import type { Frame } from './frames.ts';
import type { DatasourceInstance } from './instances.ts';
import type { Logger } from './logger.ts';

export interface GrafanaUser {
  login: string;
  name: string;
  email: string;
  role: string;
}

export interface RequestContext {
  /** Parsed settings + the datasource's pg.Pool. Always present: requests without usable settings are answered by server.ts. */
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

export interface DataQueryInput {
  refId: string;
  /** DataQuery.queryType (Grafana copies the model's queryType here); may be "". */
  queryType: string;
  /**
   * The parsed query model. Queries whose JSON is empty or invalid never reach the handler: server.ts
   * answers them itself with a 400 "query JSON is invalid" error for that refId.
   */
  json: unknown;
  timeRange: { from: Date; to: Date };
  intervalMs: number;
  maxDataPoints: number;
}

export type ErrorSource = 'plugin' | 'downstream';

export type DataResponseOut =
  | { frames: Frame[] }
  | { error: string; status: number; errorSource: ErrorSource; frames?: Frame[] };

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

export interface PluginHandlers {
  /** Answer each refId; a refId missing from the map becomes a "no response" error. May throw (see server.ts). */
  queryData(ctx: RequestContext, queries: DataQueryInput[]): Promise<Map<string, DataResponseOut>>;
  checkHealth(ctx: RequestContext): Promise<HealthResult>;
  callResource(ctx: RequestContext, req: ResourceRequest): Promise<ResourceResponse>;
}

export interface HandlerDeps {
  logger: Logger;
}

/** What pkg-backend/src/query/handlers.ts exports as `createHandlers`. */
export type CreateHandlers = (deps: HandlerDeps) => PluginHandlers;

/** Builds a per-refId error answer. */
export function queryError(error: string, status = 500, errorSource: ErrorSource = 'plugin'): DataResponseOut {
  return { error, status, errorSource };
}

export function isErrorResponse(r: DataResponseOut): r is Extract<DataResponseOut, { error: string }> {
  return typeof (r as { error?: unknown }).error === 'string' && (r as { error: string }).error !== '';
}
