/**
 * Private databases on the test server: each test file that needs tables of its own (re)creates one, so
 * files running in parallel never see each other's data.
 */
import pg from 'pg';

export function adminUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error('DATABASE_URL is not set; run through vitest (test/setup/postgres.ts)');
  }
  return url;
}

/** Same server as DATABASE_URL, another database name. */
export function urlForDatabase(database: string, base = adminUrl()): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

/** How long a drop waits for the database's sessions to end on their own before it terminates them. */
const SESSIONS_END_MS = 5000;

/**
 * Drops `name`, first letting its sessions end on their own. pg.Pool's end() resolves once its clients have
 * sent Terminate, before their server processes exit; FORCE would terminate such a process and its FATAL
 * "terminating connection due to administrator command" (57P01) would reach a client that is closing, whose
 * pool still listens for idle errors but has no 'error' listener of its own: an uncaught exception in the
 * test file that had just ended its pool, all of its tests passed. FORCE stays for what lingers (a plugin
 * process killed mid-statement).
 */
async function dropWhenIdle(admin: pg.Client, name: string): Promise<void> {
  const deadline = Date.now() + SESSIONS_END_MS;
  for (;;) {
    const open = await admin.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
    if (open.rows[0].n === 0 || Date.now() >= deadline) {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/** (Re)creates `name` on the test server and returns its URL; files never share a database. */
export async function createDatabase(name: string, base = adminUrl()): Promise<string> {
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await dropWhenIdle(admin, name);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return urlForDatabase(name, base);
}

export async function dropDatabase(name: string, base = adminUrl()): Promise<void> {
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await dropWhenIdle(admin, name);
  } finally {
    await admin.end();
  }
}
