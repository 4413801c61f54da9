/**
 * server.ts in-process with scripted handlers, over real gRPC: the guarantees that do not depend on the
 * query layer (every refId answered, one failure isolated, frames encoded once, resources chunked).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import {
  dataError,
  type DataResponseOut,
  type DatasourceHandlers,
  type RequestContext,
} from '../../pkg-backend/src/query/contract.ts';
import { InstanceManager } from '../../pkg-backend/src/plugin/instances.ts';
import { createLogger } from '../../pkg-backend/src/plugin/logger.ts';
import { PluginMetrics } from '../../pkg-backend/src/plugin/metrics.ts';
import { RESOURCE_CHUNK_BYTES } from '../../pkg-backend/src/plugin/resourceService.ts';
import { startServer, type RunningServer } from '../../pkg-backend/src/plugin/server.ts';
import { connect, dataQuery, decodeFrames, pluginContext, type PluginClients } from './host.ts';

const seen: { ctx?: RequestContext } = {};
const logLines: string[] = [];

const handlers: DatasourceHandlers = {
  async queryData(ctx, queries) {
    seen.ctx = ctx;
    if (queries.some((q) => (q.json as { boom?: boolean }).boom)) {
      throw new Error('batch exploded');
    }
    const out = new Map<string, DataResponseOut>();
    for (const q of queries) {
      const model = q.json as { mode?: string };
      if (model.mode === 'skip') {
        continue;
      }
      if (model.mode === 'error') {
        out.set(q.refId, dataError('table missing', 400, 'downstream'));
      } else if (model.mode === 'badframe') {
        out.set(q.refId, {
          frames: [
            {
              fields: [
                { name: 'a', type: 'number', values: [1] },
                { name: 'b', type: 'number', values: [] },
              ],
            },
          ],
        });
      } else {
        out.set(q.refId, {
          frames: [
            {
              name: 'series',
              meta: { type: 'timeseries-multi', typeVersion: [0, 1] },
              fields: [
                { name: 'time', type: 'time', values: [q.timeRange.from, q.timeRange.to] },
                { name: 'score', type: 'number', values: [1, 2], labels: { by: q.refId } },
              ],
            },
          ],
        });
      }
    }
    return out;
  },
  async checkHealth(ctx) {
    return {
      status: 'OK',
      message: `hello ${ctx.instance.settings.jsonData.table ?? ''}`,
      details: { verboseMessage: 'all good' },
    };
  },
  async callResource(_ctx, req) {
    if (req.path === 'big') {
      return { status: 200, body: new Uint8Array(RESOURCE_CHUNK_BYTES * 2 + 10).fill(65) };
    }
    if (req.path === 'throw') {
      throw new Error('resource exploded');
    }
    if (req.path === 'text') {
      return { status: 201, body: 'plain' };
    }
    return {
      status: 200,
      headers: { 'X-Echo': [req.method] },
      body: { path: req.path, body: new TextDecoder().decode(req.body) },
    };
  },
};

let server: RunningServer;
let client: PluginClients;
let pools: number;

beforeAll(async () => {
  const logger = createLogger({ level: 'debug', sink: (l) => logLines.push(l) });
  pools = 0;
  const instances = new InstanceManager({
    logger,
    createPool: () => {
      pools += 1;
      return { on: () => undefined, end: async () => undefined } as unknown as pg.Pool;
    },
  });
  server = await startServer({
    handlers,
    instances,
    logger,
    metrics: new PluginMetrics(),
    onShutdownRequested: () => undefined,
  });
  client = connect(`127.0.0.1:${server.port}`);
});

afterAll(async () => {
  client?.close();
  await server?.stop(500);
});

const ds = { uid: 'fake', jsonData: { table: 'public.weblogs' } };

describe('QueryData', () => {
  it('encodes frames as Arrow files with the refId stamped', async () => {
    const res = await client.queryData({
      pluginContext: pluginContext(ds),
      queries: [dataQuery('A', { mode: 'ok' }, { from: 1_000, to: 2_000 })],
    });
    expect(res.responses.A.error ?? '').toBe('');
    const [table] = decodeFrames(res.responses.A.frames);
    expect(table.schema.metadata.get('refId')).toBe('A');
    expect(JSON.parse(table.schema.metadata.get('meta')!)).toEqual({ type: 'timeseries-multi', typeVersion: [0, 1] });
    expect(table.getChild('time')!.toArray()).toEqual(new BigInt64Array([1_000_000_000n, 2_000_000_000n]));
  });

  it('per-refId outcomes: error, missing answer, unencodable frame, invalid JSON, ok', async () => {
    const res = await client.queryData({
      pluginContext: pluginContext(ds),
      queries: [
        dataQuery('ok', { mode: 'ok' }),
        dataQuery('err', { mode: 'error' }),
        dataQuery('skip', { mode: 'skip' }),
        dataQuery('bad', { mode: 'badframe' }),
        dataQuery('json', null, { raw: 'nope' }),
      ],
    });
    const r = res.responses;
    expect(Object.keys(r).sort()).toEqual(['bad', 'err', 'json', 'ok', 'skip']);
    expect(r.ok.error ?? '').toBe('');
    expect(r.ok.frames).toHaveLength(1);
    expect(r.err).toMatchObject({ error: 'table missing', status: 400, errorSource: 'downstream' });
    expect(r.skip).toMatchObject({ status: 500, errorSource: 'plugin' });
    expect(r.skip.error).toMatch(/no response for refId skip/);
    expect(r.bad.error).toMatch(/field "b" has 0 values, expected 1/);
    expect(r.json).toMatchObject({ status: 400, errorSource: 'plugin' });
  });

  it('a handler exception for one query does not fail the others', async () => {
    const res = await client.queryData({
      pluginContext: pluginContext(ds),
      queries: [dataQuery('A', { mode: 'ok' }), dataQuery('B', { boom: true }), dataQuery('C', { mode: 'ok' })],
    });
    expect(res.responses.A.frames).toHaveLength(1);
    expect(res.responses.C.frames).toHaveLength(1);
    expect(res.responses.B).toMatchObject({ status: 500, errorSource: 'plugin' });
    expect(res.responses.B.error).toMatch(/batch exploded/);
  });

  it('passes the context: settings, user absent for alerts, FromAlert case-insensitive, time range', async () => {
    await client.queryData({
      pluginContext: pluginContext(ds, null),
      headers: { fromalert: 'true', 'X-Rule-Uid': 'r1' },
      queries: [dataQuery('A', { mode: 'ok' })],
    });
    const ctx = seen.ctx!;
    expect(ctx.fromAlert).toBe(true);
    expect(ctx.user).toBeUndefined();
    expect(ctx.instance.settings.uid).toBe('fake');
    expect(ctx.instance.settings.jsonData.table).toBe('public.weblogs');
    expect(ctx.orgId).toBe(1);
    expect(ctx.signal).toBeInstanceOf(AbortSignal);
    await client.queryData({
      pluginContext: pluginContext(ds),
      headers: { FromAlert: 'false' },
      queries: [dataQuery('A', { mode: 'ok' })],
    });
    expect(seen.ctx!.fromAlert).toBe(false);
    expect(seen.ctx!.user?.login).toBe('admin');
  });

  it('reuses the instance until lastUpdatedMS changes', async () => {
    const before = pools;
    await client.queryData({ pluginContext: pluginContext(ds), queries: [dataQuery('A', { mode: 'ok' })] });
    expect(pools).toBe(before);
    await client.queryData({
      pluginContext: pluginContext({ ...ds, lastUpdatedMS: 1_800_000_000_000 }),
      queries: [dataQuery('A', { mode: 'ok' })],
    });
    expect(pools).toBe(before + 1);
  });
});

describe('CheckHealth', () => {
  it('maps status, message and jsonDetails', async () => {
    const res = await client.checkHealth({ pluginContext: pluginContext(ds) });
    expect(res.status).toBe('OK');
    expect(res.message).toBe('hello public.weblogs');
    expect(JSON.parse(Buffer.from(res.jsonDetails!).toString())).toEqual({ verboseMessage: 'all good' });
  });
});

describe('CallResource', () => {
  it('JSON body, headers, request body', async () => {
    const msgs = await client.callResource({
      pluginContext: pluginContext(ds),
      path: 'echo',
      method: 'POST',
      body: Buffer.from('hi'),
    });
    expect(msgs).toHaveLength(1);
    expect(msgs[0].code).toBe(200);
    expect(msgs[0].headers!['X-Echo'].values).toEqual(['POST']);
    expect(msgs[0].headers!['Content-Type'].values).toEqual(['application/json']);
    expect(JSON.parse(Buffer.from(msgs[0].body!).toString())).toEqual({ path: 'echo', body: 'hi' });
  });

  it('a large body is chunked; the first message carries the status', async () => {
    const msgs = await client.callResource({ pluginContext: pluginContext(ds), path: 'big', method: 'GET' });
    expect(msgs).toHaveLength(3);
    expect(msgs[0].code).toBe(200);
    expect(msgs.reduce((n, m) => n + (m.body?.length ?? 0), 0)).toBe(RESOURCE_CHUNK_BYTES * 2 + 10);
  });

  it('a throwing handler becomes a 500 JSON message', async () => {
    const msgs = await client.callResource({ pluginContext: pluginContext(ds), path: 'throw', method: 'GET' });
    expect(msgs).toHaveLength(1);
    expect(msgs[0].code).toBe(500);
    expect(JSON.parse(Buffer.from(msgs[0].body!).toString()).message).toMatch(/resource exploded/);
  });

  it('strings are text/plain', async () => {
    const [m] = await client.callResource({ pluginContext: pluginContext(ds), path: 'text', method: 'GET' });
    expect(m.code).toBe(201);
    expect(m.headers!['Content-Type'].values[0]).toMatch(/^text\/plain/);
  });
});

describe('logging', () => {
  it('every log line is Grafana JSON without @timestamp', () => {
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(typeof parsed['@level']).toBe('string');
      expect(typeof parsed['@message']).toBe('string');
      expect(parsed).not.toHaveProperty('@timestamp');
    }
  });
});
