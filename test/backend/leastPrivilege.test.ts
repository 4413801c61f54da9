/**
 * Issue 14, item 4: least privilege against the built executable, logged in as the read-only role of
 * provisioning/postgres/rarity-reader.sql (the one docker-compose.yaml gives Grafana). Tables are read only in
 * the allowed schemas, never in PostgreSQL's catalogues (`values?table=pg_catalog.pg_authid&field=rolpassword`
 * once returned password hashes through the demo's superuser), and only as far as the role may SELECT.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { seedDemo, QUIET_DAYS } from '../../pkg-backend/src/demo/seed.ts';
import { DAY, createDatabase, dropDatabase, grafanaDatasource } from './e2e.ts';
import {
  connect,
  dataQuery,
  pluginContext,
  ROOT,
  startPlugin,
  type PluginClients,
  type PluginProcess,
} from './host.ts';

const DB = 'rarity_backend_least_privilege';
const END = new Date('2026-11-20T00:00:00Z');
const ROLE_SQL = readFileSync(join(ROOT, 'provisioning', 'postgres', 'rarity-reader.sql'), 'utf8');

let admin: pg.Pool;
let reader: pg.Pool;
let plugin: PluginProcess;
let client: PluginClients;
let readerUrl: string;
let range: { from: number; to: number };

beforeAll(async () => {
  const url = await createDatabase(DB);
  admin = new pg.Pool({ connectionString: url, max: 2 });
  // As on a fresh demo server: the role first, then the owner creates the log table.
  await admin.query(ROLE_SQL);
  const seed = await seedDemo(admin, { days: 4, rowsPerDay: 1000, end: END });
  range = { from: seed.from.getTime() + QUIET_DAYS * DAY, to: seed.to.getTime() };
  await admin.query(`
    CREATE TABLE public.secrets (id bigint, ts timestamptz, token text);
    REVOKE ALL ON public.secrets FROM rarity_reader;
    CREATE TABLE public.partial (id bigint, ts timestamptz, state int, password text);
    REVOKE ALL ON public.partial FROM rarity_reader;
    GRANT SELECT (id, ts, state) ON public.partial TO rarity_reader;
    CREATE SCHEMA audit;
    CREATE TABLE audit.events (id bigint, ts timestamptz, kind text);
    GRANT USAGE ON SCHEMA audit TO rarity_reader;
    GRANT SELECT ON audit.events TO rarity_reader;`);
  const u = new URL(url);
  u.username = 'rarity_reader';
  u.password = 'rarity_reader';
  readerUrl = u.toString();
  reader = new pg.Pool({ connectionString: readerUrl, max: 1 });
  plugin = await startPlugin();
  client = connect(plugin.address);
}, 180_000);

afterAll(async () => {
  client?.close();
  await plugin?.dispose();
  await reader?.end();
  await admin?.end();
  await dropDatabase(DB).catch(() => undefined);
});

let uid = 0;
const ds = (jsonData: Record<string, unknown> = {}) =>
  grafanaDatasource(readerUrl, jsonData, { uid: `least-privilege-${++uid}` });

async function resource(url: string, jsonData: Record<string, unknown> = {}) {
  const messages = await client.callResource({
    pluginContext: pluginContext(ds(jsonData)),
    path: url.replace(/\?.*$/, ''),
    method: 'GET',
    url,
    headers: {},
  });
  const text = Buffer.concat(messages.map((m) => Buffer.from(m.body ?? []))).toString('utf8');
  return { code: messages[0].code, text, body: JSON.parse(text) as unknown };
}

async function query(json: Record<string, unknown>, jsonData: Record<string, unknown> = {}) {
  const res = await client.queryData({
    pluginContext: pluginContext(ds(jsonData)),
    headers: {},
    queries: [dataQuery('A', { refId: 'A', ...json }, { ...range, queryType: String(json.queryType ?? '') })],
  });
  return res.responses.A;
}

const HASHES = /SCRAM-SHA-256|md5[0-9a-f]{32}/;
const SYSTEM = /is in pg_catalog, one of PostgreSQL's system schemas; Rarity reads log tables only/;

describe('the read-only role', () => {
  it('reads the logs and may write nothing but its results schema', async () => {
    expect((await reader.query('SELECT count(*)::int AS n FROM public.weblogs')).rows[0].n).toBeGreaterThan(0);
    await expect(reader.query('DELETE FROM public.weblogs')).rejects.toThrow(/permission denied/);
    await expect(reader.query('CREATE TABLE public.mine (x int)')).rejects.toThrow(/permission denied/);
    await expect(reader.query('SELECT rolpassword FROM pg_catalog.pg_authid')).rejects.toThrow(/permission denied/);
  });

  it('passes Save & test with results kept in its own schema', async () => {
    const health = await client.checkHealth({ pluginContext: pluginContext(ds()), headers: {} });
    expect(health.status, health.message).toBe('OK');
    expect(health.message).toMatch(/^Connected to weblogs: /);
    expect(health.message).toContain(`Results are persisted in schema rarity of ${DB}`);
  });

  it('answers a detection', async () => {
    const answer = await query({ queryType: 'scores', function: 'rare', byField: 'state', bucketSpan: '5m' });
    expect(answer.error ?? '').toBe('');
    expect(answer.frames?.length).toBeGreaterThan(0);
  });
});

describe('system catalogues are refused, whoever logs in', () => {
  it.each([
    'values?table=pg_catalog.pg_authid&field=rolpassword',
    'values?table=pg_authid&field=rolpassword',
    'values?table=%22pg_catalog%22.%22pg_authid%22&field=rolpassword',
    'values?table=PG_CATALOG.PG_SHADOW&field=passwd',
    'fields?table=pg_catalog.pg_authid',
    'fields?table=pg_roles',
  ])('GET %s → 403 naming the system schema, no hashes', async (url) => {
    const r = await resource(url);
    expect(r.code).toBe(403);
    expect((r.body as { message: string }).message).toMatch(SYSTEM);
    expect(r.text).not.toMatch(HASHES);
  });

  it.each(['information_schema.tables', 'pg_toast.pg_toast_1', 'pg_temp.x'])(
    'GET fields?table=%s → 403',
    async (table) => {
      const r = await resource(`fields?table=${table}`);
      expect(r.code).toBe(403);
      expect((r.body as { message: string }).message).toMatch(/one of PostgreSQL's system schemas/);
    },
  );

  it('a query on pg_catalog.pg_authid is refused as the plugin’s 400', async () => {
    const answer = await query({ queryType: 'logs', table: 'pg_catalog.pg_authid', byField: 'rolname' });
    expect(answer.error).toMatch(SYSTEM);
    expect(answer.status).toBe(400);
    expect(answer.errorSource).toBe('plugin');
  });

  it('even when the setting lists it: Save & test names the setting', async () => {
    const health = await client.checkHealth({
      pluginContext: pluginContext(ds({ allowedSchemas: ['public', 'pg_catalog'] })),
      headers: {},
    });
    expect(health.status).toBe('ERROR');
    expect(health.message).toMatch(/Allowed schemas: pg_catalog is one of PostgreSQL's system schemas/);
  });
});

describe('only tables and columns the role may SELECT, in the allowed schemas', () => {
  it("tables lists the readable tables of the log table's schema", async () => {
    const r = await resource('tables');
    const names = (r.body as Array<{ schema: string; name: string }>).map((t) => `${t.schema}.${t.name}`);
    expect(names).toContain('public.weblogs');
    expect(names).toContain('public.partial');
    expect(names).not.toContain('public.secrets');
    expect(names).not.toContain('audit.events');
    expect(names.filter((n) => n.startsWith('rarity.'))).toEqual([]);
  });

  it('a table the role may not read does not exist for it', async () => {
    const r = await resource('fields?table=public.secrets');
    expect(r.code).toBe(404);
    expect((r.body as { message: string }).message).toMatch(
      /table "public\.secrets" does not exist or is not readable/,
    );
  });

  it('columns the role may not read are not described, so not queryable', async () => {
    const r = await resource('fields?table=public.partial');
    expect((r.body as Array<{ name: string }>).map((f) => f.name)).toEqual(['id', 'ts', 'state']);
    const values = await resource('values?table=public.partial&field=password');
    expect(values.code).toBe(404);
    expect((values.body as { message: string }).message).toMatch(
      /column "password" does not exist in table public\.partial/,
    );
  });

  it('another schema is refused until the datasource allows it', async () => {
    const refused = await resource('fields?table=audit.events');
    expect(refused.code).toBe(403);
    expect((refused.body as { message: string }).message).toBe(
      'table "audit.events" is in schema audit, which this datasource may not read; allowed schemas: public (the log table\'s schema; list more under Allowed schemas in the datasource settings).',
    );
    const allowed = await resource('fields?table=audit.events', { allowedSchemas: ['public', 'audit'] });
    expect(allowed.code).toBe(200);
    expect((allowed.body as Array<{ name: string }>).map((f) => f.name)).toEqual(['id', 'ts', 'kind']);
    const listed = await resource('tables', { allowedSchemas: 'audit' });
    expect((listed.body as Array<{ schema: string }>).map((t) => t.schema)).toEqual(['audit']);
    const q = await query({ queryType: 'scores', table: 'audit.events', byField: 'kind' });
    expect(q.error).toMatch(/table "audit\.events" is in schema audit, which this datasource may not read/);
  });
});
