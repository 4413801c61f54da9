/** Diagnostics.CheckHealth ("Save & test" in the datasource page) and Diagnostics.CollectMetrics. */
import { buildContext, errorText } from './context.ts';
import type { DatasourceHandlers } from '../query/contract.ts';
import type { InstanceManager } from './instances.ts';
import type { Logger } from './logger.ts';
import type { PluginMetrics } from './metrics.ts';
import type { PbCheckHealthRequest, PbCheckHealthResponse, PbCollectMetricsResponse } from './protocol.ts';

export interface DiagnosticsDeps {
  handlers: DatasourceHandlers;
  instances: InstanceManager;
  logger: Logger;
  metrics: PluginMetrics;
}

function details(value: unknown): Uint8Array | undefined {
  if (value === undefined) {
    return undefined;
  }
  try {
    return new TextEncoder().encode(JSON.stringify(value));
  } catch {
    return undefined;
  }
}

export async function checkHealth(
  request: PbCheckHealthRequest,
  signal: AbortSignal,
  deps: DiagnosticsDeps,
): Promise<PbCheckHealthResponse> {
  let answer: PbCheckHealthResponse;
  try {
    const ctx = buildContext(request.pluginContext, request.headers ?? {}, {
      instances: deps.instances,
      logger: deps.logger,
      signal,
    });
    try {
      const result = await deps.handlers.checkHealth(ctx);
      const status = result?.status === 'OK' ? 'OK' : 'ERROR';
      answer = { status, message: String(result?.message ?? ''), jsonDetails: details(result?.details) };
    } catch (err) {
      ctx.logger.error('health check handler failed', { error: err });
      answer = { status: 'ERROR', message: `health check failed: ${errorText(err)}` };
    }
  } catch (err) {
    answer = { status: 'ERROR', message: errorText(err) };
  }
  deps.metrics.recordHealth(answer.status === 'OK' ? 'OK' : 'ERROR');
  return answer;
}

export function collectMetrics(metrics: PluginMetrics): PbCollectMetricsResponse {
  return { metrics: { prometheus: new TextEncoder().encode(metrics.render()) } };
}
