/**
 * Issue #4, end to end: every query type against the REAL built executable over real gRPC, on the seeded
 * demo (public.weblogs with injected anomalies), decoded with apache-arrow the way Grafana decodes frames,
 * and checked against the injected ground truth and plain SQL on the same table. Includes alert-rule
 * evaluations simulated as Grafana's server-side expressions (Reduce max → Threshold > 75) would do them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { QUIET_DAYS, type InjectedAnomaly, type SeedResult } from '../../pkg-backend/src/demo/seed.ts';
import { dataQuery, pluginContext, decodeFrames, type PluginClients, type PluginProcess } from './host.ts';
import { DAY, badTypes, evaluateAlert, grafanaDatasource, readFrames, type DecodedFrame } from './e2e.ts';
import { startDemoBackend, type DemoBackend } from './demoBackend.ts';
import type { PbDataResponse } from '../../pkg-backend/src/plugin/protocol.ts';

const DB = 'rarity_backend_q';
const END = new Date('2026-11-20T00:00:00Z');

let pool: pg.Pool;
let seed: SeedResult;
let plugin: PluginProcess;
let client: PluginClients;
let databaseUrl: string;
let newState: InjectedAnomaly;
/** Results window: after the learning days up to the end of the data. */
let from: number;
let to: number;

let backend: DemoBackend;

beforeAll(async () => {
  backend = await startDemoBackend(DB, { days: 10, rowsPerDay: 6000, end: END });
  ({ pool, seed, plugin, client, url: databaseUrl } = backend);
  newState = seed.injected.find((a) => a.kind === 'new_state')!;
  from = seed.from.getTime() + QUIET_DAYS * DAY;
  to = seed.to.getTime();
  // The ground truth lies inside the results window (not in the learning days, not past the end).
  for (const a of seed.injected) {
    expect(Date.parse(a.start)).toBeGreaterThanOrEqual(from);
    expect(Date.parse(a.end)).toBeLessThanOrEqual(to);
  }
}, 180_000);

afterAll(() => backend?.close());

const ds = () => grafanaDatasource(databaseUrl);

async function run(
  json: Record<string, unknown>,
  options: { from?: number; to?: number; headers?: Record<string, string>; user?: boolean; refId?: string } = {},
): Promise<PbDataResponse> {
  const refId = options.refId ?? 'A';
  const res = await client.queryData({
    pluginContext: pluginContext(ds(), options.user === false ? null : undefined),
    headers: options.headers ?? {},
    queries: [
      dataQuery(
        refId,
        { refId, ...json },
        { from: options.from ?? from, to: options.to ?? to, queryType: String(json.queryType ?? '') },
      ),
    ],
  });
  expect(Object.keys(res.responses)).toEqual([refId]);
  return res.responses[refId];
}

async function frames(json: Record<string, unknown>, options: Parameters<typeof run>[1] = {}): Promise<DecodedFrame[]> {
  const r = await run(json, options);
  expect(r.error ?? '', `unexpected error for ${JSON.stringify(json)}`).toBe('');
  expect([0, 200]).toContain(r.status ?? 0);
  expect(badTypes(decodeFrames(r.frames))).toEqual([]);
  return readFrames(r.frames);
}

const RARE_STATE = { function: 'rare', byField: 'state', bucketSpan: '5m' };

async function sqlIdsOfState(state: number): Promise<{ min: bigint; max: bigint; count: number }> {
  const r = await pool.query(
    `SELECT min(id)::text AS min, max(id)::text AS max, count(*)::int AS count FROM public.weblogs WHERE state = $1`,
    [state],
  );
  return { min: BigInt(r.rows[0].min), max: BigInt(r.rows[0].max), count: r.rows[0].count };
}

