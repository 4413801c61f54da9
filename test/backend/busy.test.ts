/**
 * Issue 14, item 3: many distinct detectors at once (alert rules evaluated together) against the built
 * executable. Each detection holds several pooled connections, so they queue per datasource; past the bounded
 * line a query is refused at once as busy. Nobody is told to check the Host URL for what is only too much
 * work, and health still answers. The overflow is made real by holding an ACCESS EXCLUSIVE lock on the log
 * table, so the running detections cannot finish while the rest arrive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { DETECTION_QUEUE_LENGTH } from '../../common/limits.ts';
import type { PbDataResponse } from '../../pkg-backend/src/plugin/protocol.ts';
import { dataQuery, pluginContext, type PluginClients, type PluginProcess } from './host.ts';
import { grafanaDatasource } from './e2e.ts';
import { startDemoBackend, type DemoBackend } from './demoBackend.ts';

const DB = 'rarity_backend_busy';
const END = new Date('2026-11-20T00:00:00Z');

let backend: DemoBackend;
let pool: pg.Pool;
let plugin: PluginProcess;
let client: PluginClients;

beforeAll(async () => {
  backend = await startDemoBackend(DB, { days: 4, rowsPerDay: 1000, end: END });
  ({ pool, plugin, client } = backend);
}, 180_000);

afterAll(() => backend?.close());

const BUSY =
  /^Rarity is busy: (\d+) detections? (?:is|are) running and (\d+) waiting for datasource "Busy \d"; retry in a few seconds/;
const CONNECTION = /cannot connect|Check Host URL|timeout exceeded when trying to connect/i;

/** Detector k of a datasource: its own filter makes each a distinct detection (no shared cache entry). */
function detector(ds: ReturnType<typeof grafanaDatasource>, k: number): Promise<PbDataResponse> {
  const json = {
    refId: 'A',
    queryType: 'scores',
    function: 'rare',
    byField: 'state',
    bucketSpan: '5m',
    filters: [{ field: 'id', op: '>', value: String(k) }],
  };
  return client
    .queryData({
      pluginContext: pluginContext(ds),
      // Alert evaluations skip the result cache, as these do.
      headers: { FromAlert: 'true', 'X-Cache-Skip': 'true' },
      queries: [dataQuery('A', json, { from: backend.from, to: backend.to, queryType: 'scores' })],
    })
    .then((res) => res.responses.A);
}

function datasource(n: number) {
  return grafanaDatasource(backend.url, {}, { uid: `busy-${n}`, name: `Busy ${n}` });
}

describe('50 distinct detectors at once', () => {
  it('each is answered or refused as busy, none with a connection error, and health still answers', async () => {
    const ds = datasource(1);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, k) => detector(ds, k)));
    const errors = answers.filter((a) => a.error).map((a) => a.error ?? '');
    expect(errors.filter((e) => CONNECTION.test(e))).toEqual([]);
    expect(errors.filter((e) => !BUSY.test(e))).toEqual([]);
    for (const a of answers.filter((x) => x.error)) {
      expect(a.status).toBe(503);
      expect(a.errorSource).toBe('plugin');
    }
    expect(answers.filter((a) => !a.error).length).toBeGreaterThan(0);
    const health = await client.checkHealth({ pluginContext: pluginContext(ds), headers: {} });
    expect(health.status, health.message).toBe('OK');
  }, 300_000);
});

describe('past the line', () => {
  it('refuses the overflow at once as busy, naming how many run and wait; the queued ones then succeed', async () => {
    const ds = datasource(2);
    const total = 80;
    const locker = await pool.connect();
    let settled: PbDataResponse[] = [];
    let refusedWhileLocked = 0;
    let running = 0;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE public.weblogs IN ACCESS EXCLUSIVE MODE');
      const early: PbDataResponse[] = [];
      let overflowSeen: () => void = () => undefined;
      const overflow = new Promise<void>((resolve) => (overflowSeen = resolve));
      const all = Array.from({ length: total }, (_, k) =>
        detector(ds, k).then((answer) => {
          early.push(answer);
          const match = BUSY.exec(answer.error ?? '');
          if (match) {
            running = Number(match[1]);
            // Nothing can finish while the table is locked: every answer so far is a refusal.
            if (early.length === total - running - DETECTION_QUEUE_LENGTH) {
              overflowSeen();
            }
          }
          return answer;
        }),
      );
      await Promise.race([overflow, Promise.all(all)]);
      expect(early.length).toBeGreaterThan(0);
      for (const answer of early) {
        expect(answer.error).toMatch(BUSY);
        expect(answer.error).toContain(`running and ${DETECTION_QUEUE_LENGTH} waiting`);
        expect(answer.status).toBe(503);
      }
      expect(running).toBeGreaterThanOrEqual(1);
      expect(early.length).toBe(total - running - DETECTION_QUEUE_LENGTH);
      refusedWhileLocked = early.length;
      await locker.query('COMMIT');
      settled = await Promise.all(all);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
    }
    const errors = settled.map((a) => a.error ?? '').filter((e) => e !== '');
    expect(errors.filter((e) => CONNECTION.test(e))).toEqual([]);
    // The running and queued ones ran once the lock was gone; only the overflow was refused.
    expect(errors.length).toBe(refusedWhileLocked);
    expect(settled.filter((a) => !a.error).length).toBe(running + DETECTION_QUEUE_LENGTH);
    expect(plugin.alive).toBe(true);
    const health = await client.checkHealth({ pluginContext: pluginContext(ds), headers: {} });
    expect(health.status, health.message).toBe('OK');
  }, 300_000);
});
