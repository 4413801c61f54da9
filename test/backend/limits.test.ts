/**
 * Issue 14, item 5: limits per refId against the built executable. A result over the datasource's
 * maxResponseMb fails only its own refId, with an error naming the limit and how to narrow the query; a request
 * with more than MAX_QUERIES_PER_REQUEST refIds is refused per refId; input is never echoed unbounded, neither
 * in the errors nor in the log lines Grafana reads from stderr.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ECHO_CHARS, MAX_QUERIES_PER_REQUEST } from '../../common/limits.ts';
import type { PbQueryDataResponse } from '../../pkg-backend/src/plugin/protocol.ts';
import { dataQuery, pluginContext, type PluginClients, type PluginProcess } from './host.ts';
import { grafanaDatasource, readFrames } from './e2e.ts';
import { startDemoBackend, type DemoBackend } from './demoBackend.ts';

const DB = 'rarity_backend_limits';
const END = new Date('2026-11-20T00:00:00Z');

let backend: DemoBackend;
let plugin: PluginProcess;
let client: PluginClients;

beforeAll(async () => {
  backend = await startDemoBackend(DB, { days: 5, rowsPerDay: 2000, end: END });
  ({ plugin, client } = backend);
}, 180_000);

afterAll(() => backend?.close());

let uid = 0;
const ds = (jsonData: Record<string, unknown> = {}) =>
  grafanaDatasource(backend.url, jsonData, { uid: `limits-${++uid}` });

/** About 1.2 MB of frames on this data: every log line of every group of rare by ip. */
const BIG = { queryType: 'logs', function: 'rare', byField: 'ip', bucketSpan: '5m', minScore: 0, limit: 100_000 };
const SMALL = { queryType: 'groups', function: 'rare', byField: 'state', bucketSpan: '5m' };

async function request(
  datasource: ReturnType<typeof ds>,
  queries: Array<{ refId: string; json?: Record<string, unknown>; raw?: string }>,
): Promise<PbQueryDataResponse> {
  return client.queryData({
    pluginContext: pluginContext(datasource),
    headers: {},
    queries: queries.map((q) =>
      dataQuery(
        q.refId,
        { refId: q.refId, ...q.json },
        { raw: q.raw, from: backend.from, to: backend.to, queryType: String(q.json?.queryType ?? '') },
      ),
    ),
  });
}

const frameBytes = (frames: readonly Uint8Array[] | undefined) => (frames ?? []).reduce((n, f) => n + f.byteLength, 0);

describe('response size per refId', () => {
  it('a result over maxResponseMb fails its own refId, naming the limit; the others are answered', async () => {
    const unlimited = await request(ds(), [{ refId: 'A', json: BIG }]);
    expect(unlimited.responses.A.error ?? '').toBe('');
    expect(frameBytes(unlimited.responses.A.frames)).toBeGreaterThan(1024 * 1024);

    const res = await request(ds({ maxResponseMb: 1 }), [
      { refId: 'A', json: BIG },
      { refId: 'B', json: { ...BIG, bucketSpan: '10m' } },
      { refId: 'C', json: BIG },
      { refId: 'D', json: SMALL },
    ]);
    for (const refId of ['A', 'B', 'C']) {
      const r = res.responses[refId];
      expect(r.error).toMatch(
        new RegExp(
          `^the result of query ${refId} is \\d+\\.\\d MB of frames, over the limit of 1\\.0 MB per query \\(the datasource's maxResponseMb\\): narrow the time range, add filters, raise minScore or lower limit$`,
        ),
      );
      expect(r.status).toBe(413);
      expect(r.errorSource).toBe('plugin');
      expect(r.frames ?? []).toEqual([]);
    }
    expect(res.responses.D.error ?? '').toBe('');
    expect(res.responses.D.frames?.length).toBeGreaterThan(0);
  });

  it('a narrowed query fits the same limit', async () => {
    const res = await request(ds({ maxResponseMb: 1 }), [{ refId: 'A', json: { ...BIG, limit: 100 } }]);
    expect(res.responses.A.error ?? '').toBe('');
  });

  it.each([0, 49, 1.5, '16', -1])('refuses maxResponseMb %j, naming the setting', async (mb) => {
    const res = await request(ds({ maxResponseMb: mb }), [{ refId: 'A', json: SMALL }]);
    expect(res.responses.A.error).toMatch(
      new RegExp(
        `^Max response size \\(maxResponseMb\\) ${JSON.stringify(mb)} must be a whole number of MB from 1 to 48`,
      ),
    );
    expect(res.responses.A.status).toBe(400);
  });
});

