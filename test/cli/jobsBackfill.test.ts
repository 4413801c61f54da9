/**
 * `rarity jobs backfill` as a real process, killed with SIGKILL at several points of a long backfill (tiny
 * chunks through RARITY_JOB_CHUNK_BUCKETS) and started again: progress never goes backwards, every run
 * resumes where the last committed chunk ended, and the finished job holds exactly what an uninterrupted
 * advance gives, without duplicate rows.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createPool, openStateStore, type StateStore } from '../../pkg-backend/src/store/index.ts';
import { prepareDetection } from '../../pkg-backend/src/query/detection.ts';
import { advanceJob } from '../../pkg-backend/src/query/jobs/advance.ts';
import { detectorRequest } from '../../pkg-backend/src/query/request.ts';
import { createDatabase } from '../setup/databases.ts';
import { ROOT, rarity } from './helpers.ts';

const HOUR = 3_600_000;
const END = Math.floor(Date.now() / HOUR) * HOUR;
const T0 = END - 48 * HOUR;
let url: string;
let pool: pg.Pool;

const detector = { function: 'rare', byField: 'state', bucketSpan: '10m' } as const;
const source = { table: 'public.logs', timeColumn: 'ts', idColumn: 'id' };
const backfillArgs = () => [
  'jobs',
  'backfill',
  '--database-url',
  url,
  '--table',
  'public.logs',
  '--function',
  'rare',
  '--by',
  'state',
  '--bucket-span',
  '10m',
  '--state-schema',
  'crash',
];
const env = { RARITY_JOB_CHUNK_BUCKETS: '2' };

/** Runs a backfill and SIGKILLs it once it has reported `chunks` committed chunks. */
function killAfter(chunks: number): Promise<{ killed: boolean; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve(ROOT, 'bin', 'rarity.mjs'), ...backfillArgs()], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!killed && (stderr.match(/ %, up to /g) ?? []).length >= chunks) {
        killed = child.kill('SIGKILL');
      }
    });
    child.on('error', fail);
    child.on('close', () => done({ killed, stderr }));
  });
}

/** A killed client's session (and its advisory lock) ends once the server notices the closed socket. */
async function cliSessionsGone(): Promise<void> {
  for (;;) {
    const res = await pool.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'rarity-cli'`,
    );
    if (res.rows[0].n === 0) {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stateOf(schema: string): Promise<StateStore> {
  const opened = await openStateStore(pool, { schema });
  if (opened.status !== 'ready') {
    throw new Error(opened.reason);
  }
  return opened.store;
}

beforeAll(async () => {
  url = await createDatabase('rarity_jobs_crash');
  pool = createPool({ connectionString: url, max: 6 });
  await pool.query('CREATE TABLE logs (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, ip text, state int)');
  await pool.query(
    `INSERT INTO logs (ts, ip, state)
     SELECT to_timestamp($1::float8 / 1000) + g * interval '1 minute', '10.0.0.' || (g % 7),
            CASE WHEN g % 997 = 500 THEN 9 WHEN g % 53 = 0 THEN 2 WHEN g % 211 = 7 THEN 5 ELSE 1 END
       FROM generate_series(0, 48 * 60 - 1) g`,
    [T0],
  );
});
afterAll(() => pool.end());

describe('rarity jobs backfill under SIGKILL', () => {
  it('resumes after every kill and ends with the results of an uninterrupted run', { timeout: 120_000 }, async () => {
    const prepared = await prepareDetection(pool, detectorRequest(detector, source));
    const crash = await stateOf('crash');
    let last = -Infinity;
    for (const chunks of [3, 17, 40]) {
      const run = await killAfter(chunks);
      expect(run.killed).toBe(true);
      await cliSessionsGone();
      const job = await crash.getJob(prepared.key);
      expect(job?.processedUntil).not.toBeNull();
      expect(job!.processedUntil!).toBeGreaterThanOrEqual(last);
      last = job!.processedUntil!;
      expect(job!.status).toBe('backfilling');
    }
    const finish = await rarity(backfillArgs(), env);
    expect(finish.code).toBe(0);
    const summary = JSON.parse(finish.stdout);
    expect(summary).toMatchObject({ key: prepared.key, status: 'current', complete: true });

    const whole = await stateOf('whole');
    const uninterrupted = await advanceJob(pool, whole, prepared);
    expect(uninterrupted.acquired).toBe(true);
    const a = await crash.readResults(prepared.key, T0, END);
    const b = await whole.readResults(prepared.key, T0, END);
    expect(a).toEqual({ ...b, processedUntil: a.processedUntil });
    expect(b.records.length).toBeGreaterThan(0);
    const dup = await pool.query(
      `SELECT (SELECT count(*) - count(DISTINCT time) FROM crash.bucket_results WHERE job_key = $1)::int AS buckets`,
      [prepared.key],
    );
    expect(dup.rows[0].buckets).toBe(0);
  });
});
