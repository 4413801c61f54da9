/**
 * The seeded demo behind the REAL backend executable, for tests outside test/backend that need real frames
 * (provisioned dashboards, browser panels): a private database per file, the demo seeded into it, the plugin
 * spawned as Grafana spawns it, and a `query` that returns one refId's frames as raw Arrow bytes.
 */
import pg from 'pg';

import { QUIET_DAYS, seedDemo, type SeedResult } from '../../pkg-backend/src/demo/seed.ts';
import type { PbDataResponse } from '../../pkg-backend/src/plugin/protocol.ts';
import { DAY, createDatabase, dropDatabase, grafanaDatasource } from './e2e.ts';
import {
  connect,
  dataQuery,
  ensureBuiltExecutable,
  pluginContext,
  startPlugin,
  type PluginClients,
  type PluginProcess,
} from './host.ts';

export interface DemoBackend {
  seed: SeedResult;
  /** The test database, its pool, and the running plugin with its gRPC clients. */
  url: string;
  pool: pg.Pool;
  plugin: PluginProcess;
  client: PluginClients;
  /** The results window: after the learning days, up to the end of the data. */
  from: number;
  to: number;
  query(json: Record<string, unknown>, range?: { from: number; to: number }): Promise<PbDataResponse>;
  close(): Promise<void>;
}

export async function startDemoBackend(
  database: string,
  options: { days?: number; rowsPerDay?: number; end?: Date; uid?: string } = {},
): Promise<DemoBackend> {
  ensureBuiltExecutable();
  const url = await createDatabase(database);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  let plugin: PluginProcess | undefined;
  let client: PluginClients | undefined;
  try {
    const seed = await seedDemo(pool, {
      days: options.days ?? 10,
      rowsPerDay: options.rowsPerDay ?? 6000,
      end: options.end ?? new Date('2026-11-20T00:00:00Z'),
    });
    plugin = await startPlugin();
    client = connect(plugin.address);
    const ds = grafanaDatasource(url, {}, options.uid ? { uid: options.uid } : {});
    const from = seed.from.getTime() + QUIET_DAYS * DAY;
    const to = seed.to.getTime();
    const c = client;
    const p = plugin;
    return {
      seed,
      url,
      pool,
      plugin,
      client,
      from,
      to,
      async query(json, range = { from, to }) {
        const refId = String(json.refId ?? 'A');
        const res = await c.queryData({
          pluginContext: pluginContext(ds),
          headers: {},
          queries: [dataQuery(refId, { ...json, refId }, { ...range, queryType: String(json.queryType ?? '') })],
        });
        return res.responses[refId];
      },
      async close() {
        c.close();
        await p.dispose();
        await pool.end();
        await dropDatabase(database).catch(() => undefined);
      },
    };
  } catch (error) {
    client?.close();
    await plugin?.dispose();
    await pool.end();
    throw error;
  }
}