describe('the whole response', () => {
  it('results that each fit but not together: the one that would overflow the gRPC message fails alone', async () => {
    // The logs of BIG with about 16 MB of messages, which encode to more than 32 MB of frames (measured: about
    // twice the messages), so two of them cannot share one 64 MiB message.
    const first = readFrames((await request(ds(), [{ refId: 'A', json: BIG }])).responses.A.frames);
    const ids = first[0].field('id').values.map(String);
    expect(ids.length).toBeGreaterThan(100);
    const chunks = Math.ceil((16 * 1024 * 1024) / ids.length / 32);
    await backend.pool.query(
      `CREATE TABLE public.bigmsg AS
         SELECT w.*, CASE WHEN w.id = ANY($1::bigint[])
                     THEN (SELECT string_agg(md5(random()::text || w.id || g), '') FROM generate_series(1, $2::int) g)
                     ELSE '' END AS message
           FROM public.weblogs w`,
      [ids, chunks],
    );
    const big = ds({ table: 'public.bigmsg', messageColumn: 'message', maxResponseMb: 48 });
    const res = await request(big, [
      { refId: 'A', json: BIG },
      { refId: 'B', json: BIG },
      { refId: 'C', json: SMALL },
    ]);
    expect(res.responses.A.error ?? '').toBe('');
    expect(frameBytes(res.responses.A.frames)).toBeGreaterThan(32 * 1024 * 1024);
    expect(res.responses.B.error).toMatch(
      /^the result of query B \(\d+\.\d MB\) does not fit in this response: the queries before it already use most of the 64\.0 MB one response may carry; run it in a panel of its own/,
    );
    expect(res.responses.B.status).toBe(413);
    expect(res.responses.C.error ?? '').toBe('');
    expect(plugin.alive).toBe(true);
  }, 300_000);
});

describe('refIds per request', () => {
  it(`answers ${MAX_QUERIES_PER_REQUEST} refIds, each on its own`, async () => {
    const queries = Array.from({ length: MAX_QUERIES_PER_REQUEST }, (_, i) => ({
      refId: `Q${i}`,
      json: { ...SMALL, bucketSpan: `${i}x` },
    }));
    const res = await request(ds(), queries);
    expect(Object.keys(res.responses)).toHaveLength(MAX_QUERIES_PER_REQUEST);
    expect(res.responses.Q7.error).toMatch(/bucketSpan "7x" is not a duration/);
  });

  it.each([MAX_QUERIES_PER_REQUEST + 1, 5000])('refuses every refId of a request with %i', async (n) => {
    const queries = Array.from({ length: n }, (_, i) => ({ refId: `Q${i}`, json: SMALL }));
    const res = await request(ds(), queries);
    const answers = Object.values(res.responses);
    expect(answers).toHaveLength(n);
    const expected = `this request carries ${n.toLocaleString('en')} queries; at most ${MAX_QUERIES_PER_REQUEST} are answered per request: split them over several panels or requests`;
    for (const a of answers) {
      expect(a.error).toBe(expected);
      expect(a.status).toBe(400);
      expect(a.frames ?? []).toEqual([]);
    }
  });
});

describe('echoed input is cut', () => {
  const TEN_MB = 10_000_000;
  const stderrChars = () => plugin.stderr.reduce((n, l) => n + l.raw.length, 0);

  it.each([
    ['byField', { ...SMALL, byField: 'x'.repeat(TEN_MB) }],
    ['overField', { ...SMALL, overField: 'y'.repeat(TEN_MB) }],
    ['table', { ...SMALL, table: 'z'.repeat(TEN_MB) }],
    ['bucketSpan', { ...SMALL, bucketSpan: '9'.repeat(TEN_MB) }],
    ['queryType', { ...SMALL, queryType: 'q'.repeat(TEN_MB) }],
    ['function', { ...SMALL, function: 'f'.repeat(TEN_MB) }],
    ['a filter field', { ...SMALL, filters: [{ field: 'g'.repeat(TEN_MB), op: '=', value: '1' }] }],
    ['a filter operator', { ...SMALL, filters: [{ field: 'state', op: '='.repeat(TEN_MB), value: '1' }] }],
    [
      'a filter value on an integer column',
      { ...SMALL, filters: [{ field: 'state', op: '=', value: '7'.repeat(TEN_MB) }] },
    ],
    ['a quoted byField', { ...SMALL, byField: `"${'Q'.repeat(TEN_MB)}"` }],
  ])('a 10 MB %s comes back as a short error and a short log line', async (_what, json) => {
    const before = stderrChars();
    const res = await request(ds(), [{ refId: 'A', json }]);
    const error = res.responses.A.error ?? '';
    expect(error).not.toBe('');
    expect(error.length).toBeLessThanOrEqual(2000);
    expect(error).toMatch(/… \(10,000,0\d\d characters\)/);
    expect(res.responses.A.status).toBe(400);
    expect(stderrChars() - before).toBeLessThan(20 * MAX_ECHO_CHARS * 10);
  });

  it('10 MB of JSON that does not parse: a short error', async () => {
    const before = stderrChars();
    const res = await request(ds(), [{ refId: 'A', raw: `{"byField": "${'x'.repeat(TEN_MB)}` }]);
    expect(res.responses.A.error).toMatch(/^query JSON is invalid: /);
    expect(res.responses.A.error!.length).toBeLessThanOrEqual(2000);
    expect(stderrChars() - before).toBeLessThan(20 * MAX_ECHO_CHARS * 10);
  });

  it('the process is alive and its stderr is Grafana-readable JSON', async () => {
    expect(plugin.alive).toBe(true);
    expect(plugin.nonJsonStderr()).toEqual([]);
    expect(Math.max(...plugin.stderr.map((l) => l.raw.length))).toBeLessThan(20_000);
  });
});
