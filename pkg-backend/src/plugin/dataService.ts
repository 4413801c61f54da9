/**
 * Data.QueryData: decode queries, let the handler answer them, encode frames, and make sure every refId gets
 * exactly one answer whatever goes wrong. Failures are per-refId DataResponse errors, not gRPC errors,
 * because one gRPC error would fail every panel query in the request.
 */
import {
  dataError,
  isErrorResponse,
  type DataQueryInput,
  type DataResponseOut,
  type DatasourceHandlers,
  type RequestContext,
} from '../query/contract.ts';
import { SettingsError } from '../query/settings.ts';
import { buildContext, errorText } from './context.ts';
import { encodeFrames } from './frames.ts';
import type { InstanceManager } from './instances.ts';
import type { Logger } from './logger.ts';
import type { PluginMetrics } from './metrics.ts';
import type { PbDataQuery, PbDataResponse, PbQueryDataRequest, PbQueryDataResponse } from './protocol.ts';

export interface DataServiceDeps {
  handlers: DatasourceHandlers;
  instances: InstanceManager;
  logger: Logger;
  metrics: PluginMetrics;
}

/** Decodes one query; a string result is the reason its JSON is unusable. */
export function decodeQuery(q: PbDataQuery): DataQueryInput | string {
  const text = q.json && q.json.length > 0 ? new TextDecoder().decode(q.json).trim() : '';
  if (text === '') {
    return 'query JSON is empty';
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return `query JSON is invalid: ${errorText(err)}`;
  }
  return {
    refId: q.refId,
    queryType: q.queryType ?? '',
    json,
    timeRange: {
      from: new Date(Number(q.timeRange?.fromEpochMS ?? 0)),
      to: new Date(Number(q.timeRange?.toEpochMS ?? 0)),
    },
    intervalMs: Number(q.intervalMS ?? 0),
    maxDataPoints: Number(q.maxDataPoints ?? 0),
  };
}

function queryTypeOf(q: DataQueryInput | PbDataQuery): string {
  if (q.queryType) {
    return q.queryType;
  }
  const json = (q as DataQueryInput).json;
  const fromJson = json && typeof json === 'object' ? (json as { queryType?: unknown }).queryType : undefined;
  return typeof fromJson === 'string' ? fromJson : '';
}

/** Runs the handler on the whole batch; if the batch throws, retries each query alone so one bad query cannot fail the rest. */
async function runHandler(
  handlers: DatasourceHandlers,
  ctx: RequestContext,
  queries: DataQueryInput[],
  logger: RequestContext['logger'],
): Promise<Map<string, DataResponseOut>> {
  try {
    const result = await handlers.queryData(ctx, queries);
    if (!(result instanceof Map)) {
      throw new TypeError('queryData must return a Map of refId → response');
    }
    return result;
  } catch (err) {
    logger.error('query handler failed', { error: err, refIds: queries.map((q) => q.refId).join(',') });
    if (queries.length <= 1) {
      return new Map(queries.map((q) => [q.refId, dataError(`query failed: ${errorText(err)}`, 500, 'plugin')]));
    }
    const singles = await Promise.all(queries.map((q) => runHandler(handlers, ctx, [q], logger)));
    const merged = new Map<string, DataResponseOut>();
    singles.forEach((m, i) => {
      const refId = queries[i].refId;
      const answer = m.get(refId);
      if (answer) {
        merged.set(refId, answer);
      }
    });
    return merged;
  }
}

function toWire(answer: DataResponseOut | undefined, refId: string, logger: RequestContext['logger']): PbDataResponse {
  if (!answer) {
    return toWire(dataError(`no response for refId ${refId} from the query layer`, 500, 'plugin'), refId, logger);
  }
  try {
    const frames = encodeFrames(answer.frames ?? [], refId);
    if (isErrorResponse(answer)) {
      return {
        frames,
        error: answer.error,
        status: answer.status || 500,
        errorSource: answer.errorSource === 'downstream' ? 'downstream' : 'plugin',
      };
    }
    return { frames, status: 200 };
  } catch (err) {
    logger.error('frame encoding failed', { refId, error: err });
    return toWire(dataError(`cannot encode the result: ${errorText(err)}`, 500, 'plugin'), refId, logger);
  }
}

export async function queryData(
  request: PbQueryDataRequest,
  signal: AbortSignal,
  deps: DataServiceDeps,
): Promise<PbQueryDataResponse> {
  const started = performance.now();
  const responses: Record<string, PbDataResponse> = {};
  const queries = request.queries ?? [];

  let ctx: RequestContext;
  try {
    ctx = buildContext(request.pluginContext, request.headers ?? {}, {
      instances: deps.instances,
      logger: deps.logger,
      signal,
    });
  } catch (err) {
    const settings = err instanceof SettingsError;
    if (!settings) {
      deps.logger.error('cannot prepare the request', { error: err });
    }
    for (const q of queries) {
      responses[q.refId] = toWire(
        dataError(errorText(err), settings ? 400 : 500, settings ? 'downstream' : 'plugin'),
        q.refId,
        deps.logger,
      );
      deps.metrics.recordQuery(queryTypeOf(q), 'invalid');
    }
    return { responses };
  }

  const valid: DataQueryInput[] = [];
  for (const q of queries) {
    const decoded = decodeQuery(q);
    if (typeof decoded === 'string') {
      // JSON that does not parse never reached PostgreSQL: Grafana must not count it against the database.
      responses[q.refId] = toWire(dataError(decoded, 400, 'plugin'), q.refId, deps.logger);
      deps.metrics.recordQuery(queryTypeOf(q), 'invalid');
    } else {
      valid.push(decoded);
    }
  }

  if (valid.length > 0) {
    const answers = await runHandler(deps.handlers, ctx, valid, ctx.logger);
    for (const q of valid) {
      const wire = toWire(answers.get(q.refId), q.refId, ctx.logger);
      responses[q.refId] = wire;
      deps.metrics.recordQuery(queryTypeOf(q), wire.error ? 'error' : 'ok');
    }
  }
  const failed = Object.values(responses).some((r) => r.error);
  deps.metrics.recordQueryDuration((performance.now() - started) / 1000, failed ? 'error' : 'ok');
  return { responses };
}
