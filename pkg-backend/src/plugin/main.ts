/**
 * Entry point of the gpx_rarity executable Grafana launches. Order matters: refuse to run without the magic
 * cookie, start the gRPC server, and only then print the handshake line — the one and only stdout output.
 */
import { writeSync } from 'node:fs';
import { connectionPoolFactory, statePoolFactory } from './connection.ts';
import { announce, hasMagicCookie, hostSupportsProtocol, NOT_A_PROGRAM_MESSAGE } from './handshake.ts';
import { InstanceManager } from './instances.ts';
import { createShutdown, handleSignals, installProcessGuards, watchParent } from './lifecycle.ts';
import { startGcPacer } from './gcPacer.ts';
import { captureConsole, createLogger } from './logger.ts';
import { PluginMetrics } from './metrics.ts';
import { startServer, type RunningServer } from './server.ts';
import { createDatasource } from '../query/datasource.ts';

if (!hasMagicCookie(process.env)) {
  writeSync(2, NOT_A_PROGRAM_MESSAGE);
  process.exit(1);
}

const logger = createLogger();
captureConsole(logger);
installProcessGuards(logger);
if (!hostSupportsProtocol(process.env)) {
  logger.warn('host does not list plugin protocol 2; answering with 2 anyway', {
    offered: process.env.PLUGIN_PROTOCOL_VERSIONS,
  });
}

// Before any work: the executable runs on bun, whose collector lets detection's garbage pile up (gcPacer.ts).
const gcPacer = startGcPacer();
const metrics = new PluginMetrics({ gcCollections: gcPacer.active ? gcPacer.collections : undefined });
const instances = new InstanceManager({ logger, createPool: connectionPoolFactory, createStatePool: statePoolFactory });
const handlers = createDatasource({ logger });

let server: RunningServer | undefined;
const shutdown = createShutdown(logger, async () => {
  // In-flight job advances are aborted while the server drains; their open chunk commits or rolls back.
  await Promise.all([server?.stop(800), handlers.shutdown?.(800)]);
  await instances.closeAll();
});
handleSignals(logger, shutdown);
// Before the server starts: a Grafana killed while we start up must not leave us re-parented unnoticed.
watchParent(() => shutdown('parent process exited'));

try {
  server = await startServer({
    handlers,
    instances,
    logger,
    metrics,
    onShutdownRequested: () => shutdown('Shutdown RPC'),
  });
} catch (err) {
  logger.error('cannot start the gRPC server', { error: err });
  process.exit(1);
}
announce(server.port);
logger.info('Rarity backend started', {
  address: `127.0.0.1:${server.port}`,
  grafanaVersion: process.env.GF_VERSION,
  pid: process.pid,
});