describe('every query type: Grafana-decodable frames', () => {
  for (const queryType of ['scores', 'records', 'groups', 'logs', 'annotations']) {
    it(`${queryType}: only Utf8/Float64/Int64/Bool/TimestampNanosecond/Binary, name and refId in the schema metadata`, async () => {
      const decoded = await frames(
        { queryType, ...RARE_STATE, minScore: queryType === 'scores' ? 0 : 25 },
        { refId: `R_${queryType}` },
      );
      expect(decoded.length).toBeGreaterThan(0);
      for (const f of decoded) {
        expect(f.name, 'frame name').toBeTruthy();
        expect(f.refId).toBe(`R_${queryType}`);
        // Every column has the same length (Arrow would refuse otherwise, but check what Grafana reads).
        for (const field of f.fields) {
          expect(field.values.length).toBe(f.table.numRows);
        }
      }
      // A result with data: the injected anomalies are in range, so no type returns an empty table.
      expect(decoded.some((f) => f.table.numRows > 0)).toBe(true);
    });
  }
});

describe('scores', () => {
  let decoded: DecodedFrame[];
  beforeAll(async () => {
    decoded = await frames({ queryType: 'scores', ...RARE_STATE });
  });

  it('is timeseries-multi [0,1]: one frame per series, one time field + one Float64 field with labels', () => {
    expect(decoded[0].meta?.type).toBe('timeseries-multi');
    expect(decoded[0].meta?.typeVersion).toEqual([0, 1]);
    for (const f of decoded) {
      expect(f.meta?.type).toBe('timeseries-multi');
      expect(f.fields.map((x) => x.type)).toEqual(['Timestamp<NANOSECOND>', 'Float64']);
      expect(f.fields[1].labels && Object.keys(f.fields[1].labels).length).toBeGreaterThan(0);
      const times = f.fields[0].values as number[];
      for (let i = 1; i < times.length; i++) {
        expect(times[i]).toBeGreaterThan(times[i - 1]);
      }
      for (const v of f.fields[1].values as number[]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(100);
      }
    }
  });

  it('label sets are unique across the response; the bucket series is {score="bucket"} and covers the range', () => {
    const keys = decoded.map((f) => JSON.stringify(f.fields[1].labels));
    expect(new Set(keys).size).toBe(keys.length);
    const bucket = decoded.find((f) => f.fields[1].labels?.score === 'bucket')!;
    expect(bucket).toBeDefined();
    // 5-minute buckets over the results window, no more, no fewer.
    expect(bucket.table.numRows).toBe((to - from) / 300_000);
    expect(bucket.fields[0].values[0]).toBe(from);
    expect((bucket.fields[0].values as number[]).at(-1)).toBe(to - 300_000);
  });

  it('field config names the series and carries the Kibana severity thresholds', () => {
    for (const f of decoded) {
      const config = f.fields[1].config as {
        displayNameFromDS?: string;
        thresholds?: { steps: Array<{ value: number | null; color: string }> };
        min?: number;
        max?: number;
      };
      expect(config.displayNameFromDS).toBeTruthy();
      expect(config.min).toBe(0);
      expect(config.max).toBe(100);
      const steps = config.thresholds!.steps;
      expect(steps.map((s) => s.value)).toEqual([null, 3, 25, 50, 75]);
      expect(steps.find((s) => s.value === 75)!.color).toBe('#fe5050');
      expect(steps.find((s) => s.value === 50)!.color).toBe('#fba740');
      expect(steps.find((s) => s.value === 25)!.color).toBe('#fdec25');
      expect(steps.find((s) => s.value === 3)!.color).toBe('#8bc8fb');
    }
  });

  it('the injected state 7 has its own series, scoring ≥ 50 inside the injected window', () => {
    const seven = decoded.find((f) => f.fields[1].labels?.by === newState.entity);
    expect(
      seven,
      `series for by=${newState.entity}; have ${decoded.map((f) => JSON.stringify(f.fields[1].labels)).join(' ')}`,
    ).toBeDefined();
    expect((seven!.fields[1].config as { displayNameFromDS: string }).displayNameFromDS).toBe('7');
    const points = (seven!.fields[0].values as number[]).map(
      (t, i) => [t, seven!.fields[1].values[i] as number] as const,
    );
    const inWindow = points.filter(([t]) => t + 300_000 > Date.parse(newState.start) && t < Date.parse(newState.end));
    expect(Math.max(...inWindow.map(([, v]) => v))).toBeGreaterThanOrEqual(50);
    // Nothing scored for state 7 outside its window: it never occurs elsewhere.
    expect(points.filter(([t]) => t + 300_000 <= Date.parse(newState.start) || t >= Date.parse(newState.end))).toEqual(
      [],
    );
    // The bucket score peaks there too.
    const bucket = decoded.find((f) => f.fields[1].labels?.score === 'bucket')!;
    const bt = bucket.fields[0].values as number[];
    const bv = bucket.fields[1].values as number[];
    const peak = bt[bv.indexOf(Math.max(...bv))];
    expect(peak + 300_000 > Date.parse(newState.start) || Math.max(...bv) === 0).toBe(true);
  });

  it('minScore drops entity series below it, never the bucket series', async () => {
    const all = decoded.filter((f) => f.fields[1].labels?.by !== undefined);
    const max = (f: DecodedFrame) => Math.max(...(f.fields[1].values as number[]));
    const threshold = 50;
    const strong = await frames({ queryType: 'scores', ...RARE_STATE, minScore: threshold });
    expect(strong.filter((f) => f.fields[1].labels?.score === 'bucket')).toHaveLength(1);
    const expected = all
      .filter((f) => max(f) >= threshold)
      .map((f) => f.fields[1].labels!.by)
      .sort();
    expect(
      strong
        .filter((f) => f.fields[1].labels?.by !== undefined)
        .map((f) => f.fields[1].labels!.by)
        .sort(),
    ).toEqual(expected);
    expect(expected).toContain('7');
  });
});

