import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import {
  configFromDataSourceSettings,
  statementTimeoutFromSeconds,
  createPool,
  parseHostPort,
  poolConfig,
} from '../../pkg-backend/src/store/connection.ts';
import { describeTable, listTables, resolveColumn, type TableInfo } from '../../pkg-backend/src/store/catalogue.ts';
import { StoreError, toStoreError } from '../../pkg-backend/src/store/errors.ts';
import { freePort } from '../../pkg-backend/src/store/embedded.ts';
import { run } from '../../pkg-backend/src/store/query.ts';
import { streamBuckets } from '../../pkg-backend/src/store/pushdownStream.ts';
import { tableBounds } from '../../pkg-backend/src/store/bounds.ts';
import { createLogTable, insertRows } from '../../pkg-backend/src/store/demoTable.ts';
import { databaseUrl, dropSchema, freshSchema, testPool, utc } from './helpers.ts';

/** The pushdown's columns of a demo-shaped table, resolved as the query layer does. */
const columns = (table: TableInfo) => ({
  timeColumn: resolveColumn(table, 'ts', 'time'),
  idColumn: resolveColumn(table, 'id', 'id'),
  byColumn: resolveColumn(table, 'state', 'by'),
});

function target(): { host: string; port: number; user: string; password: string; database: string } {
  const u = new URL(databaseUrl());
  return {
    host: u.hostname,
    port: Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1),
  };
}

async function failure(p: Promise<unknown>): Promise<StoreError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  return err as StoreError;
}

