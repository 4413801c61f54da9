/**
 * A tiny HTTP server for the browser tests: serves the built harness and forwards the datasource resource
 * calls (`/api/datasources/uid/<uid>/resources/...`, method and body included) to the REAL backend executable
 * over gRPC CallResource, as Grafana's server does, with datasource settings for the test table. Every uid
 * is that one datasource; `client` and `context` let a test query it, so its jobs are the page's.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { grafanaDatasource } from '../backend/e2e.ts';
import { connect, ensureBuiltExecutable, pluginContext, startPlugin, type PluginClients } from '../backend/host.ts';
import { serveStatic } from './staticFiles.ts';

export interface HarnessServer {
  url: string;
  /** Resource paths with their query strings, in the order the page asked for them. */
  requests: string[];
  /** The same calls as "METHOD path", to tell a POST or DELETE from a GET. */
  calls: string[];
  client: PluginClients;
  /** The plugin context every resource call carries; queries sent with it use the same state store. */
  context: Record<string, unknown>;
  close(): Promise<void>;
}

export async function startHarnessServer(
  staticDir: string,
  databaseUrl: string,
  defaultTable: string,
): Promise<HarnessServer> {
  ensureBuiltExecutable();
  const plugin = await startPlugin();
  const client = connect(plugin.address);
  const context = pluginContext(grafanaDatasource(databaseUrl, { table: defaultTable }, { uid: 'rarity-browser' }));
  const requests: string[] = [];
  const calls: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const resource = /^\/api\/datasources\/uid\/[^/]+\/resources\/(.+)$/.exec(url.pathname);
    if (!resource) {
      serveStatic(res, url.pathname, staticDir);
      return;
    }
    const path = `${resource[1]}${url.search}`;
    const method = req.method ?? 'GET';
    requests.push(path);
    calls.push(`${method} ${path}`);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) {
        chunks.push(chunk as Buffer);
      }
      const messages = await client.callResource({
        pluginContext: context,
        path: resource[1],
        method,
        url: path,
        headers: {},
        body: Buffer.concat(chunks),
      });
      const body = Buffer.concat(messages.map((m) => Buffer.from(m.body ?? [])));
      res.writeHead(messages[0].code || 500, { 'content-type': 'application/json' }).end(body);
    } catch (error) {
      res
        .writeHead(502, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: (error as Error).message }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    calls,
    client,
    context,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      client.close();
      await plugin.dispose();
    },
  };
}
