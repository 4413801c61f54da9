/**
 * Issue #4: CheckHealth and CallResource of the REAL built executable on the seeded demo: the health message
 * states what was found (rows, span, column types) and agrees with SQL; misconfigured mappings are each an
 * ERROR naming the column or table; the editors' resources (tables, fields, values) answer what SQL says and
 * fail with proper HTTP statuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { pluginContext, type PluginClients, type PluginProcess } from './host.ts';
import { grafanaDatasource } from './e2e.ts';
import { startDemoBackend, type DemoBackend } from './demoBackend.ts';

const DB = 'rarity_backend_health';
const END = new Date('2026-11-20T00:00:00Z');

let pool: pg.Pool;
let plugin: PluginProcess;
let client: PluginClients;
let databaseUrl: string;

let backend: DemoBackend;

beforeAll(async () => {
  backend = await startDemoBackend(DB, { days: 4, rowsPerDay: 1500, end: END });
  ({ pool, plugin, client, url: databaseUrl } = backend);
  // Tables of other shapes, for misconfigured mappings.
  await pool.query(`CREATE TABLE public.texttime (id bigint, ts text, state int)`);
  await pool.query(`INSERT INTO public.texttime VALUES (1, '2026-01-01', 1)`);
  await pool.query(`CREATE SCHEMA other; CREATE TABLE other.events (id int, at timestamp, kind text)`);
}, 180_000);

afterAll(() => backend?.close());

let uidCounter = 0;
/** Each configuration is its own datasource (Grafana would bump lastUpdatedMS on save; a new uid is simpler). */
const ds = (jsonData: Record<string, unknown> = {}) =>
  grafanaDatasource(databaseUrl, jsonData, { uid: `health-${++uidCounter}` });

const spaced = (n: number) => n.toLocaleString('en').replace(/,/g, ' ');

describe('CheckHealth', () => {
  it('on the demo: "Connected to weblogs: N rows from … to …; time column ts timestamp with time zone, id column id bigint"', async () => {
    const sql = (await pool.query(`SELECT count(*)::int AS n, min(ts) AS lo, max(ts) AS hi FROM public.weblogs`))
      .rows[0];
    const res = await client.checkHealth({ pluginContext: pluginContext(ds()), headers: {} });
    expect(res.status).toBe('OK');
    expect(res.message).toBe(
      `Connected to weblogs: ${spaced(sql.n)} rows from ${sql.lo.toISOString()} to ${sql.hi.toISOString()}; time column ts timestamp with time zone, id column id bigint. Results are persisted in schema rarity of ${DB}`,
    );
    expect(sql.n).toBeGreaterThan(5000);
    const details = JSON.parse(Buffer.from(res.jsonDetails ?? []).toString() || '{}');
    expect(details.rows).toBe(sql.n);
  });

  const BAD: Array<{ name: string; jsonData: Record<string, unknown>; message: RegExp }> = [
    {
      name: 'missing time column',
      jsonData: { timeColumn: 'created' },
      message: /column "created" does not exist in table public\.weblogs.*ts \(timestamp with time zone\)/s,
    },
    {
      name: 'time column of the wrong type',
      jsonData: { timeColumn: 'ip' },
      message: /column "ip" of public\.weblogs has type text, but time needs a time column/,
    },
    {
      name: 'id column of the wrong type',
      jsonData: { idColumn: 'ts' },
      message: /column "ts" of public\.weblogs has type timestamp with time zone, but id needs an id column/,
    },
    {
      name: 'missing id column',
      jsonData: { idColumn: 'uuid' },
      message: /column "uuid" does not exist in table public\.weblogs/,
    },
    {
      name: 'missing table',
      jsonData: { table: 'public.weblog' },
      message: /table "public\.weblog" does not exist or is not readable.*public\.weblogs/s,
    },
    { name: 'missing schema', jsonData: { table: 'logs.weblogs' }, message: /table "logs\.weblogs" does not exist/ },
    {
      name: 'time column stored as text',
      jsonData: { table: 'public.texttime' },
      message: /column "ts" of public\.texttime has type text, but time needs a time column/,
    },
    { name: 'no time column configured', jsonData: { timeColumn: '' }, message: /no time column is configured/ },
    {
      name: 'success rule on a missing column',
      jsonData: { successRule: { field: 'status', op: '=', value: '1' } },
      message: /success rule: column "status" does not exist/,
    },
    {
      name: 'message column of the wrong type',
      jsonData: { messageColumn: 'product' },
      message: /column "product" of public\.weblogs has type integer, but message needs a text or json column/,
    },
    { name: 'no table configured', jsonData: { table: '' }, message: /no log table is configured/ },
    {
      name: 'invalid table name',
      jsonData: { table: 'weblogs; DROP TABLE weblogs' },
      message: /table "weblogs; DROP TABLE weblogs" is not a valid name/,
    },
  ];
  for (const c of BAD) {
    it(`ERROR for ${c.name}, naming it`, async () => {
      const res = await client.checkHealth({ pluginContext: pluginContext(ds(c.jsonData)), headers: {} });
      expect(res.status).toBe('ERROR');
      expect(res.message).toMatch(c.message);
    });
  }

  it('a wrong database name is an ERROR naming the database', async () => {
    const res = await client.checkHealth({ pluginContext: pluginContext(ds({ database: 'no_such_db' })), headers: {} });
    expect(res.status).toBe('ERROR');
    expect(res.message).toMatch(/database "no_such_db" does not exist/);
  });
});

