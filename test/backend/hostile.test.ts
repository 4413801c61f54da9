/**
 * Issue #4: hostile and malformed queries against ONE running executable (real gRPC). Each case must get a
 * per-refId error whose message names the field/value (a regex per case) with a 4xx status — or, for
 * values that are merely odd (bound parameters), an ordinary answer. Nothing may reach SQL as text: the
 * table's row count is unchanged afterwards, health still answers, the process never exits and its stderr
 * stays Grafana-readable JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { QUIET_DAYS, type SeedResult } from '../../pkg-backend/src/demo/seed.ts';
import { dataQuery, decodeFrames, pluginContext, type PluginClients, type PluginProcess } from './host.ts';
import { DAY, badTypes, grafanaDatasource } from './e2e.ts';
import { startDemoBackend, type DemoBackend } from './demoBackend.ts';

const DB = 'rarity_backend_hostile';
const END = new Date('2026-11-20T00:00:00Z');

let pool: pg.Pool;
let seed: SeedResult;
let plugin: PluginProcess;
let client: PluginClients;
let databaseUrl: string;
let rowsBefore: number;

let backend: DemoBackend;

beforeAll(async () => {
  backend = await startDemoBackend(DB, { days: 5, rowsPerDay: 2000, end: END });
  ({ pool, seed, plugin, client, url: databaseUrl } = backend);
  rowsBefore = Number((await pool.query('SELECT count(*) AS n FROM public.weblogs')).rows[0].n);
  // Column names that need quotes, as the editors' pickers offer them; and a table in a schema not allowed.
  await pool.query(`
    CREATE TABLE public.oddlogs AS
      SELECT id, ts, state AS "Machine Code", ip AS "a.b", country AS "x-y", key AS "semi;colon",
             product AS "État", ip AS "UPPER", state
        FROM public.weblogs;
    CREATE SCHEMA other;
    CREATE TABLE other.events AS SELECT * FROM public.weblogs;`);
}, 180_000);

afterAll(() => backend?.close());

const uids = new Map<string, string>();
/** One datasource per distinct settings: the plugin keeps an instance per uid and version. */
const ds = (settings?: Record<string, unknown>) => {
  const key = JSON.stringify(settings ?? {});
  if (!uids.has(key)) {
    uids.set(key, `rarity-hostile-${uids.size}`);
  }
  return grafanaDatasource(databaseUrl, settings ?? {}, { uid: uids.get(key) });
};

interface Case {
  name: string;
  /** Datasource settings over the test's (each distinct set is its own datasource). */
  settings?: Record<string, unknown>;
  /** A CallResource GET (or `method`) instead of a query; `expect` then matches the body's message. */
  resource?: { url: string; method?: string; status: number };
  /** The query model (merged over a valid base unless `replace`), or raw JSON text. */
  json?: Record<string, unknown>;
  replace?: boolean;
  raw?: string;
  range?: { from: number; to: number };
  /** Expected: an error matching this regex with a 4xx status; or 'ok' for a normal answer. */
  expect: RegExp | 'ok';
}

const BASE = { refId: 'A', queryType: 'scores', function: 'rare', byField: 'state', bucketSpan: '5m' };
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const HOSTILE_NAMES = [
  'state; DROP TABLE weblogs',
  'state--',
  'a" OR "1"="1',
  'state/* x */',
  'pg_sleep(10)',
  'weblogs WHERE 1=1',
  '"state',
  'state\u0000',
  '🙂',
  'x'.repeat(70),
  'état_inconnu',
  ' state',
];

function nameCases(): Case[] {
  const cases: Case[] = [];
  for (const name of HOSTILE_NAMES) {
    // Invalid names are refused by the identifier parser; valid but unknown ones by the catalogue. Either
    // way the message names the value (the control character is shown as is).
    const named = new RegExp(esc(name));
    cases.push({
      name: `table ${JSON.stringify(name)}`,
      json: { table: name },
      expect: new RegExp(`table.*${esc(name)}|${esc(name)}.*table`, 's'),
    });
    cases.push({
      name: `byField ${JSON.stringify(name)}`,
      json: { byField: name },
      expect: new RegExp(`by column "${esc(name)}"|column "${esc(name)}" does not exist`),
    });
    // (" state" trims to the by field, and is refused as such.)
    cases.push({
      name: `overField ${JSON.stringify(name)}`,
      json: { overField: name },
      expect: new RegExp(
        `over column "${esc(name)}"|column "${esc(name)}" does not exist|Over field "${esc(name)}" is the same as the by field`,
      ),
    });
    cases.push({
      name: `filter field ${JSON.stringify(name)}`,
      json: { filters: [{ field: name, op: '=', value: '1' }] },
      expect: new RegExp(`filter.*${esc(name)}`, 's'),
    });
    cases.push({
      name: `success-rule-like filter "in" on ${JSON.stringify(name)}`,
      json: { filters: [{ field: name, op: 'in', value: '1,2' }] },
      expect: named,
    });
  }
  return cases;
}