describe('connection settings', () => {
  it('refuses a Host URL with credentials without echoing the password', () => {
    for (const url of ['postgres://reader:s3cret@db:5432/logs', 'reader:s3cret@db:5432']) {
      let message = '';
      try {
        parseHostPort(url);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/carries credentials: enter host:port only/);
      expect(message).toContain('reader:***@db');
      expect(message).not.toContain('s3cret');
    }
  });

  it('never turns a tiny positive query timeout into 0 (which disables statement_timeout)', () => {
    expect(statementTimeoutFromSeconds(0.0004)).toBe(1);
    expect(statementTimeoutFromSeconds(0.0015)).toBe(2);
    expect(statementTimeoutFromSeconds(12)).toBe(12_000);
    expect(statementTimeoutFromSeconds(1e12)).toBe(2_147_483_647);
    for (const fallback of [0, -3, Number.NaN, Number.POSITIVE_INFINITY, '5', undefined]) {
      expect(statementTimeoutFromSeconds(fallback)).toBe(30_000);
    }
  });

  it('maps Grafana PostgreSQL datasource settings', () => {
    const cfg = configFromDataSourceSettings({
      url: 'db.example.com:6432',
      database: 'logs',
      user: 'reader',
      jsonData: { sslmode: 'verify-full', tlsConfigurationMethod: 'file-content', queryTimeoutSeconds: 12 },
      secure: { password: 's3cret', tlsCACert: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----' },
    });
    expect(cfg).toMatchObject({
      host: 'db.example.com',
      port: 6432,
      database: 'logs',
      user: 'reader',
      password: 's3cret',
      sslmode: 'verify-full',
      statementTimeoutMs: 12000,
    });
    expect(cfg.sslRootCert).toContain('BEGIN CERTIFICATE');
    const fileBased = configFromDataSourceSettings({
      url: 'h',
      jsonData: { database: 'd', sslmode: 'require', sslRootCertFile: '/etc/ca.pem' },
      secure: {},
    });
    expect(fileBased).toMatchObject({
      host: 'h',
      port: 5432,
      database: 'd',
      sslmode: 'require',
      sslRootCert: '/etc/ca.pem',
      statementTimeoutMs: 30000,
    });
    expect(configFromDataSourceSettings({ url: '', secure: {} })).toMatchObject({
      host: 'localhost',
      port: 5432,
      sslmode: 'disable',
    });
  });

  it('parses host:port forms and refuses garbage', () => {
    expect(parseHostPort('localhost:5432')).toEqual({ host: 'localhost', port: 5432 });
    expect(parseHostPort('[::1]:5433')).toEqual({ host: '::1', port: 5433 });
    expect(parseHostPort('db')).toEqual({ host: 'db', port: undefined });
    expect(parseHostPort('/var/run/postgresql')).toEqual({ host: '/var/run/postgresql' });
    expect(() => parseHostPort('a:b:c')).toThrow(expect.objectContaining({ kind: 'connection', field: 'url' }));
    expect(() => parseHostPort('h:70000')).toThrow(/outside 1–65535/);
  });

  it('puts statement_timeout, lock_timeout and TLS on every connection', () => {
    const c = poolConfig({
      host: 'h',
      statementTimeoutMs: 1234,
      sslmode: 'verify-ca',
      sslRootCert: '-----BEGIN CERTIFICATE-----',
    });
    expect(c.statement_timeout).toBe(1234);
    expect(c.lock_timeout).toBe(1234);
    expect(c.connectionTimeoutMillis).toBe(10000);
    expect(c.ssl).toMatchObject({ rejectUnauthorized: true });
    expect(poolConfig({ host: 'h' }).statement_timeout).toBe(30000);
    expect(poolConfig({ host: 'h', sslmode: 'disable' }).ssl).toBe(false);
    expect(poolConfig({ host: 'h', sslmode: 'require' }).ssl).toMatchObject({ rejectUnauthorized: false });
    expect(() => poolConfig({ host: 'h', sslmode: 'prefer' as never })).toThrow(/sslmode "prefer" is not supported/);
    expect(() => poolConfig({ host: 'h', sslmode: 'verify-full', sslRootCert: '/no/such/ca.pem' })).toThrow(
      /cannot read sslRootCert/,
    );
  });
});

describe('connection failures against a real server', () => {
  it('wrong password → auth, naming the user', async () => {
    const t = target();
    const pool = createPool({ ...t, password: 'definitely-wrong' });
    try {
      const err = await failure(run(pool, { text: 'SELECT 1', values: [] }));
      expect(err.kind).toBe('auth');
      expect(err.pgCode).toBe('28P01');
      expect(err.message).toContain(`"${t.user}"`);
      expect(err.message).not.toContain('definitely-wrong');
    } finally {
      await pool.end();
    }
  });

  it('missing database → database_missing, naming it', async () => {
    const pool = createPool({ ...target(), database: 'no_such_db_rarity' });
    try {
      const err = await failure(listTables(pool));
      expect(err.kind).toBe('database_missing');
      expect(err.pgCode).toBe('3D000');
      expect(err.value).toBe('no_such_db_rarity');
      expect(err.message).toContain('"no_such_db_rarity"');
    } finally {
      await pool.end();
    }
  });

  it('refused port → connection, naming host:port', async () => {
    const port = await freePort();
    const pool = createPool({ host: '127.0.0.1', port, user: 'x', database: 'y', connectTimeoutMs: 2000 });
    try {
      const err = await failure(describeTable(pool, 'weblogs'));
      expect(err.kind).toBe('connection');
      expect(err.message).toContain(`127.0.0.1:${port}`);
      expect(err.message).toContain('ECONNREFUSED');
    } finally {
      await pool.end();
    }
  });

  it('unknown host → connection', async () => {
    const pool = createPool({
      host: 'no-such-host.invalid',
      port: 5432,
      user: 'x',
      database: 'y',
      connectTimeoutMs: 3000,
    });
    try {
      const err = await failure(run(pool, { text: 'SELECT 1', values: [] }));
      expect(err.kind).toBe('connection');
      expect(err.message).toContain('no-such-host.invalid');
    } finally {
      await pool.end();
    }
  });

  it('streamBuckets on an unreachable server rejects with connection', async () => {
    const live = testPool();
    const schema = await freshSchema(live, 'unreach');
    await createLogTable(live, `${schema}.logs`);
    const table = await describeTable(live, `${schema}.logs`);
    await dropSchema(live, schema);
    await live.end();
    const port = await freePort();
    const pool = createPool({ host: '127.0.0.1', port, user: 'x', database: 'y' });
    try {
      const gen = streamBuckets(pool, {
        table,
        ...columns(table),
        bucketSpanSeconds: 60,
        from: new Date(0),
        to: new Date(1),
      });
      const err = await failure(gen.next());
      expect(err.kind).toBe('connection');
      expect(err.message).toContain(`127.0.0.1:${port}`);
    } finally {
      await pool.end();
    }
  });

  it('an idle client losing its server does not crash the process', async () => {
    const pool = testPool({ max: 1, applicationName: 'rarity-idle-test' });
    const killer = testPool({ max: 1 });
    try {
      await pool.query('SELECT 1');
      const idle = new Promise((resolve) => pool.once('error', resolve));
      await killer.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rarity-idle-test'`,
      );
      await idle;
      // The pool recovers with a new connection.
      const res = await pool.query('SELECT 2 AS n');
      expect(res.rows[0].n).toBe(2);
    } finally {
      await pool.end();
      await killer.end();
    }
  });
});