async function resource(path: string, url = path, method = 'GET', jsonData: Record<string, unknown> = {}) {
  const messages = await client.callResource({
    pluginContext: pluginContext(ds(jsonData)),
    path,
    method,
    url,
    headers: {},
  });
  expect(messages.length).toBeGreaterThanOrEqual(1);
  const text = Buffer.concat(messages.map((m) => Buffer.from(m.body ?? []))).toString('utf8');
  const headers = Object.fromEntries(
    Object.entries(messages[0].headers ?? {}).map(([k, v]) => [k.toLowerCase(), (v as { values: string[] }).values]),
  );
  return { code: messages[0].code, headers, body: JSON.parse(text) as unknown };
}

describe('CallResource', () => {
  it('GET tables lists the readable tables of the allowed schemas with schema, name and quoted name', async () => {
    const r = await resource('tables');
    expect(r.code).toBe(200);
    expect(r.headers['content-type']).toEqual(['application/json']);
    const tables = r.body as Array<{ schema: string; name: string; qualified: string }>;
    expect(tables).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ schema: 'public', name: 'weblogs', qualified: '"public"."weblogs"' }),
      ]),
    );
    // By default only the log table's own schema.
    expect(new Set(tables.map((t) => t.schema))).toEqual(new Set(['public']));
    const both = await resource('tables', 'tables', 'GET', { allowedSchemas: ['public', 'other'] });
    expect(both.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ schema: 'public', name: 'weblogs' }),
        expect.objectContaining({ schema: 'other', name: 'events' }),
      ]),
    );
    const all = both.body as Array<{ schema: string }>;
    expect(all.some((t) => t.schema === 'pg_catalog' || t.schema === 'information_schema')).toBe(false);
  });

  it('GET fields?table= gives each column its type and suits flags', async () => {
    const r = await resource('fields', 'fields?table=public.weblogs');
    expect(r.code).toBe(200);
    const fields = Object.fromEntries(
      (r.body as Array<{ name: string; type: string; suits: Record<string, boolean> }>).map((f) => [f.name, f]),
    );
    expect(Object.keys(fields)).toEqual(['id', 'ts', 'ip', 'key', 'product', 'state', 'machine_code', 'country']);
    expect(fields.ts).toMatchObject({ type: 'timestamp with time zone', suits: { time: true, id: false, by: false } });
    expect(fields.id).toMatchObject({ type: 'bigint', suits: { id: true, time: false } });
    expect(fields.state).toMatchObject({ type: 'integer', suits: { by: true, over: true, message: false } });
    expect(fields.ip).toMatchObject({ type: 'text', suits: { by: true, over: true, message: true, time: false } });
    // Without ?table= the datasource's default table is described.
    const byDefault = await resource('fields');
    expect(byDefault.body).toEqual(r.body);
    const refused = await resource('fields', 'fields?table=other.events');
    expect(refused.code).toBe(403);
    expect(refused.body).toEqual({
      message: expect.stringMatching(/table "other\.events" is in schema other, which this datasource may not read/),
    });
    const other = await resource('fields', 'fields?table=other.events', 'GET', { allowedSchemas: 'public, other' });
    expect((other.body as Array<{ name: string }>).map((f) => f.name)).toEqual(['id', 'at', 'kind']);
  });

  it('GET values?field=state: counts match SQL, most frequent first', async () => {
    const r = await resource('values', 'values?field=state');
    expect(r.code).toBe(200);
    const sql = await pool.query(
      `SELECT state::text AS value, count(*)::int AS count FROM public.weblogs GROUP BY 1 ORDER BY 2 DESC, 1`,
    );
    expect(r.body).toEqual(sql.rows);
    expect((r.body as Array<{ value: string }>).map((v) => v.value)).toContain('7');
  });

  it('GET values with q filters case-insensitively and literally; limit applies', async () => {
    const r = await resource('values', 'values?field=country&q=e');
    expect(r.code).toBe(200);
    const sql = await pool.query(
      `SELECT country AS value, count(*)::int AS count FROM public.weblogs WHERE country ILIKE '%e%' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20`,
    );
    expect(r.body).toEqual(sql.rows);
    expect((r.body as unknown[]).length).toBeGreaterThan(0);
    const pct = await resource('values', 'values?field=ip&q=%25');
    expect(pct.body).toEqual([]); // '%' matches literally, no IP contains it
    const limited = await resource('values', 'values?field=ip&limit=3');
    expect((limited.body as unknown[]).length).toBe(3);
  });

  it('errors: unknown table 404, unknown field 404, missing field 400, bad limit 400, POST 405, unknown path 404', async () => {
    const table = await resource('fields', 'fields?table=public.nope');
    expect(table.code).toBe(404);
    expect((table.body as { message: string }).message).toMatch(/table "public\.nope" does not exist/);
    const field = await resource('values', 'values?field=nope');
    expect(field.code).toBe(404);
    expect((field.body as { message: string }).message).toMatch(
      /column "nope" does not exist in table public\.weblogs/,
    );
    const missing = await resource('values', 'values');
    expect(missing.code).toBe(400);
    expect((missing.body as { message: string }).message).toMatch(/field is required/);
    const limit = await resource('values', 'values?field=state&limit=abc');
    expect(limit.code).toBe(400);
    expect((limit.body as { message: string }).message).toMatch(/limit "abc" must be a whole number/);
    const post = await resource('tables', 'tables', 'POST');
    expect(post.code).toBe(405);
    expect(post.headers.allow).toEqual(['GET']);
    expect((post.body as { message: string }).message).toMatch(/POST is not allowed on tables; use GET/);
    const unknown = await resource('nothing');
    expect(unknown.code).toBe(404);
    expect((unknown.body as { message: string }).message).toMatch(
      /unknown resource "nothing"; available: tables, fields, values/,
    );
    const injected = await resource('fields', `fields?table=${encodeURIComponent('weblogs; DROP TABLE weblogs')}`);
    expect(injected.code).toBe(400);
    expect((injected.body as { message: string }).message).toMatch(/is not a valid name/);
  });

  it('the table is intact and the process alive, logging only Grafana-readable JSON', async () => {
    expect((await pool.query(`SELECT count(*)::int AS n FROM public.weblogs`)).rows[0].n).toBeGreaterThan(5000);
    expect(plugin.alive).toBe(true);
    expect(plugin.nonJsonStderr()).toEqual([]);
  });
});