/** PostgreSQL's own relations, as anyone might name them; each is refused before it is read. */
const SYSTEM_TABLES = [
  'pg_catalog.pg_authid',
  'pg_authid',
  '"pg_catalog"."pg_authid"',
  'PG_CATALOG.PG_AUTHID',
  'pg_catalog.pg_shadow',
  'pg_shadow',
  'pg_catalog.pg_user',
  'pg_roles',
  'pg_stat_activity',
  'pg_settings',
  'pg_catalog.pg_largeobject',
  'pg_catalog.pg_class',
  'information_schema.tables',
  'information_schema.columns',
  'pg_toast.pg_toast_2619',
  'pg_temp.weblogs',
  'pg_catalog.nope',
];
const QUERY_TYPES = ['scores', 'records', 'groups', 'logs', 'annotations'];
const SYSTEM =
  /is in (pg_catalog|information_schema|pg_toast|pg_temp), one of PostgreSQL's system schemas; Rarity reads log tables only/;

function systemTableCases(): Case[] {
  return SYSTEM_TABLES.flatMap((table) =>
    QUERY_TYPES.map((queryType) => ({
      name: `${queryType} on system table ${table}`,
      json: { queryType, table, byField: 'rolname' },
      expect: SYSTEM,
    })),
  );
}

/** The same hostile names in every other query type: each type parses and resolves on its own path. */
function nameCasesPerQueryType(): Case[] {
  return HOSTILE_NAMES.flatMap((name) =>
    QUERY_TYPES.filter((t) => t !== 'scores').flatMap((queryType) => [
      {
        name: `${queryType}: table ${JSON.stringify(name)}`,
        json: { queryType, table: name },
        expect: new RegExp(`table.*${esc(name)}|${esc(name)}.*table`, 's'),
      },
      {
        name: `${queryType}: byField ${JSON.stringify(name)}`,
        json: { queryType, byField: name },
        expect: new RegExp(`by column "${esc(name)}"|column "${esc(name)}" does not exist`),
      },
    ]),
  );
}

/** Job queries (several detectors) resolve their fields elsewhere; hostile names there are refused too. */
function jobNameCases(): Case[] {
  const job = (patch: Record<string, unknown>) => ({
    detectors: [{ function: 'rare', byField: 'state', ...patch }],
  });
  return HOSTILE_NAMES.filter((name) => name.trim() !== 'state').flatMap((name) => [
    {
      name: `job: detector byField ${JSON.stringify(name)}`,
      json: job({ byField: name }),
      expect: new RegExp(esc(name)),
    },
    {
      name: `job: partitionField ${JSON.stringify(name)}`,
      json: job({ partitionField: name }),
      expect: new RegExp(esc(name)),
    },
    {
      name: `job: influencer ${JSON.stringify(name)}`,
      json: { ...job({}), influencers: [name] },
      expect: new RegExp(esc(name)),
    },
  ]);
}

const NO_HASHES = /^(?![\s\S]*(SCRAM-SHA-256|md5[0-9a-f]{32}))/;

function resourceCases(): Case[] {
  const cases: Case[] = [];
  for (const url of [
    'values?table=pg_catalog.pg_authid&field=rolpassword',
    'values?table=pg_authid&field=rolpassword',
    'values?table=pg_catalog.pg_shadow&field=passwd',
    'values?table=%22pg_catalog%22.%22pg_authid%22&field=rolpassword',
    'fields?table=pg_catalog.pg_authid',
    'fields?table=pg_roles',
    'fields?table=information_schema.tables',
    'values?table=information_schema.role_table_grants&field=grantee',
    'fields?table=pg_toast.pg_toast_2619',
  ]) {
    cases.push({ name: `GET ${url}`, resource: { url, status: 403 }, expect: SYSTEM });
  }
  for (const url of [
    'fields?table=other.events',
    'values?table=other.events&field=state',
    'fields?table=rarity.jobs',
  ]) {
    cases.push({
      name: `GET ${url} (schema not allowed)`,
      resource: { url, status: 403 },
      expect: /which this datasource may not read; allowed schemas: public/,
    });
  }
  cases.push(
    {
      name: 'GET fields?table=other.events once other is allowed',
      settings: { allowedSchemas: ['public', 'other'] },
      resource: { url: 'fields?table=other.events', status: 200 },
      expect: 'ok',
    },
    {
      name: 'GET tables lists no system or results schema',
      resource: { url: 'tables', status: 200 },
      expect: 'ok',
    },
  );
  for (const [what, url] of [
    ['q', 'values?field=country&q=%00'],
    ['table', 'values?table=web%00logs&field=state'],
    ['field', 'values?field=st%00ate'],
    ['fields table', 'fields?table=%00'],
    ['limit', 'values?field=state&limit=1%00'],
  ]) {
    cases.push({
      name: `GET with NUL in ${what}`,
      resource: { url, status: 400 },
      expect: /contains a NUL character, which no name or value can hold/,
    });
  }
  for (const name of HOSTILE_NAMES.filter((n) => !n.includes('\u0000'))) {
    const encoded = encodeURIComponent(name);
    cases.push(
      {
        name: `GET fields?table=${JSON.stringify(name)}`,
        resource: { url: `fields?table=${encoded}`, status: 0 },
        expect: new RegExp(esc(name.length > 60 ? name.slice(0, 60) : name)),
      },
      {
        name: `GET values?field=${JSON.stringify(name)}`,
        resource: { url: `values?field=${encoded}`, status: 0 },
        expect: new RegExp(esc(name)),
      },
    );
  }
  cases.push(
    {
      name: 'GET values limit=abc',
      resource: { url: 'values?field=state&limit=abc', status: 400 },
      expect: /limit "abc" must be a whole number/,
    },
    {
      name: 'GET values limit=-1',
      resource: { url: 'values?field=state&limit=-1', status: 400 },
      expect: /limit "-1" must be a whole number/,
    },
    {
      name: 'GET values limit=1e9',
      resource: { url: 'values?field=state&limit=1e9', status: 400 },
      expect: /limit "1e9" must be/,
    },
    {
      name: 'GET values limit=99999999999999999999',
      resource: { url: 'values?field=state&limit=99999999999999999999', status: 200 },
      expect: 'ok',
    },
    {
      name: "GET values q=' OR 1=1 --",
      resource: { url: `values?field=ip&q=${encodeURIComponent("' OR 1=1 --")}`, status: 200 },
      expect: 'ok',
    },
    { name: 'GET values q=%_', resource: { url: 'values?field=ip&q=%25_', status: 200 }, expect: 'ok' },
    { name: 'GET values without field', resource: { url: 'values', status: 400 }, expect: /field is required/ },
    {
      name: 'GET an unknown resource with a 10 000-character path',
      resource: { url: 'x'.repeat(10_000), status: 404 },
      expect: /unknown resource "x{200}… \(10,000 characters\)"; available/,
    },
    {
      name: 'POST tables',
      resource: { url: 'tables', method: 'POST', status: 405 },
      expect: /POST is not allowed on tables; use GET/,
    },
    {
      name: 'GET values of a quoted odd column',
      resource: { url: `values?table=public.oddlogs&field=${encodeURIComponent('"Machine Code"')}`, status: 200 },
      expect: 'ok',
    },
    {
      name: 'GET values of an odd column as the picker names it',
      resource: { url: `values?table=public.oddlogs&field=${encodeURIComponent('semi;colon')}`, status: 200 },
      expect: 'ok',
    },
  );
  return cases;
}

