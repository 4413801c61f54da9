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
import { truncateEcho } from '../../../common/echo.ts';
import { MAX_QUERIES_PER_REQUEST } from '../../../common/limits.ts';
import { maxResponseBytes, SettingsError } from '../query/settings.ts';
import { buildContext, errorText } from './context.ts';
import { encodeFrames } from './frames.ts';
import type { InstanceManager } from './instances.ts';
import type { Logger } from './logger.ts';
import type { PluginMetrics } from './metrics.ts';
import type { PbDataQuery, PbDataResponse, PbQueryDataRequest, PbQueryDataResponse } from './protocol.ts';
import { MAX_MESSAGE_BYTES } from './server.ts';

/**
 * An error message is at most this long: messages repeat the values that were wrong (cut to MAX_ECHO_CHARS
 * each where they are made), and this catches any echo that slipped through.
 */
const MAX_ERROR_CHARS = 2000;

/** Room left in the one gRPC message for refIds, errors and protobuf framing once the frames are counted. */
const RESPONSE_MARGIN_BYTES = 2 * 1024 * 1024;

const MB = 1024 * 1024;

function megabytes(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

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
    // The parser's message may quote the input; a few hundred characters of it are enough to find the mistake.
    return `query JSON is invalid: ${truncateEcho(errorText(err))}`;
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
    logger.error('query handler failed', {
      error: err,
      refIds: truncateEcho(queries.map((q) => q.refId).join(',')),
    });
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

/** What one response may still spend: its own limit, and what is left of the gRPC message. */
interface Budget {
  perRefId: number;
  left: number;
}

function errorWire(answer: { error: string; status?: number; errorSource?: string }): PbDataResponse {
  return {
    frames: [],
    error: truncateEcho(answer.error, MAX_ERROR_CHARS),
    status: answer.status || 500,
    errorSource: answer.errorSource === 'downstream' ? 'downstream' : 'plugin',
  };
}

async function toWire(
  answer: DataResponseOut | undefined,
  refId: string,
  logger: RequestContext['logger'],
  budget?: Budget,
): Promise<PbDataResponse> {
  if (!answer) {
    return errorWire(dataError(`no response for refId ${truncateEcho(refId)} from the query layer`, 500, 'plugin'));
  }
  let frames: Uint8Array[];
  try {
    frames = await encodeFrames(answer.frames ?? [], refId);
  } catch (err) {
    logger.error('frame encoding failed', { refId: truncateEcho(refId), error: err });
    return errorWire(dataError(`cannot encode the result: ${errorText(err)}`, 500, 'plugin'));
  }
  if (isErrorResponse(answer)) {
    return { ...errorWire(answer), frames };
  }
  if (budget) {
    const bytes = frames.reduce((n, f) => n + f.byteLength, 0);
    if (bytes > budget.perRefId) {
      return errorWire(
        dataError(
          `the result of query ${truncateEcho(refId)} is ${megabytes(bytes)} of frames, over the limit of ` +
            `${megabytes(budget.perRefId)} per query (the datasource's maxResponseMb): narrow the time range, ` +
            'add filters, raise minScore or lower limit',
          413,
          'plugin',
        ),
      );
    }
    if (bytes > budget.left) {
      return errorWire(
        dataError(
          `the result of query ${truncateEcho(refId)} (${megabytes(bytes)}) does not fit in this response: the ` +
            `queries before it already use most of the ${megabytes(MAX_MESSAGE_BYTES)} one response may carry; ` +
            'run it in a panel of its own, or narrow the queries (time range, filters, minScore, limit)',
          413,
          'plugin',
        ),
      );
    }
    budget.left -= bytes;
  }
  return { frames, status: 200 };
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
      responses[q.refId] = await toWire(
        dataError(errorText(err), settings ? 400 : 500, settings ? 'downstream' : 'plugin'),
        q.refId,
        deps.logger,
      );
      deps.metrics.recordQuery(queryTypeOf(q), 'invalid');
    }
    return { responses };
  }

  if (queries.length > MAX_QUERIES_PER_REQUEST) {
    // Every refId is refused, not the first N answered: a request this size is a mistake, and answering
    // part of it would still cost hundreds of detections and a response of unbounded size.
    for (const q of queries) {
      responses[q.refId] = errorWire(
        dataError(
          `this request carries ${queries.length.toLocaleString('en')} queries; at most ${MAX_QUERIES_PER_REQUEST} ` +
            'are answered per request: split them over several panels or requests',
          400,
          'plugin',
        ),
      );
      deps.metrics.recordQuery(queryTypeOf(q), 'invalid');
    }
    return { responses };
  }

  const budget: Budget = {
    perRefId: maxResponseBytes(ctx.instance.settings.jsonData),
    // Grafana's refIds come back as the response's keys, whatever their length.
    left: MAX_MESSAGE_BYTES - RESPONSE_MARGIN_BYTES - queries.reduce((n, q) => n + Buffer.byteLength(q.refId ?? ''), 0),
  };
  const valid: DataQueryInput[] = [];
  for (const q of queries) {
    const decoded = decodeQuery(q);
    if (typeof decoded === 'string') {
      // JSON that does not parse never reached PostgreSQL: Grafana must not count it against the database.
      responses[q.refId] = await toWire(dataError(decoded, 400, 'plugin'), q.refId, deps.logger);
      deps.metrics.recordQuery(queryTypeOf(q), 'invalid');
    } else {
      valid.push(decoded);
    }
  }

  if (valid.length > 0) {
    const answers = await runHandler(deps.handlers, ctx, valid, ctx.logger);
    for (const q of valid) {
      const wire = await toWire(answers.get(q.refId), q.refId, ctx.logger, budget);
      responses[q.refId] = wire;
      deps.metrics.recordQuery(queryTypeOf(q), wire.error ? 'error' : 'ok');
    }
  }
  const failed = Object.values(responses).some((r) => r.error);
  deps.metrics.recordQueryDuration((performance.now() - started) / 1000, failed ? 'error' : 'ok');
  return { responses };
}
