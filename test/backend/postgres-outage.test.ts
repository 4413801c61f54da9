/**
 * Issue #4: the database going away and coming back, and a database that is too slow — against the REAL
 * built executable. A second embedded PostgreSQL of our own (persistent data folder, fixed port) is stopped
 * and restarted under a running plugin: queries answer a downstream error naming host:port while it is
 * down, CheckHealth says ERROR, the process survives, and the pool recovers once it is back. A datasource
 * with queryTimeoutSeconds = 1 against a view that sleeps gets a timeout error naming the limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { seedDemo, type SeedResult } from '../../pkg-backend/src/demo/seed.ts';
import { freePort, startEmbeddedPostgres, type EmbeddedHandle } from '../../pkg-backend/src/store/index.ts';
import {
  connect,
  dataQuery,
  ensureBuiltExecutable,
  pluginContext,
  startPlugin,
  type PluginClients,
  type PluginProcess,
} from './host.ts';
import { DAY, createDatabase, dropDatabase, grafanaDatasource, readFrames } from './e2e.ts';
import type { PbDataResponse } from '../../pkg-backend/src/plugin/protocol.ts';

const END = new Date('2026-11-20T00:00:00Z');
const SLOW_DB = 'rarity_backend_slow';

let plugin: PluginProcess;
let client: PluginClients;

beforeAll(async () => {
  ensureBuiltExecutable();
  plugin = await startPlugin();
  client = connect(plugin.address);
}, 180_000);

afterAll(async () => {
  client?.close();
  await plugin?.dispose();
});

const SCORES = { refId: 'A', queryType: 'scores', function: 'rare', byField: 'state', bucketSpan: '5m' };

async function query(
  ds: ReturnType<typeof grafanaDatasource>,
  range: { from: number; to: number },
): Promise<PbDataResponse> {
  const res = await client.queryData({
    pluginContext: pluginContext(ds),
    // Fresh detection every time: the short result cache must not hide the outage.
    headers: { 'X-Cache-Skip': 'true' },
    queries: [dataQuery('A', SCORES, { ...range, queryType: 'scores' })],
  });
  expect(Object.keys(res.responses)).toEqual(['A']);
  return res.responses.A;
}

describe('PostgreSQL stops and starts again under a running plugin', () => {
  let dataDir: string;
  let port: number;
  let handle: EmbeddedHandle | undefined;
  let url: string;
  let seed: SeedResult;
  let ds: ReturnType<typeof grafanaDatasource>;
  const range = () => ({ from: seed.from.getTime() + 3 * DAY, to: seed.to.getTime() });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rarity-outage-pg-'));
    port = await freePort();
    handle = await startEmbeddedPostgres({ dataDir, port, persistent: true, database: 'outage' });
    url = handle.url;
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      seed = await seedDemo(pool, { days: 4, rowsPerDay: 1000, end: END });
    } finally {
      await pool.end();
    }
    ds = grafanaDatasource(url, {}, { uid: 'rarity-outage' });
  }, 180_000);

  afterAll(async () => {
    await handle?.stop().catch(() => undefined);
    if (dataDir) {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('answers while the database is up', async () => {
    const r = await query(ds, range());
    expect(r.error ?? '').toBe('');
    expect(readFrames(r.frames)[0].fields[1].labels).toEqual({ score: 'bucket' });
    const health = await client.checkHealth({ pluginContext: pluginContext(ds), headers: {} });
    expect(health.status, health.message).toBe('OK');
  });

  it('database down: a 5xx downstream error naming host:port and the failed connection; health ERROR; process alive', async () => {
    await handle!.stop();
    handle = undefined;
    // Twice: the first may meet a pooled connection the server just closed, the second has to connect.
    for (let i = 0; i < 2; i++) {
      const r = await query(ds, range());
      expect(r.error).toMatch(new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}`));
      expect(r.error).toMatch(/ECONNREFUSED|Connection terminated|terminating connection/i);
      expect(r.error).toMatch(/Check Host URL/);
      expect(r.status).toBeGreaterThanOrEqual(500);
      expect(r.status).toBeLessThan(600);
      expect(r.errorSource).toBe('downstream');
      expect(r.frames ?? []).toEqual([]);
    }
    const health = await client.checkHealth({ pluginContext: pluginContext(ds), headers: {} });
    expect(health.status).toBe('ERROR');
    expect(health.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}`));
    expect(health.message).toMatch(/cannot connect/);
    // Resources fail the same way, with a status instead of a dropped stream.
    const res = await client.callResource({
      pluginContext: pluginContext(ds),
      path: 'tables',
      method: 'GET',
      url: 'tables',
    });
    expect(res[0].code).toBeGreaterThanOrEqual(500);
    expect(Buffer.concat(res.map((m) => Buffer.from(m.body ?? []))).toString()).toMatch(/cannot connect to PostgreSQL/);
    expect(plugin.alive).toBe(true);
    expect((await client.healthCheck('plugin')).status).toBe('SERVING');
  });

  it('database back: the same datasource (same pool) answers again', async () => {
    handle = await startEmbeddedPostgres({ dataDir, port, persistent: true, database: 'outage' });
    let r: PbDataResponse | undefined;
    // The server accepts connections once start() resolved; allow a few retries for the pool's backoff.
    for (let i = 0; i < 10; i++) {
      r = await query(ds, range());
      if (!r.error) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(r!.error ?? '').toBe('');
    const frames = readFrames(r!.frames);
    // One point per 5-minute bucket of the range, empty ones scored 0 (Elastic writes every bucket), and the
    // buckets holding data carry their scores.
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    const buckets = await check
      .query(
        `SELECT count(DISTINCT date_bin('5 minutes', ts, 'epoch'))::int AS n FROM public.weblogs WHERE ts >= $1 AND ts < $2`,
        [new Date(range().from), new Date(range().to)],
      )
      .finally(() => check.end());
    const { from, to } = range();
    const spanMs = 300_000;
    expect(frames[0].table.numRows).toBe(Math.ceil(to / spanMs) - Math.floor(from / spanMs));
    expect(frames[0].table.numRows).toBeGreaterThanOrEqual(buckets.rows[0].n);
    expect(frames[0].table.numRows).toBeGreaterThan(200);
    const health = await client.checkHealth({ pluginContext: pluginContext(ds), headers: {} });
    expect(health.status, health.message).toBe('OK');
    expect(health.message).toContain(`${seed.rows.toLocaleString('en').replace(/,/g, ' ')} rows`);
  });

  it('the plugin never exited and logged only Grafana-readable JSON through the outage', () => {
    expect(plugin.alive).toBe(true);
    expect(plugin.extraStdout).toBe('');
    expect(plugin.nonJsonStderr()).toEqual([]);
  });
});

describe('a statement slower than the datasource query timeout', () => {
  let url: string;
  let pool: pg.Pool;
  let seed: SeedResult;

  beforeAll(async () => {
    url = await createDatabase(SLOW_DB);
    pool = new pg.Pool({ connectionString: url, max: 1 });
    seed = await seedDemo(pool, { days: 4, rowsPerDay: 500, end: END });
    // A view that takes 3 s whatever is asked of it (the sleep runs once per statement).
    await pool.query(
      `CREATE VIEW public.slowlogs AS SELECT w.* FROM public.weblogs w CROSS JOIN (SELECT pg_sleep(3)) AS s(x)`,
    );
  }, 120_000);

  afterAll(async () => {
    await pool?.end();
    await dropDatabase(SLOW_DB).catch(() => undefined);
  });

  const slowDs = (seconds: number | undefined, uid: string) =>
    grafanaDatasource(
      url,
      { table: 'public.slowlogs', ...(seconds === undefined ? {} : { queryTimeoutSeconds: seconds }) },
      { uid },
    );

  it('queryTimeoutSeconds: 1 → a 504 downstream timeout naming the 1000 ms limit', async () => {
    const r = await query(slowDs(1, 'rarity-slow'), { from: seed.from.getTime() + 3 * DAY, to: seed.to.getTime() });
    expect(r.error).toMatch(/exceeded the statement timeout of 1000 ms/);
    expect(r.error).toMatch(/slowlogs/);
    expect(r.error).toMatch(/raise the query timeout/);
    expect(r.status).toBe(504);
    expect(r.errorSource).toBe('downstream');
  });

  it('CheckHealth on the slow table says ERROR with the same limit', async () => {
    const health = await client.checkHealth({ pluginContext: pluginContext(slowDs(1, 'rarity-slow')), headers: {} });
    expect(health.status).toBe('ERROR');
    expect(health.message).toMatch(/statement timeout of 1000 ms/);
  });

  it('the same view with the default timeout (30 s) answers', async () => {
    const r = await query(slowDs(undefined, 'rarity-slow-default'), {
      from: seed.from.getTime() + 3 * DAY,
      to: seed.to.getTime(),
    });
    expect(r.error ?? '').toBe('');
    expect(readFrames(r.frames).length).toBeGreaterThan(0);
  });

  it('the process is still alive', () => {
    expect(plugin.alive).toBe(true);
    expect(plugin.nonJsonStderr()).toEqual([]);
  });
});
