/**
 * Issue #14, item 2, against the built executable: a detection whose engine work is long (rare by a column of
 * 30 000 distinct values over 30 days) on a datasource with a 1 s statement timeout. Each chunk's aggregate
 * takes PostgreSQL a fraction of that, while scoring a chunk takes the engine longer; only PostgreSQL's time
 * may count against the timeout, so the detection must succeed. Meanwhile health checks and a small query are
 * answered: the engine gives the event loop a turn every few milliseconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { dataQuery, pluginContext, type PluginClients, type PluginProcess } from './host.ts';
import { grafanaDatasource } from './e2e.ts';
import { startPrivateBackend, type PrivateBackend } from './privateBackend.ts';

const DB = 'rarity_backend_responsive';
const START = Date.parse('2026-10-01T00:00:00Z');
const DAYS = 30;
const ROW_SECONDS = 5;
const DISTINCT = 30_000;

let backend: PrivateBackend;
let url: string;
let pool: pg.Pool;
let plugin: PluginProcess;
let client: PluginClients;

beforeAll(async () => {
  backend = await startPrivateBackend(
    DB,
    `
    CREATE TABLE wide (id bigint PRIMARY KEY, ts timestamptz NOT NULL, v text NOT NULL, state int NOT NULL);
    INSERT INTO wide SELECT g, to_timestamp(${START / 1000} + g * ${ROW_SECONDS}),
        'v' || ((g::bigint * 7919) % ${DISTINCT}), g % 2
      FROM generate_series(1, ${(DAYS * 86400) / ROW_SECONDS}) g;
    CREATE INDEX ON wide (ts);
    ANALYZE wide;
  `,
  );
  ({ url, pool, plugin, client } = backend);
}, 180_000);

afterAll(() => backend?.close());

const ds = () =>
  grafanaDatasource(url, { table: 'public.wide', queryTimeoutSeconds: 1 }, { uid: 'responsive', name: 'Responsive' });

function query(json: Record<string, unknown>, range: { from: number; to: number }) {
  return client
    .queryData({
      pluginContext: pluginContext(ds()),
      headers: { 'X-Cache-Skip': 'true' },
      queries: [
        dataQuery(
          'A',
          { refId: 'A', queryType: 'scores', bucketSpan: '5m', ...json },
          { ...range, queryType: 'scores' },
        ),
      ],
    })
    .then((res) => res.responses.A);
}

describe('a long detection', () => {
  it('is not failed by the statement timeout for the engine’s time, and health and small queries answer meanwhile', async () => {
    const whole = { from: START, to: START + DAYS * 86_400_000 };
    let done = false;
    const detection = query({ function: 'rare', byField: 'v' }, whole).finally(() => {
      done = true;
    });
    let healthy = 0;
    const statuses = new Set<string>();
    let small: Awaited<ReturnType<typeof query>> | undefined;
    while (!done) {
      const health = await client.checkHealth({ pluginContext: pluginContext(ds()), headers: {} });
      statuses.add(health.status);
      if (!done) {
        healthy += 1;
      }
      if (!small && !done) {
        // One day of another detector, answered while the long one still runs.
        small = await query({ function: 'rare', byField: 'state' }, { from: START, to: START + 86_400_000 });
      }
    }
    const answer = await detection;
    expect(answer.error ?? '').toBe('');
    expect(answer.frames?.length).toBeGreaterThan(0);
    expect([...statuses]).toEqual(['OK']);
    expect(healthy).toBeGreaterThanOrEqual(3);
    expect(small?.error ?? '').toBe('');
  }, 300_000);
});