describe('timeouts', () => {
  let pool: pg.Pool;
  let schema: string;

  beforeAll(async () => {
    pool = testPool({ statementTimeoutMs: 150 });
    schema = await freshSchema(pool, 'tmo');
    await createLogTable(pool, `${schema}.logs`);
    await insertRows(pool, `${schema}.logs`, [{ ts: utc('2024-01-01T00:00:00'), state: 1, ip: 'a' }]);
    // A view that takes longer than the timeout, whatever the query on it.
    await pool.query(`CREATE VIEW "${schema}".slow AS SELECT l.* FROM "${schema}".logs l, pg_sleep(1) s`);
  });

  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('every pooled connection has the statement timeout', async () => {
    const res = await pool.query('SHOW statement_timeout');
    expect(res.rows[0].statement_timeout).toBe('150ms');
  });

  it('a slow statement → timeout, naming the limit', async () => {
    const err = await failure(run(pool, { text: 'SELECT pg_sleep(2)', values: [] }));
    expect(err.kind).toBe('timeout');
    expect(err.pgCode).toBe('57014');
    expect(err.message).toContain('150 ms');
  });

  it('the pushdown and bounds on a slow relation time out with the table named', async () => {
    const slow = await describeTable(pool, `${schema}.slow`);
    const gen = streamBuckets(pool, {
      table: slow,
      ...columns(slow),
      bucketSpanSeconds: 60,
      from: utc('2024-01-01'),
      to: utc('2024-01-02'),
    });
    const err = await failure(gen.next());
    expect(err.kind).toBe('timeout');
    expect(err.message).toContain(`${schema}.slow`);
    expect(pool.totalCount).toBe(pool.idleCount);
    const b = await failure(tableBounds(pool, { table: slow, timeColumn: 'ts' }));
    expect(b.kind).toBe('timeout');
  });

  it('a consumer slower than idle_in_transaction_session_timeout still reads its chunk: the transaction is never left idle', async () => {
    const strict = testPool();
    // Every session of this pool ends a transaction left idle for 200 ms, as a server configured so would.
    strict.on('connect', (client) => void client.query('SET idle_in_transaction_session_timeout = 200'));
    try {
      const rows = Array.from({ length: 6 }, (_, i) => ({ ts: utc(`2024-01-01T00:0${i}:00`), state: 1, ip: 'a' }));
      await createLogTable(strict, `${schema}.idle`);
      await insertRows(strict, `${schema}.idle`, rows);
      const idle = await describeTable(strict, `${schema}.idle`);
      const gen = streamBuckets(
        strict,
        { table: idle, ...columns(idle), bucketSpanSeconds: 60, from: utc('2024-01-01'), to: utc('2024-01-02') },
        { bufferRows: 2 },
      );
      expect((await gen.next()).done).toBe(false);
      // The engine scoring one slow bucket, for five times the server's idle limit.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      let buckets = 1;
      for (let next = await gen.next(); !next.done; next = await gen.next()) {
        buckets++;
      }
      expect(buckets).toBe(6);
      // The client went back to the pool with its session alive.
      expect(strict.totalCount).toBe(strict.idleCount);
      expect((await strict.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      await strict.end();
    }
  });

  it('toStoreError keeps server fields and passes StoreErrors through', () => {
    const pgErr = Object.assign(new Error('relation "x" does not exist'), {
      code: '42P01',
      position: '15',
      detail: 'd',
    });
    const mapped = toStoreError(pgErr, { table: 'public.x' });
    expect(mapped).toMatchObject({
      kind: 'table_missing',
      pgCode: '42P01',
      position: '15',
      detail: 'd',
      value: 'public.x',
    });
    expect(toStoreError(mapped)).toBe(mapped);
    expect(
      toStoreError(Object.assign(new Error('column "q" does not exist'), { code: '42703' }), { column: 'q' }).kind,
    ).toBe('column_missing');
    expect(toStoreError(Object.assign(new Error('lock'), { code: '55P03' })).kind).toBe('timeout');
    expect(
      toStoreError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), { host: 'h', port: 1 }).message,
    ).toContain('h:1');
    expect(toStoreError(new Error('something else')).kind).toBe('query');
  });
});
