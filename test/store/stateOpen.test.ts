/**
 * Opening the state store against a real server: migrations once and only once (also when two processes
 * open at the same moment), a newer schema refused, roles that cannot keep state told why and what to do,
 * and a separate state database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createPool } from '../../pkg-backend/src/store/connection.ts';
import { StoreError } from '../../pkg-backend/src/store/errors.ts';
import {
  LATEST_STATE_VERSION,
  MIGRATIONS,
  openStateStore,
  parseStateSchema,
  type StateOpenResult,
  type StateReady,
  type StateUnavailable,
} from '../../pkg-backend/src/store/state/index.ts';
import { createDatabase, dropDatabase } from '../setup/databases.ts';

const DB = 'rarity_state_open';
const STATE_DB = 'rarity_state_open_separate';
const ROLE = 'rarity_state_open_reader';
let url: string;
const pools: pg.Pool[] = [];

function pool(connectionString = url, user?: { name: string; password: string }): pg.Pool {
  const u = new URL(connectionString);
  if (user) {
    u.username = user.name;
    u.password = user.password;
  }
  const p = createPool({ connectionString: u.toString(), max: 3 });
  pools.push(p);
  return p;
}

function ready(result: StateOpenResult): StateReady {
  if (result.status !== 'ready') {
    throw new Error(`state store unavailable: ${result.reason}`);
  }
  return result;
}

function unavailable(result: StateOpenResult): StateUnavailable {
  expect(result.status).toBe('unavailable');
  return result as StateUnavailable;
}

async function admin(sql: string): Promise<pg.QueryResult> {
  return pools[0].query(sql);
}

beforeAll(async () => {
  url = await createDatabase(DB);
  pool(); // pools[0]: the owner of the database
  await admin(`DROP ROLE IF EXISTS ${ROLE}`);
  await admin(`CREATE ROLE ${ROLE} LOGIN PASSWORD 'reader'`);
  await admin(`GRANT CONNECT ON DATABASE ${DB} TO ${ROLE}`);
});

afterAll(async () => {
  for (const p of pools) {
    await p.end();
  }
  await dropDatabase(DB);
  await dropDatabase(STATE_DB);
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  await c.query(`DROP ROLE IF EXISTS ${ROLE}`);
  await c.end();
});

describe('state schema name', () => {
  it('defaults to rarity, folds unquoted names and refuses anything else than a plain name', () => {
    expect(parseStateSchema()).toEqual({ name: 'rarity', sql: '"rarity"' });
    expect(parseStateSchema('Rarity_State')).toEqual({ name: 'rarity_state', sql: '"rarity_state"' });
    expect(parseStateSchema('"Mixed Case"')).toEqual({ name: 'Mixed Case', sql: '"Mixed Case"' });
    for (const bad of ['', 'a.b', 'x; DROP TABLE jobs', 'a"b', 'pg_rarity']) {
      expect(() => parseStateSchema(bad)).toThrow(expect.objectContaining({ kind: 'invalid_identifier' }));
    }
    expect(() => parseStateSchema('pg_rarity')).toThrow(/reserved for PostgreSQL/);
  });
});

describe('migrations', () => {
  it('are applied once; opening again applies nothing and changes nothing', async () => {
    const p = pools[0];
    const first = ready(await openStateStore(p, { schema: 'state_once' }));
    expect(first.version).toBe(LATEST_STATE_VERSION);
    expect(first.applied).toEqual(MIGRATIONS.map((m) => m.version));
    const tables = async () =>
      (await p.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'state_once' ORDER BY tablename`)).rows.map(
        (r) => r.tablename,
      );
    expect(await tables()).toEqual([
      'bucket_results',
      'group_results',
      'influencer_results',
      'job_record_results',
      'jobs',
      'model_snapshots',
      'record_results',
      'schema_migrations',
    ]);
    for (let i = 0; i < 3; i++) {
      const again = ready(await openStateStore(p, { schema: 'state_once' }));
      expect(again).toMatchObject({ version: LATEST_STATE_VERSION, applied: [] });
    }
    const versions = await p.query(`SELECT version FROM state_once.schema_migrations ORDER BY version`);
    expect(versions.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('two processes opening a fresh schema at once: one migrates, the other waits and finds it done', async () => {
    const [a, b] = [pool(), pool()];
    const results = (
      await Promise.all([openStateStore(a, { schema: 'state_race' }), openStateStore(b, { schema: 'state_race' })])
    ).map(ready);
    expect(results.map((r) => r.version)).toEqual([LATEST_STATE_VERSION, LATEST_STATE_VERSION]);
    expect(results.map((r) => r.applied).sort((x, y) => y.length - x.length)).toEqual([
      MIGRATIONS.map((m) => m.version),
      [],
    ]);
    const versions = await pools[0].query(`SELECT count(*)::int AS n FROM state_race.schema_migrations`);
    expect(versions.rows[0].n).toBe(MIGRATIONS.length);
  });

  it('a later release migrates an existing schema forward in one transaction', async () => {
    const p = pools[0];
    ready(await openStateStore(p, { schema: 'state_forward' }));
    const next = LATEST_STATE_VERSION + 1;
    const newer = [
      ...MIGRATIONS,
      {
        version: next,
        description: 'test column',
        statements: (t: { jobs: string }) => [`ALTER TABLE ${t.jobs} ADD COLUMN note text`],
      },
    ];
    const migrated = ready(await openStateStore(p, { schema: 'state_forward', migrations: newer }));
    expect(migrated).toMatchObject({ version: next, applied: [next] });
    const col = await p.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = 'state_forward' AND table_name = 'jobs' AND column_name = 'note'`,
    );
    expect(col.rowCount).toBe(1);

    // A failing migration leaves the schema exactly as it was: version and DDL roll back together.
    const broken = [
      ...newer,
      {
        version: next + 1,
        description: 'half done',
        statements: (t: { jobs: string }) => [
          `ALTER TABLE ${t.jobs} ADD COLUMN half text`,
          'SELECT no_such_function()',
        ],
      },
    ];
    await expect(openStateStore(p, { schema: 'state_forward', migrations: broken })).rejects.toThrow(
      /migrate state schema state_forward to version/,
    );
    const after = await p.query(`SELECT max(version) AS v FROM state_forward.schema_migrations`);
    expect(after.rows[0].v).toBe(next);
    const half = await p.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = 'state_forward' AND column_name = 'half'`,
    );
    expect(half.rowCount).toBe(0);
  });

  it('refuses a schema newer than this code knows, with the versions in the message', async () => {
    const p = pools[0];
    ready(await openStateStore(p, { schema: 'state_newer' }));
    await p.query(`INSERT INTO state_newer.schema_migrations (version, description) VALUES (999, 'from the future')`);
    const err = await openStateStore(p, { schema: 'state_newer' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).kind).toBe('state_version');
    expect((err as StoreError).message).toBe(
      `state schema state_newer is at version 999; this Rarity knows up to ${LATEST_STATE_VERSION} — upgrade the plugin`,
    );
  });
});

describe('roles that cannot keep state', () => {
  const reader = () => pool(url, { name: ROLE, password: 'reader' });

  it('CONNECT only, schema missing: unavailable, with the advice to grant or set a state database', async () => {
    const result = unavailable(await openStateStore(reader(), { schema: 'rarity' }));
    expect(result.advice).toBe(
      `results are not persisted: grant CREATE on schema rarity to ${ROLE} or set a state database`,
    );
    expect(result.reason).toContain(`schema rarity does not exist in database ${DB}`);
    expect(result).toMatchObject({ schema: 'rarity', database: DB, role: ROLE });
    const created = await admin(`SELECT 1 FROM pg_namespace WHERE nspname = 'rarity'`);
    expect(created.rowCount).toBe(0);
  });

  it('schema present but only USAGE and SELECT: unavailable, naming the missing privileges', async () => {
    ready(await openStateStore(pools[0], { schema: 'state_shared' }));
    await admin(`GRANT USAGE ON SCHEMA state_shared TO ${ROLE}`);
    await admin(`GRANT SELECT ON ALL TABLES IN SCHEMA state_shared TO ${ROLE}`);
    const result = unavailable(await openStateStore(reader(), { schema: 'state_shared' }));
    expect(result.reason).toContain('lacks DELETE on bucket_results');
    expect(result.reason).toContain('INSERT on jobs');
    expect(result.advice).toBe(
      `results are not persisted: grant SELECT, INSERT, UPDATE, DELETE on all tables in schema state_shared to ${ROLE} or set a state database`,
    );
  });

  it('schema prepared by a DBA with read/write grants only: ready without any DDL', async () => {
    await admin(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA state_shared TO ${ROLE}`);
    const opened = ready(await openStateStore(reader(), { schema: 'state_shared' }));
    expect(opened.applied).toEqual([]);
    const job = await opened.store.ensureJob('k1', { table: 'public.weblogs' });
    expect(job.key).toBe('k1');
  });

  it('schema without USAGE for the role: unavailable', async () => {
    ready(await openStateStore(pools[0], { schema: 'state_private' }));
    const result = unavailable(await openStateStore(reader(), { schema: 'state_private' }));
    expect(result.reason).toContain(`role ${ROLE} has no USAGE on schema state_private`);
    expect(result.advice).toBe(
      `results are not persisted: grant CREATE on schema state_private to ${ROLE} or set a state database`,
    );
  });

  it('a read-only server or session: unavailable, advising a state database', async () => {
    const readOnly = pool();
    readOnly.on('connect', (client) => {
      void client.query('SET default_transaction_read_only = on');
    });
    const result = unavailable(await openStateStore(readOnly, { schema: 'state_once' }));
    expect(result.reason).toContain('read-only');
    expect(result.advice).toBe(
      `results are not persisted: database ${DB} is read-only (a standby?); set a state database`,
    );
  });
});

describe('separate state database', () => {
  it('keeps the state where the pool points, leaving the log database untouched', async () => {
    const stateUrl = await createDatabase(STATE_DB);
    const statePool = pool(stateUrl);
    const opened = ready(await openStateStore(statePool, { schema: 'rarity_state' }));
    await opened.store.ensureJob('job-on-state-db', { table: 'public.weblogs' });
    const there = await statePool.query(`SELECT current_database() AS db, count(*)::int AS n FROM rarity_state.jobs`);
    expect(there.rows[0]).toEqual({ db: STATE_DB, n: 1 });
    const inLogs = await admin(`SELECT 1 FROM pg_namespace WHERE nspname = 'rarity_state'`);
    expect(inLogs.rowCount).toBe(0);
  });
});
