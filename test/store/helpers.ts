/** Shared by the store tests: a pool on the test database and a private schema per test file. */
import type pg from 'pg';
import { createPool, type ConnectionConfig } from '../../pkg-backend/src/store/connection.ts';

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error('DATABASE_URL is not set; run the tests through vitest (test/setup/postgres.ts)');
  }
  return url;
}

export function testPool(extra: Partial<ConnectionConfig> = {}): pg.Pool {
  return createPool({ connectionString: databaseUrl(), max: 4, ...extra });
}

/** A schema no other test file uses, so files can run in parallel. */
export async function freshSchema(pool: pg.Pool, prefix: string): Promise<string> {
  const name = `t_${prefix}_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  await pool.query(`CREATE SCHEMA "${name}"`);
  return name;
}

export async function dropSchema(pool: pg.Pool, name: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
}

export function utc(text: string): Date {
  return new Date(text.endsWith('Z') ? text : `${text}Z`);
}
