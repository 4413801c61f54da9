/**
 * Resource.CallResource: an HTTP-style request in, a stream of responses out. The first message carries the
 * status code and headers; the bodies of all messages are concatenated by Grafana. At least one message is
 * always sent (zero messages is an error on Grafana's side).
 */
import { buildContext, errorText } from './context.ts';
import type { DatasourceHandlers, ResourceResponse } from '../query/contract.ts';
import { SettingsError } from '../query/settings.ts';
import type { InstanceManager } from './instances.ts';
import type { Logger } from './logger.ts';
import type { PluginMetrics } from './metrics.ts';
import type { PbCallResourceRequest, PbCallResourceResponse, PbStringList } from './protocol.ts';

/** Body bytes per message: far below the gRPC message limit, large enough to keep message count small. */
export const RESOURCE_CHUNK_BYTES = 1 << 20;

export interface ResourceServiceDeps {
  handlers: DatasourceHandlers;
  instances: InstanceManager;
  logger: Logger;
  metrics: PluginMetrics;
}

function hasHeader(headers: Record<string, string[]>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name.toLowerCase());
}

/** Serialises the handler's body and fills in a content type when the handler gave none. */
export function encodeBody(res: ResourceResponse): { headers: Record<string, string[]>; body: Uint8Array } {
  const headers: Record<string, string[]> = { ...(res.headers ?? {}) };
  let body: Uint8Array;
  let contentType: string;
  if (res.body instanceof Uint8Array) {
    body = res.body;
    contentType = 'application/octet-stream';
  } else if (typeof res.body === 'string') {
    body = new TextEncoder().encode(res.body);
    contentType = 'text/plain; charset=utf-8';
  } else {
    body = new TextEncoder().encode(
      JSON.stringify(res.body ?? null, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    );
    contentType = 'application/json';
  }
  if (!hasHeader(headers, 'content-type')) {
    headers['Content-Type'] = [contentType];
  }
  return { headers, body };
}

function toWireHeaders(headers: Record<string, string[]>): Record<string, PbStringList> {
  const out: Record<string, PbStringList> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = { values: (Array.isArray(v) ? v : [String(v)]).map(String) };
  }
  return out;
}

/** Splits one response into stream messages; always at least one. */
export function toMessages(
  status: number,
  headers: Record<string, string[]>,
  body: Uint8Array,
): PbCallResourceResponse[] {
  const messages: PbCallResourceResponse[] = [
    { code: status, headers: toWireHeaders(headers), body: body.subarray(0, RESOURCE_CHUNK_BYTES) },
  ];
  for (let at = RESOURCE_CHUNK_BYTES; at < body.length; at += RESOURCE_CHUNK_BYTES) {
    messages.push({ body: body.subarray(at, at + RESOURCE_CHUNK_BYTES) });
  }
  return messages;
}

function jsonError(
  status: number,
  message: string,
): { status: number; headers: Record<string, string[]>; body: Uint8Array } {
  return {
    status,
    headers: { 'Content-Type': ['application/json'] },
    body: new TextEncoder().encode(JSON.stringify({ message })),
  };
}

export async function callResource(
  request: PbCallResourceRequest,
  signal: AbortSignal,
  deps: ResourceServiceDeps,
): Promise<PbCallResourceResponse[]> {
  const reqHeaders: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(request.headers ?? {})) {
    reqHeaders[k] = v?.values ?? [];
  }
  const flatHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(reqHeaders)) {
    flatHeaders[k] = v.join(', ');
  }

  let result: { status: number; headers: Record<string, string[]>; body: Uint8Array };
  try {
    const ctx = buildContext(request.pluginContext, flatHeaders, {
      instances: deps.instances,
      logger: deps.logger,
      signal,
    });
    try {
      const res = await deps.handlers.callResource(ctx, {
        path: request.path ?? '',
        method: request.method ?? 'GET',
        url: request.url ?? '',
        headers: reqHeaders,
        body: request.body ?? new Uint8Array(),
      });
      const status = Number.isInteger(res?.status) && res.status >= 100 && res.status <= 599 ? res.status : 500;
      result = { status, ...encodeBody(res) };
    } catch (err) {
      ctx.logger.error('resource handler failed', { path: request.path, error: err });
      result = jsonError(500, `resource call failed: ${errorText(err)}`);
    }
  } catch (err) {
    if (!(err instanceof SettingsError)) {
      deps.logger.error('cannot prepare the resource call', { error: err });
    }
    result = jsonError(err instanceof SettingsError ? 400 : 500, errorText(err));
  }
  deps.metrics.recordResource(request.method ?? '', result.status);
  return toMessages(result.status, result.headers, result.body);
}
