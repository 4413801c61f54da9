/**
 * The gRPC server Grafana talks to: pluginv2 Data/Diagnostics/Resource/Stream, go-plugin's health check and
 * controller. Every handler is wrapped so that an exception becomes a gRPC status (or a per-refId error
 * inside dataService) and never reaches the event loop.
 */
import * as grpc from '@grpc/grpc-js';
import { errorText } from './context.ts';
import { queryData } from './dataService.ts';
import { checkHealth, collectMetrics } from './diagnosticsService.ts';
import type { DatasourceHandlers } from '../query/contract.ts';
import type { InstanceManager } from './instances.ts';
import type { Logger } from './logger.ts';
import type { PluginMetrics } from './metrics.ts';
import { services } from './protocol.ts';
import { callResource } from './resourceService.ts';

/** 64 MiB: grpc-js defaults to 4 MiB receive, which a large query result or resource body would exceed. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface ServerDeps {
  handlers: DatasourceHandlers;
  instances: InstanceManager;
  logger: Logger;
  metrics: PluginMetrics;
  /** Called after answering plugin.GRPCController/Shutdown. */
  onShutdownRequested: () => void;
}

export interface RunningServer {
  port: number;
  /** Stops accepting calls, lets running ones finish for up to `graceMs`, then cancels them. */
  stop(graceMs: number): Promise<void>;
}

/**
 * AbortSignal that fires when the caller cancels (or the call ends early), or when the server stops after its
 * grace period (`stopping`): calls still running then are cancelled, and with them their statements in
 * PostgreSQL, which would otherwise run on after the process has gone.
 */
function callSignal(
  call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
  stopping: AbortSignal,
): AbortSignal {
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort(new Error('cancelled by Grafana')));
  return AbortSignal.any([controller.signal, stopping]);
}

/** What every call handler needs: where to log, and the server's stop signal. */
interface CallDeps {
  logger: Logger;
  stopping: AbortSignal;
}

function unary<Req, Res>(
  name: string,
  { logger, stopping }: CallDeps,
  fn: (req: Req, signal: AbortSignal) => Promise<Res> | Res,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request, callSignal(call as grpc.ServerUnaryCall<unknown, unknown>, stopping)))
      .then(
        (res) => callback(null, res),
        (err: unknown) => {
          logger.error(`${name} failed`, { error: err });
          callback({ code: grpc.status.INTERNAL, details: `${name}: ${errorText(err)}` });
        },
      );
  };
}

function serverStream<Req, Res>(
  name: string,
  { logger, stopping }: CallDeps,
  fn: (req: Req, signal: AbortSignal) => Promise<Res[]>,
): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    Promise.resolve()
      .then(() => fn(call.request, callSignal(call as grpc.ServerWritableStream<unknown, unknown>, stopping)))
      .then(
        (messages) => {
          for (const m of messages) {
            call.write(m);
          }
          call.end();
        },
        (err: unknown) => {
          logger.error(`${name} failed`, { error: err });
          call.emit('error', { code: grpc.status.INTERNAL, details: `${name}: ${errorText(err)}` });
        },
      );
  };
}

function unimplementedUnary(what: string): grpc.handleUnaryCall<unknown, unknown> {
  return (_call, callback) =>
    callback({ code: grpc.status.UNIMPLEMENTED, details: `${what} is not supported by the Rarity datasource` });
}

export async function startServer(deps: ServerDeps, address = '127.0.0.1:0'): Promise<RunningServer> {
  const { logger } = deps;
  const stopping = new AbortController();
  const calls: CallDeps = { logger, stopping: stopping.signal };
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });

  server.addService(services.data().service, {
    QueryData: unary('QueryData', calls, (req, signal) => queryData(req as never, signal, deps)),
    QueryChunkedData: serverStream('QueryChunkedData', calls, async () => [
      { status: 501, error: 'chunked data queries are not supported by the Rarity datasource', errorSource: 'plugin' },
    ]),
  });
  server.addService(services.diagnostics().service, {
    CheckHealth: unary('CheckHealth', calls, (req, signal) => checkHealth(req as never, signal, deps)),
    CollectMetrics: unary('CollectMetrics', calls, () => collectMetrics(deps.metrics)),
  });
  server.addService(services.resource().service, {
    CallResource: serverStream('CallResource', calls, (req, signal) => callResource(req as never, signal, deps)),
  });
  server.addService(services.stream().service, {
    SubscribeStream: unimplementedUnary('SubscribeStream'),
    PublishStream: unimplementedUnary('PublishStream'),
    RunStream: ((call: grpc.ServerWritableStream<unknown, unknown>) => {
      call.emit('error', {
        code: grpc.status.UNIMPLEMENTED,
        details: 'RunStream is not supported by the Rarity datasource',
      });
    }) as grpc.handleServerStreamingCall<unknown, unknown>,
  });
  // go-plugin checks "plugin"; other hosts may ask for "" or a service name. We are up if we answer at all.
  server.addService(services.health().service, {
    Check: unary('Health.Check', calls, () => ({ status: 'SERVING' })),
  });
  server.addService(services.controller().service, {
    Shutdown: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
      logger.info('shutdown requested by Grafana');
      callback(null, {});
      // Let the reply flush before the server starts closing.
      setTimeout(deps.onShutdownRequested, 10);
    },
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, boundPort) =>
      err ? reject(err) : resolve(boundPort),
    );
  });

  return {
    port,
    stop: (graceMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          stopping.abort(new Error('the plugin is stopping'));
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
