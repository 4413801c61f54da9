/**
 * `rarity jobs list|show|reset|delete` as a real process: they show what the state store holds (a job a
 * backfill made, in the log database or in a separate state database), reset and delete it there, and
 * refuse malformed keys and unknown commands with exit status 2 before touching a database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { JobSummary } from '../../common/resources.ts';
import { createPool } from '../../pkg-backend/src/store/index.ts';
import { createDatabase } from '../setup/databases.ts';
import { rarity } from './helpers.ts';

const HOUR = 3_600_000;
const END = Math.floor(Date.now() / HOUR) * HOUR;
const T0 = END - 30 * HOUR;
let url: string;
let stateUrl: string;
let pool: pg.Pool;
let statePool: pg.Pool;

const backfill = (...extra: string[]) =>
  rarity([
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
    ...extra,
  ]);

const json = <T>(stdout: string) => JSON.parse(stdout) as T;

beforeAll(async () => {
  url = await createDatabase('rarity_cli_jobs');
  stateUrl = await createDatabase('rarity_cli_jobs_state');
  pool = createPool({ connectionString: url, max: 2 });
  statePool = createPool({ connectionString: stateUrl, max: 2 });
  await pool.query('CREATE TABLE logs (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, ip text, state int)');
  await pool.query(
    `INSERT INTO logs (ts, ip, state)
     SELECT to_timestamp($1::float8 / 1000) + g * interval '1 minute', '10.0.0.' || (g % 7),
            CASE WHEN g % 997 = 500 THEN 9 WHEN g % 53 = 0 THEN 2 ELSE 1 END
       FROM generate_series(0, 30 * 60 - 1) g`,
    [T0],
  );
}, 60_000);
afterAll(async () => {
  await pool?.end();
  await statePool?.end();
});

describe('rarity jobs on the log database', () => {
  let key: string;

  it('list shows the job a backfill made, as the Jobs page does', { timeout: 120_000 }, async () => {
    const made = await backfill();
    expect(made.code, made.stderr).toBe(0);
    key = json<{ key: string }>(made.stdout).key;
    const list = await rarity(['jobs', 'list', '--database-url', url, '--format', 'json']);
    expect(list.code, list.stderr).toBe(0);
    const jobs = json<JobSummary[]>(list.stdout);
    expect(jobs.map((j) => j.key)).toEqual([key]);
    const row = (await pool.query(`SELECT status, processed_until FROM rarity.jobs`)).rows[0];
    expect(jobs[0]).toMatchObject({
      status: row.status,
      processedUntil: row.processed_until.toISOString(),
      description: 'rare by state in "public"."logs", 10m buckets',
    });
    const table = await rarity(['jobs', 'list', '--database-url', url]);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^KEY\s+STATUS\s+PROCESSED UNTIL\s+LAG\s+LEARNING\s+MEMORY\s+LAST ERROR\s+DETECTOR$/,
    );
    expect(table.stdout).toContain(key);
  });

  it('show prints one job; an unknown key exits 2', async () => {
    const show = await rarity(['jobs', 'show', key, '--database-url', url, '--format', 'json']);
    expect(show.code, show.stderr).toBe(0);
    expect(json<JobSummary>(show.stdout).key).toBe(key);
    const unknown = await rarity(['jobs', 'show', '0123456789abcdef', '--database-url', url]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/job 0123456789abcdef does not exist in schema rarity/);
  });

  it('reset forgets the analysed buckets, delete removes the job', { timeout: 60_000 }, async () => {
    const reset = await rarity(['jobs', 'reset', key, '--database-url', url, '--format', 'json']);
    expect(reset.code, reset.stderr).toBe(0);
    expect(json<JobSummary>(reset.stdout)).toMatchObject({ key, status: 'created', processedUntil: null });
    expect((await pool.query(`SELECT count(*)::int AS n FROM rarity.bucket_results`)).rows[0].n).toBe(0);
    const del = await rarity(['jobs', 'delete', key, '--database-url', url, '--format', 'json']);
    expect(json(del.stdout)).toEqual({ deleted: key });
    expect((await pool.query(`SELECT count(*)::int AS n FROM rarity.jobs`)).rows[0].n).toBe(0);
    expect((await rarity(['jobs', 'delete', key, '--database-url', url])).code).toBe(2);
    expect((await rarity(['jobs', 'list', '--database-url', url])).stdout.trim()).toBe('no jobs in schema rarity');
  });
});

describe('rarity jobs with a separate state database', () => {
  it('reads the jobs in --state-database-url, schema --state-schema', { timeout: 120_000 }, async () => {
    const state = ['--state-database-url', stateUrl, '--state-schema', 'cli_state'];
    const made = await backfill(...state);
    expect(made.code, made.stderr).toBe(0);
    const list = await rarity(['jobs', 'list', '--database-url', url, ...state, '--format', 'json']);
    const stored = (await statePool.query(`SELECT key FROM cli_state.jobs`)).rows.map((r) => r.key);
    expect(json<JobSummary[]>(list.stdout).map((j) => j.key)).toEqual(stored);
    expect(stored).toHaveLength(1);
  });
});

describe('rarity jobs arguments', () => {
  it.each([
    [['jobs', 'show', 'nope'], /job key "nope" is not 16 hex digits/],
    [['jobs', 'show'], /jobs show needs a job key/],
    [['jobs', 'list', 'extra'], /jobs list takes no key/],
    [['jobs', 'frob'], /unknown jobs command "frob"/],
    [['jobs', 'list', '--format', 'xml'], /--format "xml" must be json or table/],
    [['jobs', 'list', '--nope'], /Unknown option '--nope'/],
  ])('%j exits 2', async (args, message) => {
    const r = await rarity(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