const YEAR = /is outside the years 0001 to 9999, which is all a time range may span/;
const FILTER_YEAR = /column ts is timestamp with time zone\. Use a year from 0001 to 9999/;

function yearCases(): Case[] {
  const from = Date.parse('2026-11-16T00:00:00Z');
  const ranges: Array<[string, { from: number; to: number }]> = [
    ['to in the year 10000', { from, to: Date.parse('+010000-01-01T00:00:00Z') }],
    ['to in the year 20000', { from, to: Date.parse('+020000-06-01T00:00:00Z') }],
    ['to at the end of JavaScript time', { from, to: 8.64e15 }],
    ['from in the year 0', { from: Date.parse('0000-06-01T00:00:00Z'), to: from }],
    ['from in the year -1', { from: Date.parse('-000001-01-01T00:00:00Z'), to: from }],
    ['from at the start of JavaScript time', { from: -8.64e15, to: from }],
  ];
  const cases: Case[] = ranges.map(([name, range]) => ({ name: `time range ${name}`, json: {}, range, expect: YEAR }));
  for (const value of ['10000-01-01', '+010000-01-01T00:00:00Z', '-000001-01-01', '99999-12-31', '20000-01-01 00:00']) {
    cases.push({
      name: `filter ts > ${JSON.stringify(value)}`,
      json: { filters: [{ field: 'ts', op: '>', value }] },
      expect: FILTER_YEAR,
    });
  }
  cases.push({
    name: 'filter ts in a list with a five-digit year',
    json: { filters: [{ field: 'ts', op: 'in', value: '2026-11-17, 12026-11-17' }] },
    expect: FILTER_YEAR,
  });
  cases.push({
    name: 'filter ts > 9999-12-31 is fine',
    json: { filters: [{ field: 'ts', op: '>', value: '9999-12-31' }] },
    expect: 'ok',
  });
  return cases;
}

/** The datasource's success rule, as a provisioning file or the API may write it. */
function successRuleCases(): Case[] {
  const rule = (successRule: unknown, expect: RegExp | 'ok', name = JSON.stringify(successRule)): Case => ({
    name: `success rule ${name}`,
    settings: { successRule },
    json: {},
    expect,
  });
  return [
    rule(
      { field: 'nope', op: '=', value: '1' },
      /^success rule: column "nope" does not exist in table public\.weblogs/,
    ),
    rule({ op: '=', value: '1' }, /^success rule: needs a field \(a column name\)\. Choose a column, e\.g\. state\.$/),
    rule({ field: '', op: '=', value: '1' }, /^success rule = "1": needs a field \(a column name\)/),
    rule({ field: 5, op: '=', value: '1' }, /^success rule 5 = "1": needs a field/),
    rule(
      { field: 'state', op: 'DROP', value: '1' },
      /^success rule state DROP "1": operator "DROP" is not supported\. Use one of/,
    ),
    rule({ field: 'state', op: null, value: '1' }, /^success rule state null "1": operator null is not supported/),
    rule(
      { field: 'state', op: '=', value: 'x' },
      /^success rule state = "x": column state is integer\. Use a whole number/,
    ),
    rule(
      { field: 'state', op: '=', value: '99999999999' },
      /^success rule state = "99999999999": out of range for integer/,
    ),
    rule({ field: 'state', op: '=', value: true }, /^success rule state = "true": column state is integer/),
    rule({ field: 'state', op: '=', value: null }, /^success rule state = "null": operator = needs a value/),
    rule({ field: 'state', op: '=', value: {} }, /^success rule state = "\{\}": operator = needs a value/),
    rule({ field: 'state', op: '=' }, /^success rule state =\s*: operator = needs a value/),
    rule(
      { field: 'ts', op: '>', value: '10000-01-01' },
      /^success rule ts > "10000-01-01": column ts is timestamp with time zone\. Use a year/,
    ),
    rule('state = 1', /^success rule is not an object \{ field, op, value \}$/, 'as SQL text'),
    rule(['state', '=', '1'], /^success rule is not an object/, 'as a list'),
    rule({ field: 'state', op: '=', value: 1 }, 'ok', 'with a numeric value 1'),
    rule({ field: 'state', op: 'in', value: '1,2' }, 'ok'),
    rule({ field: 'ip', op: 'like', value: "10.%' OR '1'='1" }, 'ok'),
    rule({ field: 'state', op: 'is not null' }, 'ok'),
  ];
}

