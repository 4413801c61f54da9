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
}, 180_000);

afterAll(() => backend?.close());

const ds = () => grafanaDatasource(databaseUrl);

interface Case {
  name: string;
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
];

// Messages that would reveal SQL being built from the input, or a crash instead of a validation.
const LEAKS =
  /syntax error|SQLSTATE|internal error|TypeError|Cannot read|is not a function|RangeError|Invalid (time value|Date)|\[object Object\]/;

describe(`${CASES.length} hostile queries, one process`, () => {
  it('has at least 100 cases with unique names', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  const range = () => ({ from: seed.from.getTime() + QUIET_DAYS * DAY, to: seed.to.getTime() });

  for (const c of CASES) {
    it(c.name, async () => {
      const json = c.replace ? c.json : { ...BASE, ...c.json };
      const r = c.range ?? range();
      const res = await client.queryData({
        pluginContext: pluginContext(ds()),
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