describe('groups, records, logs, annotations against the ground truth', () => {
  let groups: Array<Record<string, unknown>>;
  beforeAll(async () => {
    const [f] = await frames({ queryType: 'groups', ...RARE_STATE, minScore: 50 });
    expect(f.name).toBe('groups');
    groups = f.rows();
  });

  it('groups: entity 7 overlaps the injected window with maxScore ≥ 50; Starting/Ending At = min/max id of the state-7 rows', async () => {
    const seven = groups.filter((g) => g.entity === newState.entity);
    expect(seven).toHaveLength(1);
    const g = seven[0] as {
      groupId: string;
      start: number;
      end: number;
      startingAt: bigint;
      endingAt: bigint;
      maxScore: number;
      requests: number;
      successful: number;
      unsuccessful: number;
      severity: string;
    };
    expect(g.start).toBeLessThan(Date.parse(newState.end));
    expect(g.end).toBeGreaterThan(Date.parse(newState.start));
    expect(g.maxScore).toBeGreaterThanOrEqual(50);
    const sql = await sqlIdsOfState(7);
    expect(sql.count).toBe(newState.requests);
    expect(g.startingAt).toBe(sql.min);
    expect(g.endingAt).toBe(sql.max);
    expect(g.requests).toBe(sql.count);
    // state 7 is not state 1: none of them is successful under the datasource's success rule.
    expect(g.successful).toBe(0);
    expect(g.unsuccessful).toBe(sql.count);
    expect(g.severity).toBe(g.maxScore >= 75 ? 'critical' : 'major');
    expect(g.groupId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('groups: typed columns and display names', async () => {
    const [f] = await frames({ queryType: 'groups', ...RARE_STATE, minScore: 50 });
    const types = Object.fromEntries(f.fields.map((x) => [x.name, x.type]));
    expect(types).toMatchObject({
      groupId: 'Utf8',
      entity: 'Utf8',
      start: 'Timestamp<NANOSECOND>',
      end: 'Timestamp<NANOSECOND>',
      startingAt: 'Int64',
      endingAt: 'Int64',
      maxScore: 'Float64',
      open: 'Bool',
    });
    expect(f.field('startingAt').config?.displayNameFromDS).toBe('Starting At');
    expect(f.field('endingAt').config?.displayNameFromDS).toBe('Ending At');
    expect(f.field('entity').config?.displayNameFromDS).toBe('Entity (state)');
  });

  it('groups: every group row agrees with SQL (requests and successes inside its id/time window)', async () => {
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups as Array<{
      entity: string;
      start: number;
      end: number;
      startingAt: bigint;
      endingAt: bigint;
      requests: number;
      successful: number;
    }>) {
      const r = await pool.query(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE state = 1)::int AS ok, min(id)::text AS lo, max(id)::text AS hi
           FROM public.weblogs WHERE state::text = $1 AND ts >= $2 AND ts < $3`,
        [g.entity, new Date(g.start), new Date(g.end)],
      );
      expect(r.rows[0].n).toBe(g.requests);
      expect(r.rows[0].ok).toBe(g.successful);
      expect(BigInt(r.rows[0].lo)).toBe(g.startingAt);
      expect(BigInt(r.rows[0].hi)).toBe(g.endingAt);
    }
  });

  it('records: the state-7 records lie in the injected window and carry the group id', async () => {
    const [f] = await frames({ queryType: 'records', ...RARE_STATE, minScore: 25 });
    const rows = f.rows() as Array<{
      time: number;
      by: string;
      score: number;
      groupId: string | null;
      severity: string;
      count: number;
    }>;
    const seven = rows.filter((r) => r.by === '7');
    expect(seven.length).toBeGreaterThan(0);
    const group = groups.find((g) => g.entity === '7')!;
    for (const r of seven) {
      expect(r.time + 300_000).toBeGreaterThan(Date.parse(newState.start));
      expect(r.time).toBeLessThan(Date.parse(newState.end));
      expect(r.score).toBeGreaterThanOrEqual(25);
    }
    expect(seven.filter((r) => r.score >= 50).every((r) => r.groupId === group.groupId)).toBe(true);
    expect(seven.reduce((s, r) => s + r.count, 0)).toBe(newState.requests);
    expect(f.field('over').type).toBe('Utf8');
  });

  it('logs (minScore 50): exactly the rows of the groups, each labelled with groupId / startingAt / endingAt', async () => {
    const decoded = await frames({ queryType: 'logs', ...RARE_STATE, minScore: 50 });
    expect(decoded).toHaveLength(1);
    const f = decoded[0];
    expect(f.meta?.type).toBe('log-lines');
    expect(f.meta?.preferredVisualisationType).toBe('logs');
    expect(f.fields.map((x) => [x.name, x.type])).toEqual([
      ['timestamp', 'Timestamp<NANOSECOND>'],
      ['body', 'Utf8'],
      ['severity', 'Utf8'],
      ['id', 'Utf8'],
      ['labels', 'Binary'],
    ]);
    const expected = new Map<string, { groupId: string; startingAt: string; endingAt: string }>();
    for (const g of groups as Array<{
      groupId: string;
      entity: string;
      start: number;
      end: number;
      startingAt: bigint;
      endingAt: bigint;
    }>) {
      const r = await pool.query(
        `SELECT id::text FROM public.weblogs WHERE state::text = $1 AND id BETWEEN $2 AND $3 AND ts >= $4 AND ts < $5`,
        [g.entity, g.startingAt.toString(), g.endingAt.toString(), new Date(g.start), new Date(g.end)],
      );
      for (const row of r.rows) {
        expected.set(row.id, {
          groupId: g.groupId,
          startingAt: g.startingAt.toString(),
          endingAt: g.endingAt.toString(),
        });
      }
    }
    const ids = f.field('id').values as string[];
    expect([...ids].sort()).toEqual([...expected.keys()].sort());
    const rows = f.rows() as Array<{
      timestamp: number;
      id: string;
      labels: Record<string, string>;
      severity: string;
      body: string;
    }>;
    const times = await pool.query(`SELECT id::text, ts, state FROM public.weblogs WHERE id = ANY($1::bigint[])`, [
      ids,
    ]);
    const byId = new Map(times.rows.map((r) => [r.id as string, r as { ts: Date; state: number }]));
    for (const row of rows) {
      expect(row.labels).toMatchObject(expected.get(row.id)!);
      expect(row.timestamp).toBe(byId.get(row.id)!.ts.getTime());
      expect(row.labels.state).toBe(String(byId.get(row.id)!.state));
      expect(row.body).toContain(`state=${byId.get(row.id)!.state}`);
      expect(['critical', 'error']).toContain(row.severity);
    }
  });

  it('logs (minScore 0): the newest rows of the range, ordinary rows without group labels', async () => {
    const [f] = await frames({ queryType: 'logs', ...RARE_STATE, limit: 50 });
    const rows = f.rows() as Array<{ id: string; labels: Record<string, string>; timestamp: number }>;
    expect(rows).toHaveLength(50);
    const r = await pool.query(
      `SELECT id::text FROM public.weblogs WHERE ts >= $1 AND ts < $2 ORDER BY ts DESC, id DESC LIMIT 50`,
      [new Date(from), new Date(to)],
    );
    expect(rows.map((x) => x.id)).toEqual(r.rows.map((x) => x.id));
    expect(rows.every((x) => x.labels.groupId === undefined)).toBe(true);
  });

  it('annotations: regions with time < timeEnd, severity tags and the group in the text', async () => {
    const [f] = await frames({ queryType: 'annotations', ...RARE_STATE, minScore: 50 });
    const rows = f.rows() as Array<{
      time: number;
      timeEnd: number;
      text: string;
      tags: string[];
      score: number;
      id: string;
    }>;
    expect(rows.length).toBe(groups.length);
    for (const a of rows) {
      expect(a.time).toBeLessThan(a.timeEnd);
      expect(a.tags).toContain(`severity:${a.score >= 75 ? 'critical' : 'major'}`);
      expect(a.text).toContain(a.id);
    }
    const seven = rows.find((a) => a.tags.includes('state:7'))!;
    expect(seven).toBeDefined();
    expect(seven.time).toBeLessThan(Date.parse(newState.end));
    expect(seven.timeEnd).toBeGreaterThan(Date.parse(newState.start));
    expect(f.field('time').type).toBe('Timestamp<NANOSECOND>');
    expect(f.field('timeEnd').type).toBe('Timestamp<NANOSECOND>');
    expect(f.field('text').type).toBe('Utf8');
  });
});

// ---- Alerting: what Grafana's server-side expressions would do with the scores frames ----

describe('alert rule evaluation (FromAlert, no user, intervalMS 1000, maxDataPoints 43200)', () => {
  const ALERT_QUERY = { queryType: 'scores', function: 'rare', byField: 'state', bucketSpan: '1m' };

  async function alertFrames(
    headers: Record<string, string>,
    range: { from: number; to: number },
  ): Promise<DecodedFrame[]> {
    const res = await client.queryData({
      pluginContext: pluginContext(ds(), null),
      headers,
      // dataQuery sends intervalMS 1000 and maxDataPoints 43200, Grafana's alerting defaults.
      queries: [dataQuery('A', { refId: 'A', ...ALERT_QUERY }, { ...range, queryType: 'scores' })],
    });
    const r = res.responses.A;
    expect(r.error ?? '').toBe('');
    expect(badTypes(decodeFrames(r.frames))).toEqual([]);
    return readFrames(r.frames);
  }

  const injected = () => ({
    from: Date.parse(newState.start) - 2 * 3_600_000,
    to: Date.parse(newState.end) + 2 * 3_600_000,
  });
  const quiet = () => ({
    from: seed.from.getTime() + QUIET_DAYS * DAY,
    to: seed.from.getTime() + (QUIET_DAYS + 1) * DAY,
  });

  const alertHeaders: Array<Record<string, string>> = [
    { FromAlert: 'true', 'X-Cache-Skip': 'true', 'X-Rule-Uid': 'rule-1', 'X-Grafana-Org-Id': '1' },
    { fromalert: 'TRUE' },
  ];
  for (const headers of alertHeaders) {
    it(`the injected entity's series fires; nothing else does (headers ${JSON.stringify(headers)})`, async () => {
      const decoded = await alertFrames(headers, injected());
      expect(decoded[0].meta?.type).toBe('timeseries-multi');
      expect(decoded[0].meta?.typeVersion).toEqual([0, 1]);
      const result = evaluateAlert(decoded, 75);
      expect(result.get(JSON.stringify({ by: '7' }))?.firing, JSON.stringify([...result])).toBe(true);
      // Only the injected state (and possibly the bucket score at the same moment) fires.
      const firing = [...result].filter(([, v]) => v.firing).map(([k]) => k);
      expect(firing.every((k) => k === JSON.stringify({ by: '7' }) || k === JSON.stringify({ score: 'bucket' }))).toBe(
        true,
      );
    });
  }

  it('a quiet range does not fire: the bucket series stays below the threshold', async () => {
    const decoded = await alertFrames({ FromAlert: 'true' }, quiet());
    const result = evaluateAlert(decoded, 75);
    const bucket = result.get(JSON.stringify({ score: 'bucket' }));
    expect(bucket).toBeDefined();
    expect(bucket!.firing).toBe(false);
    expect([...result.values()].filter((v) => v.firing)).toEqual([]);
  });
});

describe('one request, many refIds', () => {
  it('every refId is answered when good and bad queries are mixed', async () => {
    const q = (refId: string, json: unknown, raw?: string) => dataQuery(refId, json, { from, to, raw });
    const res = await client.queryData({
      pluginContext: pluginContext(ds()),
      queries: [
        q('good1', { refId: 'good1', queryType: 'groups', ...RARE_STATE, minScore: 50 }),
        q('badjson', null, '{"refId":'),
        q('badfield', { refId: 'badfield', queryType: 'scores', function: 'rare', byField: 'nope' }),
        q('badfn', { refId: 'badfn', queryType: 'scores', function: 'mean', byField: 'state' }),
        q('good2', { refId: 'good2', queryType: 'scores', function: 'freq_rare', byField: 'state', overField: 'ip' }),
        q('badspan', { refId: 'badspan', queryType: 'scores', function: 'rare', byField: 'state', bucketSpan: 'soon' }),
      ],
    });
    expect(Object.keys(res.responses).sort()).toEqual(['badfield', 'badfn', 'badjson', 'badspan', 'good1', 'good2']);
    for (const good of ['good1', 'good2']) {
      expect(res.responses[good].error ?? '').toBe('');
      expect(readFrames(res.responses[good].frames).every((f) => f.refId === good)).toBe(true);
    }
    expect(res.responses.badjson.error).toMatch(/query JSON is invalid/);
    expect(res.responses.badfield.error).toMatch(/column "nope" does not exist/);
    expect(res.responses.badfn.error).toMatch(/function "mean" is not known/);
    expect(res.responses.badspan.error).toMatch(/bucketSpan "soon"/);
    for (const bad of ['badjson', 'badfield', 'badfn', 'badspan']) {
      expect(res.responses[bad].status).toBe(400);
    }
    const g = readFrames(res.responses.good1.frames)[0].rows();
    expect(g.some((x) => x.entity === '7')).toBe(true);
  });
});

describe('result cache', () => {
  it('X-Cache-Skip: true gets fresh data; without it a dashboard may get the shared result for a few seconds', async () => {
    // A separate, empty stretch after the seeded data, so the other tests' ranges are not touched.
    const t0 = to + DAY;
    const range = { from: t0, to: t0 + 3_600_000 };
    const json = { queryType: 'records', function: 'rare', byField: 'state', bucketSpan: '5m', minScore: 0 };
    const count = async (headers: Record<string, string>) => {
      const r = await run(json, { ...range, headers });
      expect(r.error ?? '').toBe('');
      const stats = readFrames(r.frames)[0].meta?.stats as Array<{ displayName: string; value: number }>;
      return stats.find((s) => s.displayName === 'Requests in range')!.value;
    };
    expect(await count({})).toBe(0);
    await pool.query(
      `INSERT INTO public.weblogs (ts, ip, key, product, state, machine_code, country) VALUES ($1, '1.2.3.0', 'K', 1, 1, 'm', 'US')`,
      [new Date(t0 + 60_000)],
    );
    try {
      expect(await count({})).toBe(0); // cached (10 s)
      expect(await count({ 'X-Cache-Skip': 'true' })).toBe(1);
      expect(await count({ 'http_X-Cache-Skip': 'true' })).toBe(1);
    } finally {
      await pool.query(`DELETE FROM public.weblogs WHERE ts >= $1`, [new Date(t0)]);
    }
  });

  it('the process is still alive and logged only Grafana-readable JSON', () => {
    expect(plugin.alive).toBe(true);
    expect(plugin.extraStdout).toBe('');
    expect(plugin.nonJsonStderr()).toEqual([]);
  });
});
