/**
 * Issue #14, item 1: PostgreSQL killed outright (postmaster SIGKILLed) while the REAL built executable is
 * streaming a long pushdown over a plain-text connection. The shipped (bun) build used to spin at 100 % CPU
 * from then on, answering nothing and ignoring SIGTERM: the server's sockets closed without an error message,
 * pg emitted 'error' on checked-out clients nobody listened to, and that throw escaped through bun's socket
 * close handling. Here the query must answer with an error naming the unreachable database, the plugin must
 * keep answering, recover once PostgreSQL is back, and still leave within Grafana's 2 s after SIGTERM.
 * A PostgreSQL of our own (persistent data folder, fixed port), never the one other test files share.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import { DAY, grafanaDatasource, readFrames } from './e2e.ts';

const END = new Date('2026-11-20T00:00:00Z');
/** Enough rows that the pushdown (several chunks, one prefetched) is still running when the server dies. */
const BIG_ROWS = 3_000_000;

let plugin: PluginProcess;
let client: PluginClients;
let dataDir: string;
let port: number;
let handle: EmbeddedHandle | undefined;
let url: string;
let seed: SeedResult;

beforeAll(async () => {
  ensureBuiltExecutable();
  dataDir = mkdtempSync(join(tmpdir(), 'rarity-kill-pg-'));
  port = await freePort();
  handle = await startEmbeddedPostgres({ dataDir, port, persistent: true, database: 'killed' });
  url = handle.url;
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    seed = await seedDemo(pool, { days: 4, rowsPerDay: 500, end: END });
    // 30 000 distinct values, one row a second: a pushdown of many chunks over tens of thousands of buckets.
    await pool.query(
      `CREATE TABLE public.big AS SELECT g AS id, timestamptz '2026-01-01' + g * interval '1 second' AS ts,
         (g % 30000)::text AS v, (g % 2)::int AS state FROM generate_series(1, ${BIG_ROWS}) g`,
    );
    await pool.query('ANALYZE public.big');
  } finally {
    await pool.end();
  }
  plugin = await startPlugin();
  client = connect(plugin.address);
}, 240_000);

afterAll(async () => {
  client?.close();
  await plugin?.dispose();
  await handle?.stop().catch(() => undefined);
  if (dataDir) {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const bigDs = () => grafanaDatasource(url, { table: 'public.big' }, { uid: 'rarity-kill-big' });
const smallDs = () => grafanaDatasource(url, {}, { uid: 'rarity-kill-small' });

function scores(ds: ReturnType<typeof grafanaDatasource>, byField: string, range: { from: number; to: number }) {
  return client.queryData({
    pluginContext: pluginContext(ds),
    headers: { 'X-Cache-Skip': 'true' },
    queries: [dataQuery('A', { refId: 'A', queryType: 'scores', function: 'rare', byField, bucketSpan: '5m' }, range)],
  });
}

/** Waits until the plugin's pushdown aggregate is running on the server (seen in pg_stat_activity). */
async function pushdownRunning(): Promise<void> {
  const check = new pg.Client({ connectionString: url });
  await check.connect();
  try {
    for (;;) {
      const r = await check.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE application_name = 'rarity' AND state = 'active' AND query LIKE '%GROUP BY date_bin%'`,
      );
      if (r.rows[0].n > 0) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await check.end();
  }
}

describe('PostgreSQL killed during a long pushdown (built executable, no TLS)', () => {
  it('the running query answers a downstream error naming the unreachable database', async () => {
    const pending = scores(bigDs(), 'v', { from: Date.parse('2026-01-01T00:00:00Z'), to: Date.parse('2026-03-01') });
    await pushdownRunning();
    const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGKILL');
    await handle!.stop();
    handle = undefined;
    const r = (await pending).responses.A;
    expect(r.error).toMatch(new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}`));
    expect(r.error).toMatch(/Check Host URL/);
    expect(r.status).toBeGreaterThanOrEqual(500);
    expect(r.status).toBeLessThan(600);
    expect(r.errorSource).toBe('downstream');
  }, 120_000);

  it('the plugin keeps answering while the database is gone: health, CheckHealth ERROR', async () => {
    expect((await client.healthCheck('plugin')).status).toBe('SERVING');
    const health = await client.checkHealth({ pluginContext: pluginContext(bigDs()), headers: {} });
    expect(health.status).toBe('ERROR');
    expect(health.message).toMatch(new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}`));
    expect(plugin.alive).toBe(true);
  });

  it('recovers once PostgreSQL is back: the same datasource is healthy, a detection answers', async () => {
    handle = await startEmbeddedPostgres({ dataDir, port, persistent: true, database: 'killed' });
    let status = '';
    // The pool may still hold a client of the dead server; the retry gets a fresh one.
    for (let i = 0; i < 10 && status !== 'OK'; i++) {
      status = (await client.checkHealth({ pluginContext: pluginContext(bigDs()), headers: {} })).status;
    }
    expect(status).toBe('OK');
    const r = (await scores(smallDs(), 'state', { from: seed.from.getTime() + 3 * DAY, to: seed.to.getTime() }))
      .responses.A;
    expect(r.error ?? '').toBe('');
    expect(readFrames(r.frames)[0].table.numRows).toBeGreaterThan(200);
  }, 60_000);

  it('SIGTERM still ends the process within Grafana’s 2 s grace, logging only JSON', async () => {
    plugin.child.kill('SIGTERM');
    const exit = await plugin.waitForExit(2000);
    expect(exit.code).toBe(0);
    expect(plugin.extraStdout).toBe('');
    expect(plugin.nonJsonStderr()).toEqual([]);
  });
});