/** Columns whose names need quotes: accepted quoted, and as the catalogue spells them (what pickers save). */
function oddNameCases(): Case[] {
  const settings = { table: 'public.oddlogs', successRule: { field: '"Machine Code"', op: '=', value: 1 } };
  const ok = (name: string, json: Record<string, unknown>): Case => ({
    name: `oddlogs: ${name}`,
    settings,
    json,
    expect: 'ok',
  });
  const cases: Case[] = [];
  for (const by of [
    '"Machine Code"',
    'Machine Code',
    '"a.b"',
    'a.b',
    'x-y',
    'semi;colon',
    'État',
    '"UPPER"',
    'UPPER',
  ]) {
    cases.push(ok(`byField ${by}`, { byField: by }));
  }
  cases.push(
    ok('freq_rare by "x-y" over a.b', { function: 'freq_rare', byField: '"x-y"', overField: 'a.b' }),
    ok('records by Machine Code over "semi;colon"', {
      queryType: 'records',
      function: 'freq_rare',
      byField: 'Machine Code',
      overField: '"semi;colon"',
    }),
    ok('logs by a.b', { queryType: 'logs', byField: 'a.b' }),
    ok('filter on x-y in DE,FR', { byField: 'state', filters: [{ field: 'x-y', op: 'in', value: 'DE,FR' }] }),
    ok('filter on "Machine Code" != 9', {
      byField: 'state',
      filters: [{ field: '"Machine Code"', op: '!=', value: '9' }],
    }),
    ok('job by "Machine Code" partitioned by x-y, influencer a.b', {
      detectors: [{ function: 'rare', byField: '"Machine Code"', partitionField: 'x-y' }],
      influencers: ['a.b'],
    }),
    {
      name: 'oddlogs: upper (PostgreSQL folds it, no such column)',
      settings,
      json: { byField: 'upper' },
      expect: /column "upper" does not exist in table public\.oddlogs/,
    },
    {
      name: 'oddlogs: over the same column spelt twice',
      settings,
      json: { function: 'freq_rare', byField: '"a.b"', overField: 'a.b' },
      expect: /Over field "a\.b" is the same column as the by field \(a\.b\); choose a different field/,
    },
    {
      name: 'oddlogs: job influencers naming one column twice',
      settings,
      json: { detectors: [{ function: 'rare', byField: 'state' }], influencers: ['"a.b"', 'a.b'] },
      expect: /influencers name the same column more than once \(a\.b, a\.b\)/,
    },
    {
      name: 'oddlogs: job by and partition naming one column twice',
      settings,
      json: { detectors: [{ function: 'rare', byField: '"x-y"', partitionField: 'x-y' }] },
      expect: /by, over and partition name the same column \(x-y, x-y\)/,
    },
  );
  return cases;
}

/** Long values: always refused with a short message that still shows where the value starts. */
function longValueCases(): Case[] {
  const long = (ch: string) => ch.repeat(100_000);
  return [
    {
      name: '100k-character byField',
      json: { byField: long('b') },
      expect: /by column "b{200}… \(100,000 characters\)"/,
    },
    {
      name: '100k-character overField',
      json: { overField: long('o') },
      expect: /over column "o{200}… \(100,000 characters\)"/,
    },
    { name: '100k-character table', json: { table: long('t') }, expect: /table "t{200}… \(100,000 characters\)"/ },
    {
      name: '100k-character bucketSpan',
      json: { bucketSpan: long('5') },
      expect: /bucketSpan "5{199}… \(100,002 characters\)/,
    },
    {
      name: '100k-character queryType',
      json: { queryType: long('q') },
      expect: /queryType "q{199}… \(100,002 characters\)/,
    },
    {
      name: '100k-character function',
      json: { function: long('f') },
      expect: /function "f{199}… \(100,002 characters\)/,
    },
    {
      name: '100k-character filter op',
      json: { filters: [{ field: 'state', op: long('=') }] },
      expect: /operator "={199}… \(100,002 characters\)/,
    },
    {
      name: '100k-character filter field',
      json: { filters: [{ field: long('g'), op: '=', value: '1' }] },
      expect: /g{200}… \(100,000 characters\)/,
    },
    {
      name: '100k-digit integer filter value',
      json: { filters: [{ field: 'state', op: '=', value: long('7') }] },
      expect: /7{200}… \(100,000 characters\).*out of range for integer/,
    },
    {
      name: '100k-character JSON that does not parse',
      raw: `{"byField":"${long('x')}`,
      expect: /^query JSON is invalid: /,
    },
  ];
}

const TEN_YEARS = { from: Date.parse('2016-11-20T00:00:00Z'), to: Date.parse('2026-11-20T00:00:00Z') };

