/**
 * Opening the state store: find out whether this role may keep state in the schema, bring the schema to
 * this code's version (one transaction, serialised across processes by an advisory lock) and refuse a
 * schema newer than the code. A role that can neither create nor write the schema gets a typed
 * "unavailable" answer with the advice to show, so detection can fall back to in-process state.
 */
import type pg from 'pg';
import { StoreError, toStoreError } from '../errors.ts';
import { quoteIdent } from '../identifiers.ts';
import { errorContext } from '../query.ts';
import { exec, stateContext, type StateContext } from './context.ts';
import { migrationLockKey } from './jobLock.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';
import { DEFAULT_STATE_SCHEMA, parseStateSchema } from './schemaName.ts';
import { StateStore } from './store.ts';

export interface OpenStateOptions {
  /** Default `rarity`. */
  schema?: string;
  /** The migrations to apply; tests pass a longer list to act as a newer release. */
  migrations?: readonly Migration[];
}

export interface StateReady {
  status: 'ready';
  store: StateStore;
  /** Schema version after opening. */
  version: number;
  /** Versions this open applied (empty when another process, or an earlier start, already had). */
  applied: number[];
}

export interface StateUnavailable {
  status: 'unavailable';
  schema: string;
  database?: string;
  role?: string;
  /** What is missing, for logs and the health check. */
  reason: string;
  /** The sentence shown to users as a frame notice and health message. */
  advice: string;
  pgCode?: string;
}

export type StateOpenResult = StateReady | StateUnavailable;

interface Probe {
  role: string;
  database: string;
  read_only: boolean;
  database_create: boolean;
  schema_exists: boolean;
  schema_usage: boolean;
  schema_create: boolean;
  versions_exist: boolean;
}

/** Thrown inside the opening transaction to roll it back and answer "unavailable". */
class Unavailable extends Error {
  constructor(readonly result: StateUnavailable) {
    super(result.reason);
  }
}

/** Names in advice read like SQL a DBA can paste: plain when plain, quoted otherwise. */
function sqlName(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : quoteIdent(name);
}

function grantAdvice(schema: string, role: string): string {
  return `results are not persisted: grant CREATE on schema ${sqlName(schema)} to ${sqlName(role)} or set a state database`;
}

