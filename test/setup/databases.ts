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

/** (Re)creates `name` on the test server and returns its URL; files never share a database. */
export async function createDatabase(name: string, base = adminUrl()): Promise<string> {
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
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
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
