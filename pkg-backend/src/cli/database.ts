/**
 * Where the CLI's Postgres comes from: --database-url, then DATABASE_URL, then the project's own embedded
 * server (data kept in .rarity/pg of the project — as root under a private folder, in /var/lib/rarity — started
 * for the command and stopped after it).
 */
import pg from 'pg';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool, reachableDataDir, startEmbeddedPostgres } from '../store/index.ts';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const EMBEDDED_DATA_DIR = join(PROJECT_ROOT, '.rarity', 'pg');

export interface Database {
  pool: pg.Pool;
  url: string;
  embedded: boolean;
  /** The embedded server's data folder. */
  dataDir?: string;
  close(): Promise<void>;
}

export async function openDatabase(explicitUrl?: string, statementTimeoutMs = 600_000): Promise<Database> {
  const url = explicitUrl ?? process.env.DATABASE_URL;
  if (url) {
    const pool = createPool({ connectionString: url, statementTimeoutMs, applicationName: 'rarity-cli' });
    return { pool, url, embedded: false, close: () => pool.end() };
  }
  const dataDir = reachableDataDir(EMBEDDED_DATA_DIR);
  const handle = await startEmbeddedPostgres({ dataDir, persistent: true });
  const pool = createPool({ connectionString: handle.url, statementTimeoutMs, applicationName: 'rarity-cli' });
  return {
    pool,
    url: handle.url,
    embedded: true,
    dataDir,
    close: async () => {
      await pool.end();
      await handle.stop();
    },
  };
}