const CASES: Case[] = [
  // ---- invalid JSON ----
  { name: 'empty JSON', raw: '', expect: /query JSON is empty/ },
  { name: 'blank JSON', raw: '   \n', expect: /query JSON is empty/ },
  { name: 'truncated object', raw: '{"refId":"A",', expect: /query JSON is invalid/ },
  { name: 'missing value', raw: '{"byField":}', expect: /query JSON is invalid/ },
  { name: 'trailing comma', raw: '{"byField":"state",}', expect: /query JSON is invalid/ },
  { name: 'single quotes', raw: "{'byField':'state'}", expect: /query JSON is invalid/ },
  { name: 'NaN literal', raw: '{"minScore": NaN}', expect: /query JSON is invalid/ },
  { name: 'JSON null', raw: 'null', expect: /must be a JSON object/ },
  { name: 'JSON array', raw: '[{"byField":"state"}]', expect: /must be a JSON object/ },
  { name: 'JSON string', raw: '"state"', expect: /must be a JSON object/ },
  { name: 'JSON number', raw: '42', expect: /must be a JSON object/ },
  { name: 'JSON true', raw: 'true', expect: /must be a JSON object/ },
  { name: 'NUL byte', raw: '\u0000', expect: /query JSON is invalid/ },
  // ---- wrong types ----
  { name: 'byField: 5', json: { byField: 5 }, expect: /byField.*must be a string.*5/ },
  { name: 'byField: null', json: { byField: null }, expect: /By field is required/ },
  { name: 'byField: ["state"]', json: { byField: ['state'] }, expect: /byField.*must be a string/ },
  { name: 'byField: {}', json: { byField: {} }, expect: /byField.*must be a string/ },
  { name: 'overField: 5', json: { overField: 5 }, expect: /overField.*must be a string.*5/ },
  { name: 'table: 5', json: { table: 5 }, expect: /table.*must be a string.*5/ },
  { name: 'table: ["weblogs"]', json: { table: ['weblogs'] }, expect: /table.*must be a string/ },
  { name: 'bucketSpan: 5', json: { bucketSpan: 5 }, expect: /bucketSpan.*5/ },
  { name: 'filters: "x"', json: { filters: 'x' }, expect: /filters.*must be a list/ },
  { name: 'filters: {}', json: { filters: {} }, expect: /filters.*must be a list/ },
  { name: 'filters: [1]', json: { filters: [1] }, expect: /Filter 1 must be an object \{ field, op, value \}, got 1/ },
  { name: 'filters: [null]', json: { filters: [null] }, expect: /Filter 1 must be an object/ },
  {
    name: 'filters: [["state","=","1"]]',
    json: { filters: [['state', '=', '1']] },
    expect: /Filter 1 must be an object/,
  },
  {
    name: 'filter field 5',
    json: { filters: [{ field: 5, op: '=', value: '1' }] },
    expect: /Filter 1: field must be a column name, got 5/,
  },
  {
    name: 'filters: [{field:"state"}] (no op)',
    json: { filters: [{ field: 'state' }] },
    expect: /Filter 1: operator undefined is not allowed/,
  },
  {
    name: 'filter value: {}',
    json: { filters: [{ field: 'state', op: '=', value: {} }] },
    expect: /Filter 1: value must be text.*got \{\}/,
  },
  { name: 'limit: -1', json: { limit: -1 }, expect: /limit -1 must be a whole number from 1 to 100000/ },
  { name: 'limit: 0', json: { limit: 0 }, expect: /limit 0 must be/ },
  { name: 'limit: 1e9', json: { limit: 1e9 }, expect: /limit 1000000000 must be/ },
  { name: 'limit: 1.5', json: { limit: 1.5 }, expect: /limit 1.5 must be a whole number/ },
  { name: 'limit: "10"', json: { limit: '10' }, expect: /limit "10" must be/ },
  { name: 'limit: 1e308', json: { limit: 1e308 }, expect: /limit .* must be/ },
  { name: 'minScore: "a"', json: { minScore: 'a' }, expect: /minScore "a" must be a number from 0 to 100/ },
  { name: 'minScore: -1', json: { minScore: -1 }, expect: /minScore -1 must be/ },
  { name: 'minScore: 101', json: { minScore: 101 }, expect: /minScore 101 must be/ },
  { name: 'minScore: []', json: { minScore: [] }, expect: /minScore \[\] must be/ },
  // ---- unknown query type / function / missing over ----
  {
    name: 'queryType "drop"',
    json: { queryType: 'drop' },
    expect: /queryType "drop" is not known; use one of scores, records, groups, logs, annotations/,
  },
  { name: 'queryType 5', json: { queryType: 5 }, expect: /queryType 5 is not known/ },
  { name: 'queryType "SCORES"', json: { queryType: 'SCORES' }, expect: /queryType "SCORES" is not known/ },
  {
    name: 'function "mean"',
    json: { function: 'mean' },
    expect: /function "mean" is not known; use rare or freq_rare/,
  },
  { name: 'function ["rare"]', json: { function: ['rare'] }, expect: /function \["rare"\] is not known/ },
  {
    name: 'function "rare; DROP TABLE weblogs"',
    json: { function: 'rare; DROP TABLE weblogs' },
    expect: /function "rare; DROP TABLE weblogs" is not known/,
  },
  { name: 'freq_rare without over', json: { function: 'freq_rare' }, expect: /Over field is required for freq_rare/ },
  {
    name: 'freq_rare with empty over',
    json: { function: 'freq_rare', overField: '' },
    expect: /Over field is required for freq_rare/,
  },
  { name: 'over = by', json: { overField: 'state' }, expect: /Over field "state" is the same as the by field/ },
  { name: 'byField empty', json: { byField: '' }, expect: /By field is required/ },
  { name: 'byField blank', json: { byField: '   ' }, expect: /By field is required/ },
  { name: 'byField missing', json: { refId: 'A', queryType: 'scores' }, replace: true, expect: /By field is required/ },
  // ---- unknown columns / wrong column types ----
  {
    name: 'unknown byField',
    json: { byField: 'nope' },
    expect: /column "nope" does not exist in table public\.weblogs.*Columns of public\.weblogs that fit/s,
  },
  {
    name: 'unknown overField',
    json: { overField: 'nope' },
    expect: /column "nope" does not exist in table public\.weblogs/,
  },
  {
    name: 'byField is the time column',
    json: { byField: 'ts' },
    expect: /column "ts" of public\.weblogs has type timestamp with time zone, but by needs a categorical column/,
  },
  {
    name: 'unknown table',
    json: { table: 'public.nope' },
    expect: /table "public\.nope" does not exist or is not readable/,
  },
  {
    name: 'unknown schema',
    json: { table: 'nope.weblogs' },
    expect: /table "nope\.weblogs" is in schema nope, which this datasource may not read; allowed schemas: public/,
  },
  {
    name: 'catalog table',
    json: { table: 'pg_catalog.pg_authid' },
    expect: /table "pg_catalog\.pg_authid" is in pg_catalog, one of PostgreSQL's system schemas/,
  },
  {
    name: 'three-part table name',
    json: { table: 'a.b.c' },
    expect: /table "a\.b\.c" is not a valid name: use at most schema\.table/,
  },
  // ---- filters: values are bound parameters, ops come from an allow-list ----
  { name: "ip = ' OR 1=1 --", json: { filters: [{ field: 'ip', op: '=', value: "' OR 1=1 --" }] }, expect: 'ok' },
  {
    name: "ip = '; DROP TABLE weblogs; --",
    json: { filters: [{ field: 'ip', op: '=', value: "'; DROP TABLE weblogs; --" }] },
    expect: 'ok',
  },
  { name: 'ip = ") OR ("1"="1', json: { filters: [{ field: 'ip', op: '=', value: '") OR ("1"="1' }] }, expect: 'ok' },
  { name: 'ip = $1', json: { filters: [{ field: 'ip', op: '=', value: '$1' }] }, expect: 'ok' },
  {
    name: "ip like %' OR '1'='1",
    json: { filters: [{ field: 'ip', op: 'like', value: "%' OR '1'='1" }] },
    expect: 'ok',
  },
  {
    name: 'ip in with injection item',
    json: { filters: [{ field: 'ip', op: 'in', value: "1.2.3.0, x') OR ('1'='1" }] },
    expect: 'ok',
  },
  {
    name: 'country = unicode + NUL',
    json: { filters: [{ field: 'country', op: '=', value: 'D\u0000E' }] },
    expect: /filter|value|invalid|character/i,
  },
  {
    name: 'country = 10k characters',
    json: { filters: [{ field: 'country', op: '=', value: 'x'.repeat(10_000) }] },
    expect: 'ok',
  },
  {
    name: 'state = "1 OR 1=1"',
    json: { filters: [{ field: 'state', op: '=', value: '1 OR 1=1' }] },
    expect: /filter state = "1 OR 1=1": column state is integer/,
  },
  {
    name: 'state = "1; DROP TABLE weblogs"',
    json: { filters: [{ field: 'state', op: '=', value: '1; DROP TABLE weblogs' }] },
    expect: /filter state = "1; DROP TABLE weblogs": column state is integer/,
  },
  {
    name: 'state = 99999999999',
    json: { filters: [{ field: 'state', op: '=', value: '99999999999' }] },
    expect: /out of range for integer/,
  },
  {
    name: 'state in "1,,2"',
    json: { filters: [{ field: 'state', op: 'in', value: '1,,2' }] },
    expect: /Filter 1: "in" needs a comma-separated list without empty items/,
  },
  {
    name: 'state in "1,x"',
    json: { filters: [{ field: 'state', op: 'in', value: '1,x' }] },
    expect: /column state is integer/,
  },
  {
    name: 'ts > "yesterday; DROP"',
    json: { filters: [{ field: 'ts', op: '>', value: 'yesterday; DROP' }] },
    expect: /filter ts > "yesterday; DROP": column ts is timestamp with time zone/,
  },
  {
    name: 'state = "" ',
    json: { filters: [{ field: 'state', op: '=', value: '' }] },
    expect: /Filter 1: "=" needs a value/,
  },
  {
    name: 'numeric filter value 3 (JSON number)',
    json: { filters: [{ field: 'state', op: '!=', value: 3 }] },
    expect: 'ok',
  },
  {
    name: '51 filters',
    json: { filters: Array.from({ length: 51 }, () => ({ field: 'state', op: '!=', value: '9' })) },
    expect: /51 filters given; at most 50/,
  },
  // ---- bad ops ----
  {
    name: 'op DROP',
    json: { filters: [{ field: 'state', op: 'DROP', value: '1' }] },
    expect: /Filter 1: operator "DROP" is not allowed; use one of =, !=/,
  },
  {
    name: 'op ==',
    json: { filters: [{ field: 'state', op: '==', value: '1' }] },
    expect: /operator "==" is not allowed/,
  },
  {
    name: 'op "= 1 OR 1=1 --"',
    json: { filters: [{ field: 'state', op: '= 1 OR 1=1 --', value: '1' }] },
    expect: /operator "= 1 OR 1=1 --" is not allowed/,
  },
  { name: 'op ""', json: { filters: [{ field: 'state', op: '', value: '1' }] }, expect: /operator "" is not allowed/ },
  {
    name: 'op null',
    json: { filters: [{ field: 'state', op: null, value: '1' }] },
    expect: /operator null is not allowed/,
  },
  {
    name: 'op ilike',
    json: { filters: [{ field: 'ip', op: 'ilike', value: '%' }] },
    expect: /operator "ilike" is not allowed/,
  },
  { name: 'op < on json-less text is fine', json: { filters: [{ field: 'ip', op: '<', value: '5' }] }, expect: 'ok' },
  // ---- bucket spans ----
  { name: 'bucketSpan 0s', json: { bucketSpan: '0s' }, expect: /bucketSpan "0s" must be longer than zero/ },
  { name: 'bucketSpan -5m', json: { bucketSpan: '-5m' }, expect: /bucketSpan "-5m" is not a duration/ },
  {
    name: 'bucketSpan 1ms',
    json: { bucketSpan: '1ms' },
    expect: /bucketSpan "1ms" must be a whole number of seconds, at least 1s/,
  },
  {
    name: 'bucketSpan 1500ms',
    json: { bucketSpan: '1500ms' },
    expect: /bucketSpan "1500ms" must be a whole number of seconds/,
  },
  {
    name: 'bucketSpan abc',
    json: { bucketSpan: 'abc' },
    expect: /bucketSpan "abc" is not a duration; use a number and a unit such as 30s, 5m, 1h or 1d/,
  },
  {
    name: 'bucketSpan 999999999d',
    json: { bucketSpan: '999999999d' },
    expect: /bucketSpan "999999999d" is too long; use at most 365d/,
  },
  { name: 'bucketSpan 366d', json: { bucketSpan: '366d' }, expect: /bucketSpan "366d" is too long/ },
  { name: 'bucketSpan 365d is fine', json: { bucketSpan: '365d' }, expect: 'ok' },
  {
    name: 'bucketSpan 99999999999999999999999d',
    json: { bucketSpan: '99999999999999999999999d' },
    expect: /bucketSpan "99999999999999999999999d"/,
  },
  { name: 'bucketSpan 5 m', json: { bucketSpan: '5 m' }, expect: /bucketSpan "5 m" is not a duration/ },
  { name: 'bucketSpan 1.5m', json: { bucketSpan: '1.5m' }, expect: /bucketSpan "1.5m" is not a duration/ },
  {
    name: 'bucketSpan 5m; DROP',
    json: { bucketSpan: '5m; DROP TABLE weblogs' },
    expect: /bucketSpan "5m; DROP TABLE weblogs" is not a duration/,
  },
  // ---- ranges ----
  {
    name: 'ten years at 1s buckets',
    json: { bucketSpan: '1s' },
    range: TEN_YEARS,
    expect: /315,\d{3},\d{3} buckets of 1s; the limit is 1,000,000/,
  },
  {
    name: 'ten years at 5m buckets',
    json: { bucketSpan: '5m' },
    range: TEN_YEARS,
    expect: /buckets of 5m; the limit is 1,000,000/,
  },
  {
    name: 'from > to',
    json: {},
    range: { from: END.getTime(), to: END.getTime() - DAY },
    expect: /from 2026-11-20T00:00:00.000Z is after to 2026-11-19T00:00:00.000Z/,
  },
  {
    name: 'to beyond the Date range',
    json: {},
    range: { from: END.getTime() - DAY, to: 9e15 },
    expect: /time range: to is not a valid time/,
  },
  {
    name: 'from before the Date range',
    json: {},
    range: { from: -9e15, to: END.getTime() },
    expect: /time range: from is not a valid time/,
  },
  // ---- huge limits on every query type ----
  ...['records', 'groups', 'logs', 'annotations'].map(
    (queryType) =>
      ({
        name: `${queryType} limit 100001`,
        json: { queryType, limit: 100_001 },
        expect: /limit 100001 must be a whole number from 1 to 100000/,
      }) as Case,
  ),
  ...['records', 'groups', 'logs', 'annotations'].map(
    (queryType) =>
      ({
        name: `${queryType} limit 100000 minScore 100`,
        json: { queryType, limit: 100_000, minScore: 100 },
        expect: 'ok',
      }) as Case,
  ),
  // ---- names that are fine ----
  { name: 'quoted "state"', json: { byField: '"state"' }, expect: 'ok' },
  { name: 'upper-case STATE (folded)', json: { byField: 'STATE' }, expect: 'ok' },
  { name: 'table "public"."weblogs"', json: { table: '"public"."weblogs"' }, expect: 'ok' },
  { name: 'empty table → the datasource default', json: { table: '' }, expect: 'ok' },
  { name: 'empty overField → none', json: { overField: '' }, expect: 'ok' },
  ...nameCases(),
  ...nameCasesPerQueryType(),
  ...jobNameCases(),
  ...systemTableCases(),
  {
    name: 'a table in a schema the datasource does not allow',
    json: { table: 'other.events' },
    expect:
      /table "other\.events" is in schema other, which this datasource may not read; allowed schemas: public \(the log table's schema/,
  },
  {
    name: 'the results schema is no log table',
    json: { table: 'rarity.jobs' },
    expect: /table "rarity\.jobs" is in schema rarity, which this datasource may not read/,
  },
  {
    name: 'a quoted other schema',
    json: { table: '"other"."events"' },
    expect: /is in schema other, which this datasource may not read/,
  },
  {
    name: 'other.events once other is allowed',
    settings: { allowedSchemas: ['public', 'other'] },
    json: { table: 'other.events' },
    expect: 'ok',
  },
  {
    name: 'Allowed schemas listing pg_catalog',
    settings: { allowedSchemas: ['public', 'pg_catalog'] },
    json: {},
    expect: /Allowed schemas: pg_catalog is one of PostgreSQL's system schemas/,
  },
  {
    name: 'Allowed schemas not a list',
    settings: { allowedSchemas: { public: true } },
    json: {},
    expect: /Allowed schemas \(allowedSchemas\) must be a list of schema names, got \{"public":true\}/,
  },
  {
    name: 'Allowed schemas with a dotted name',
    settings: { allowedSchemas: ['public.weblogs'] },
    json: {},
    expect: /Allowed schemas: "public\.weblogs" is not a schema name \(it has a dot\)/,
  },
  ...resourceCases(),
  ...yearCases(),
  ...successRuleCases(),
  ...oddNameCases(),
  ...longValueCases(),
];

async function resourceCase(c: Case, r: NonNullable<Case['resource']>): Promise<void> {
  const messages = await client.callResource({
    pluginContext: pluginContext(ds(c.settings)),
    path: r.url.replace(/\?.*$/, ''),
    method: r.method ?? 'GET',
    url: r.url,
    headers: {},
  });
  expect(messages.length).toBeGreaterThanOrEqual(1);
  const text = Buffer.concat(messages.map((m) => Buffer.from(m.body ?? []))).toString('utf8');
  const body = JSON.parse(text) as unknown;
  expect(text).toMatch(NO_HASHES);
  if (c.expect === 'ok') {
    expect(messages[0].code, text.slice(0, 500)).toBe(200);
    expect(Array.isArray(body)).toBe(true);
    if (r.url === 'tables') {
      const schemas = new Set((body as Array<{ schema: string }>).map((t) => t.schema));
      expect([...schemas]).toEqual(['public']);
    }
    return;
  }
  // status 0: any 4xx (an invalid name is 400, a valid unknown one 404).
  if (r.status === 0) {
    expect(messages[0].code).toBeGreaterThanOrEqual(400);
    expect(messages[0].code).toBeLessThan(500);
  } else {
    expect(messages[0].code).toBe(r.status);
  }
  const message = (body as { message: string }).message;
  expect(message).toMatch(c.expect);
  expect(message).not.toMatch(LEAKS);
  expect(message.length).toBeLessThanOrEqual(2000);
}

// Messages that would reveal SQL being built from the input, or a crash instead of a validation.
const LEAKS =
  /syntax error|SQLSTATE|internal error|TypeError|Cannot read|is not a function|RangeError|Invalid (time value|Date)|\[object Object\]/;

describe(`${CASES.length} hostile queries, one process`, () => {
  it('has at least 400 cases with unique names', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(400);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  const range = () => ({ from: seed.from.getTime() + QUIET_DAYS * DAY, to: seed.to.getTime() });

  for (const c of CASES) {
    it(c.name, async () => {
      if (c.resource) {
        await resourceCase(c, c.resource);
        return;
      }
      const json = c.replace ? c.json : { ...BASE, ...c.json };
      const r = c.range ?? range();
      const res = await client.queryData({
        pluginContext: pluginContext(ds(c.settings)),
        queries: [dataQuery('A', json, { raw: c.raw, ...r, queryType: '' })],
      });
      expect(Object.keys(res.responses)).toEqual(['A']);
      const answer = res.responses.A;
      if (c.expect === 'ok') {
        expect(answer.error ?? '', 'no error expected').toBe('');
        expect(badTypes(decodeFrames(answer.frames))).toEqual([]);
        return;
      }
      expect(answer.error, 'an error is expected').toBeTruthy();
      expect(answer.error).toMatch(c.expect);
      expect(answer.error!.length, 'errors never echo input unbounded').toBeLessThanOrEqual(2000);
      expect(answer.error).not.toMatch(LEAKS);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.frames ?? []).toEqual([]);
    });
  }
});

describe('afterwards', () => {
  it('the table is intact: same row count, same columns', async () => {
    const n = Number((await pool.query('SELECT count(*) AS n FROM public.weblogs')).rows[0].n);
    expect(n).toBe(rowsBefore);
    const cols = await pool.query(
      `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'weblogs'`,
    );
    expect(cols.rows[0].n).toBe(8);
  });

  it('health still answers OK and the process is alive with Grafana-readable stderr', async () => {
    expect((await client.healthCheck('plugin')).status).toBe('SERVING');
    const health = await client.checkHealth({ pluginContext: pluginContext(ds()), headers: {} });
    expect(health.status, health.message).toBe('OK');
    expect(health.message).toContain(`${rowsBefore.toLocaleString('en').replace(/,/g, ' ')} rows`);
    expect(plugin.alive).toBe(true);
    expect(plugin.extraStdout).toBe('');
    expect(plugin.nonJsonStderr()).toEqual([]);
    // Each refused query was logged as a warning with its refId, not as a crash.
    expect(plugin.stderr.filter((l) => l.json?.['@level'] === 'error').map((l) => l.raw)).toEqual([]);
  });
});