export async function openStateStore(pool: pg.Pool, options: OpenStateOptions = {}): Promise<StateOpenResult> {
  const schema = parseStateSchema(options.schema ?? DEFAULT_STATE_SCHEMA);
  const migrations = options.migrations ?? MIGRATIONS;
  const ctx = stateContext(pool, schema);
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw toStoreError(err, errorContext(pool, { operation: `open state schema ${schema.name}` }));
  }
  let probe: Probe | undefined;
  let broken: Error | undefined;
  try {
    await exec(ctx, client, 'open', 'BEGIN');
    let migrated: { version: number; applied: number[] };
    try {
      await exec(
        ctx,
        client,
        `lock state schema ${schema.name} for migration`,
        'SELECT pg_advisory_xact_lock($1::bigint)',
        [migrationLockKey(schema)],
      );
      probe = await probeSchema(ctx, client);
      migrated = await migrate(ctx, client, probe, migrations);
      await exec(ctx, client, 'open', 'COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => {
        broken = e;
      });
      throw err;
    }
    const missing = await missingTablePrivileges(ctx, client);
    if (missing.length > 0) {
      return {
        status: 'unavailable',
        schema: schema.name,
        database: probe.database,
        role: probe.role,
        reason: `role ${probe.role} lacks ${missing.join(', ')} in schema ${schema.name}`,
        advice: `results are not persisted: grant SELECT, INSERT, UPDATE, DELETE on all tables in schema ${sqlName(schema.name)} to ${sqlName(probe.role)} or set a state database`,
      };
    }
    return { status: 'ready', store: new StateStore(pool, schema, migrated.version), ...migrated };
  } catch (err) {
    if (err instanceof Unavailable) {
      return err.result;
    }
    // A DDL or read refused for privileges or a read-only server: the role cannot keep state here.
    if (err instanceof StoreError && (err.pgCode === '42501' || err.pgCode === '25006')) {
      return {
        status: 'unavailable',
        schema: schema.name,
        database: probe?.database,
        role: probe?.role,
        reason: err.message,
        advice:
          err.pgCode === '25006'
            ? readOnlyAdvice(probe?.database)
            : grantAdvice(schema.name, probe?.role ?? 'this role'),
        pgCode: err.pgCode,
      };
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

function readOnlyAdvice(database: string | undefined): string {
  return `results are not persisted: ${database ? `database ${sqlName(database)}` : 'the database'} is read-only (a standby?); set a state database`;
}

async function probeSchema(ctx: StateContext, client: pg.PoolClient): Promise<Probe> {
  const res = await exec<Probe>(
    ctx,
    client,
    `check privileges on state schema ${ctx.schema.name}`,
    `SELECT current_user::text AS role, current_database()::text AS database,
            current_setting('transaction_read_only') = 'on' AS read_only,
            has_database_privilege(current_database(), 'CREATE') AS database_create,
            n.oid IS NOT NULL AS schema_exists,
            COALESCE(has_schema_privilege(n.oid, 'USAGE'), false) AS schema_usage,
            COALESCE(has_schema_privilege(n.oid, 'CREATE'), false) AS schema_create,
            EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relname = 'schema_migrations') AS versions_exist
     FROM (SELECT 1) AS one LEFT JOIN pg_namespace AS n ON n.nspname = $1`,
    [ctx.schema.name],
  );
  return res.rows[0];
}

function unavailable(
  ctx: StateContext,
  probe: Probe,
  reason: string,
  advice = grantAdvice(ctx.schema.name, probe.role),
): Unavailable {
  return new Unavailable({
    status: 'unavailable',
    schema: ctx.schema.name,
    database: probe.database,
    role: probe.role,
    reason,
    advice,
  });
}

async function migrate(
  ctx: StateContext,
  client: pg.PoolClient,
  probe: Probe,
  migrations: readonly Migration[],
): Promise<{ version: number; applied: number[] }> {
  const name = ctx.schema.name;
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
  if (probe.read_only) {
    throw unavailable(
      ctx,
      probe,
      `database ${probe.database} only accepts read-only transactions`,
      readOnlyAdvice(probe.database),
    );
  }
  // Privileges are checked before any DDL: CREATE … IF NOT EXISTS still demands CREATE even when the object exists.
  if (!probe.schema_exists) {
    if (!probe.database_create) {
      throw unavailable(
        ctx,
        probe,
        `schema ${name} does not exist in database ${probe.database} and role ${probe.role} may not create schemas there ` +
          `(CREATE SCHEMA ${sqlName(name)} AUTHORIZATION ${sqlName(probe.role)} creates it for the role)`,
      );
    }
    await exec(ctx, client, `create state schema ${name}`, `CREATE SCHEMA ${ctx.schema.sql}`);
  } else if (!probe.schema_usage) {
    throw unavailable(ctx, probe, `role ${probe.role} has no USAGE on schema ${name}`);
  }
  const createdHere = !probe.schema_exists;
  if (!probe.versions_exist) {
    if (!createdHere && !probe.schema_create) {
      throw unavailable(ctx, probe, `role ${probe.role} may not create tables in schema ${name}`);
    }
    await exec(
      ctx,
      client,
      `create ${name}.schema_migrations`,
      `CREATE TABLE ${ctx.tables.migrations} (
         version integer PRIMARY KEY,
         description text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
  }
  const current = (
    await exec<{ version: number }>(
      ctx,
      client,
      `read version of state schema ${name}`,
      `SELECT COALESCE(max(version), 0) AS version FROM ${ctx.tables.migrations}`,
    )
  ).rows[0].version;
  if (current > latest) {
    throw new StoreError(
      'state_version',
      `state schema ${name} is at version ${current}; this Rarity knows up to ${latest} — upgrade the plugin`,
      { field: 'stateSchema', value: name },
    );
  }
  const pending = migrations.filter((m) => m.version > current);
  if (pending.length > 0 && !createdHere && !probe.schema_create) {
    throw unavailable(
      ctx,
      probe,
      `state schema ${name} is at version ${current} and needs migrating to ${latest}, but role ${probe.role} may not create objects in it`,
    );
  }
  for (const m of pending) {
    for (const statement of m.statements(ctx.tables)) {
      await exec(ctx, client, `migrate state schema ${name} to version ${m.version}`, statement);
    }
    await exec(
      ctx,
      client,
      `record version ${m.version} of state schema ${name}`,
      `INSERT INTO ${ctx.tables.migrations} (version, description) VALUES ($1, $2)`,
      [m.version, m.description],
    );
  }
  return { version: Math.max(current, ...pending.map((m) => m.version)), applied: pending.map((m) => m.version) };
}

/** Tables the role cannot read and write, e.g. "INSERT on jobs". */
async function missingTablePrivileges(ctx: StateContext, client: pg.PoolClient): Promise<string[]> {
  const tables = [
    'jobs',
    'model_snapshots',
    'bucket_results',
    'record_results',
    'group_results',
    'job_record_results',
    'influencer_results',
  ];
  const res = await exec<{ missing: string }>(
    ctx,
    client,
    `check privileges on state schema ${ctx.schema.name}`,
    `SELECT p.privilege || ' on ' || t.name AS missing
     FROM unnest($2::text[]) AS t(name)
     CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS p(privilege)
     WHERE NOT has_table_privilege(format('%I.%I', $1::text, t.name), p.privilege)
     ORDER BY t.name, p.privilege`,
    [ctx.schema.name, tables],
  );
  return res.rows.map((r) => r.missing);
}
