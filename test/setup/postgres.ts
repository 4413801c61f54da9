/**
 * Vitest global setup: one real PostgreSQL for the whole run. DATABASE_URL wins; otherwise an embedded
 * server in a throw-away folder. Tests read the URL from process.env.DATABASE_URL (inherited by the forks).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedHandle } from '../../pkg-backend/src/store/index.ts';

let handle: EmbeddedHandle | undefined;
let dataDir: string | undefined;

export async function setup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    return;
  }
  dataDir = mkdtempSync(join(tmpdir(), 'rarity-test-pg-'));
  handle = await startEmbeddedPostgres({ dataDir, persistent: false });
  process.env.DATABASE_URL = handle.url;
  process.env.RARITY_TEST_EMBEDDED = '1';
}

export async function teardown(): Promise<void> {
  await handle?.stop();
  if (dataDir) {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
