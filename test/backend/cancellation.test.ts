/**
 * Issue #14, item 6: cancellation reaches PostgreSQL, against the built executable. The log table is a view
 * whose `slow_state` column sleeps per row while the sequence `knob` is at 1, so a pushdown statement runs for
 * minutes until the test says otherwise. A sequence is read outside MVCC, so setting it lets a running
 * statement finish at once; the function is declared STABLE so that the view is flattened and queries that do
 * not read `slow_state` (the table's bounds) stay fast. What the plugin runs is read from pg_stat_activity
 * (its application_name is "rarity").
 *
 * - A dashboard query shares its run with identical queries: one caller cancelling leaves the others served,
 *   and the last one cancelling cancels the statement on the server.
 * - A query sent after a cancelled one starts afresh, never inheriting the cancellation.
 * - Stopping the plugin (SIGTERM) cancels what it was running in PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PbDataResponse } from '../../pkg-backend/src/plugin/protocol.ts';
import type pg from 'pg';
import { dataQuery, pluginContext, type PluginClients, type PluginProcess } from './host.ts';
import { grafanaDatasource } from './e2e.ts';
import { startPrivateBackend, type PrivateBackend } from './privateBackend.ts';

const DB = 'rarity_backend_cancel';
const START = Date.parse('2026-11-10T00:00:00Z');
const DAYS = 10;
/** One row every 10 s: the first chunk (64 five-minute buckets) alone sleeps 1 920 × 20 ms ≈ 38 s. */
const ROW_SECONDS = 10;
const SLEEP_SECONDS = 0.02;

let backend: PrivateBackend;
let url: string;
let pool: pg.Pool;
let plugin: PluginProcess;
let client: PluginClients;

beforeAll(async () => {
  backend = await startPrivateBackend(
    DB,
    `
    CREATE SEQUENCE knob;
    SELECT setval('knob', 1);
    CREATE FUNCTION slowly(v int) RETURNS text LANGUAGE plpgsql STABLE AS $$
    BEGIN
      IF (SELECT last_value FROM knob) = 1 THEN PERFORM pg_sleep(${SLEEP_SECONDS}); END IF;
      RETURN v::text;
    END $$;
    CREATE TABLE base (id bigint PRIMARY KEY, ts timestamptz NOT NULL, state int NOT NULL);
    INSERT INTO base SELECT g, to_timestamp(${START / 1000} + g * ${ROW_SECONDS}), g % 5
      FROM generate_series(1, ${(DAYS * 86400) / ROW_SECONDS}) g;
    CREATE INDEX ON base (ts);
    ANALYZE base;
    CREATE VIEW slowlogs AS SELECT id, ts, state, slowly(state) AS slow_state FROM base;
  `,
  );
  ({ url, pool, plugin, client } = backend);
}, 180_000);

afterAll(() => backend?.close());

const ds = () => grafanaDatasource(url, { table: 'public.slowlogs' }, { uid: 'cancel', name: 'Cancel' });

function request(json: Record<string, unknown>, headers: Record<string, string> = {}) {
  return {
    pluginContext: pluginContext(ds()),
    headers,
    queries: [
      dataQuery(
        'A',
        { refId: 'A', queryType: 'scores', bucketSpan: '5m', ...json },
        {
          from: START,
          to: START + DAYS * 86_400_000,
          queryType: 'scores',
        },
      ),
    ],
  };
}

async function setSlow(slow: boolean): Promise<void> {
  await pool.query(`SELECT setval('knob', $1)`, [slow ? 1 : 2]);
}

/** The plugin's statements running in this database right now. */
async function running(): Promise<Array<{ pid: number; query: string }>> {
  const res = await pool.query<{ pid: number; query: string }>(
    `SELECT pid, query FROM pg_stat_activity
      WHERE datname = $1 AND application_name = 'rarity' AND state = 'active' AND pid <> pg_backend_pid()`,
    [DB],
  );
  return res.rows;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for the pushdown (the aggregate, or a FETCH of its cursor) to be running on the server. */
function pushdownRunning(): Promise<Array<{ pid: number; query: string }>> {
  return until('the pushdown statement', async () => {
    const all = await running();
    const rows = all.filter((r) => /rarity_chunk|GROUP BY/i.test(r.query));
    return rows.length > 0 ? rows : undefined;
  });
}

/** Waits until the plugin runs nothing in this database. */
function nothingRunning(timeoutMs = 60_000): Promise<true> {
  return until('the plugin to run nothing', async () => ((await running()).length === 0 ? true : undefined), timeoutMs);
}

function grpcCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

describe('cancelling a dashboard query', () => {
  it('goes on for the callers still waiting when one of them cancels', async () => {
    await setSlow(true);
    const q = request({ function: 'rare', byField: 'slow_state' });
    const first = client.queryDataCall(q);
    const second = client.queryDataCall(q);
    const firstError = first.response.then(
      () => undefined,
      (e: unknown) => e,
    );
    const [statement] = await pushdownRunning();
    first.cancel();
    // CANCELLED (1) on the caller's side.
    expect(grpcCode(await firstError)).toBe(1);
    // The other caller still waits on the same run: its statement is still there.
    expect((await running()).map((r) => r.pid)).toContain(statement.pid);
    await setSlow(false);
    const answer: PbDataResponse = (await second.response).responses.A;
    expect(answer.error ?? '').toBe('');
    expect(answer.frames?.length).toBeGreaterThan(0);
    await nothingRunning();
  }, 240_000);

  it('cancels the statement on the server, and the next identical query runs afresh', async () => {
    await setSlow(true);
    // Another detector: the previous test's result is still cached for a few seconds.
    const q = request({ function: 'rare', byField: 'slow_state', bucketSpan: '10m' });
    const only = client.queryDataCall(q);
    const error = only.response.then(
      () => undefined,
      (e: unknown) => e,
    );
    await pushdownRunning();
    only.cancel();
    expect(grpcCode(await error)).toBe(1);
    // Each chunk's statement would sleep for tens of seconds more: gone means cancelled.
    await nothingRunning(20_000);
    await setSlow(false);
    const again = (await client.queryData(q)).responses.A;
    expect(again.error ?? '').toBe('');
    expect(again.frames?.length).toBeGreaterThan(0);
    expect(plugin.alive).toBe(true);
    await nothingRunning();
  }, 240_000);
});

describe('stopping the plugin', () => {
  it('cancels its running statements in PostgreSQL', async () => {
    await setSlow(true);
    const q = request({ function: 'rare', byField: 'slow_state', bucketSpan: '15m' }, { 'X-Cache-Skip': 'true' });
    const call = client.queryDataCall(q);
    call.response.catch(() => undefined);
    const statements = await pushdownRunning();
    plugin.child.kill('SIGTERM');
    const exit = await plugin.waitForExit(5_000);
    expect(exit.code).toBe(0);
    await nothingRunning(20_000);
    // The server side really ended them: their sessions are gone, or idle.
    const still = await pool.query(`SELECT pid FROM pg_stat_activity WHERE pid = ANY($1) AND state = 'active'`, [
      statements.map((s) => s.pid),
    ]);
    expect(still.rows).toEqual([]);
    await setSlow(false);
  }, 240_000);
});
