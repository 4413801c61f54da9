/**
 * Issue #10, management: the REAL built executable answers the jobs resources (list, show, reset, delete)
 * from the state store its settings name — the log database's `rarity` schema, or a separate state
 * database — and the health check says where results go. A role that may keep no state gets the advice:
 * 200 for the list, 409 for the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDatabase, dropDatabase, grafanaDatasource } from './e2e.ts';
import { dataQuery, pluginContext, type TestDatasource } from './host.ts';
import { startDemoBackend, type DemoBackend } from './demoBackend.ts';
import type { JobList, JobSummary } from '../../common/resources.ts';

const DB = 'rarity_backend_jobs_resources';
const STATE_DB = 'rarity_backend_jobs_state';
const ROLE = 'rarity_jobs_reader';
const END = new Date('2026-11-20T00:00:00Z');

let backend: DemoBackend;
let stateUrl: string;
let statePool: pg.Pool;

beforeAll(async () => {
  backend = await startDemoBackend(DB, { days: 4, rowsPerDay: 1500, end: END });
  stateUrl = await createDatabase(STATE_DB);
  statePool = new pg.Pool({ connectionString: stateUrl, max: 1 });
}, 180_000);

afterAll(async () => {
  await statePool?.end();
  await dropDatabase(STATE_DB).catch(() => undefined);
  await backend?.pool.query(`DROP OWNED BY ${ROLE}`).catch(() => undefined);
  await backend?.pool.query(`DROP ROLE IF EXISTS ${ROLE}`).catch(() => undefined);
  await backend?.close();
});

let uid = 0;
const ds = (jsonData: Record<string, unknown> = {}, extra: Partial<TestDatasource> = {}) =>
  grafanaDatasource(backend.url, jsonData, { uid: `jobs-${++uid}`, ...extra });

async function resource(datasource: TestDatasource, path: string, method = 'GET') {
  const messages = await backend.client.callResource({
    pluginContext: pluginContext(datasource),
    path,
    method,
    url: path,
    headers: {},
  });
  const text = Buffer.concat(messages.map((m) => Buffer.from(m.body ?? []))).toString('utf8');
  const headers = Object.fromEntries(
    Object.entries(messages[0].headers ?? {}).map(([k, v]) => [k.toLowerCase(), (v as { values: string[] }).values]),
  );
  return { code: messages[0].code, headers, body: JSON.parse(text) as Record<string, unknown> };
}

async function scores(datasource: TestDatasource) {
  const res = await backend.client.queryData({
    pluginContext: pluginContext(datasource),
    headers: {},
    queries: [
      dataQuery(
        'A',
        { refId: 'A', queryType: 'scores', function: 'rare', byField: 'state', bucketSpan: '15m' },
        { queryType: 'scores', from: backend.from, to: backend.to },
      ),
    ],
  });
  expect(res.responses.A.error ?? '').toBe('');
}

const withoutLag = (j: JobSummary) => ({ ...j, lagSeconds: undefined });

describe('jobs resources on the log database', () => {
  const datasource = () => ds();
  let job: JobSummary;

  it('GET jobs lists the job a query created, described from its definition', { timeout: 120_000 }, async () => {
    await scores(datasource());
    const r = await resource(datasource(), 'jobs');
    expect(r.code).toBe(200);
    const list = r.body as unknown as JobList;
    expect(list).toMatchObject({ persisted: true, schema: 'rarity' });
    if (!list.persisted) {
      throw new Error('not persisted');
    }
    expect(list.jobs).toHaveLength(1);
    job = list.jobs[0];
    expect(job).toMatchObject({
      description: 'rare by state in "public"."weblogs", 15m buckets',
      function: 'rare',
      byField: 'state',
      overField: null,
      bucketSpan: '15m',
      memoryStatus: 'ok',
      lastError: null,
    });
    expect(job.key).toMatch(/^[0-9a-f]{16}$/);
    const row = (
      await backend.pool.query(`SELECT status, processed_until, learning_until FROM rarity.jobs WHERE key = $1`, [
        job.key,
      ])
    ).rows[0];
    expect(job.status).toBe(row.status);
    expect(job.processedUntil).toBe(row.processed_until.toISOString());
    expect(job.learningUntil).toBe(row.learning_until?.toISOString() ?? null);
    expect(job.lagSeconds).toBeGreaterThan(0);
  });

  it('GET jobs/<key> shows the same job; unknown and malformed keys are 404', async () => {
    const r = await resource(datasource(), `jobs/${job.key}`);
    expect(r.code).toBe(200);
    expect(withoutLag(r.body as unknown as JobSummary)).toEqual(withoutLag(job));
    expect((await resource(datasource(), 'jobs/0123456789abcdef')).code).toBe(404);
    const bad = await resource(datasource(), "jobs/x'; DROP TABLE rarity.jobs");
    expect(bad.code).toBe(404);
    expect(bad.body.message).toMatch(/a key is 16 hex digits/);
    const put = await resource(datasource(), `jobs/${job.key}`, 'PUT');
    expect(put.code).toBe(405);
    expect(put.headers.allow).toEqual(['GET', 'DELETE']);
  });

  it(
    'POST jobs/<key>/reset forgets the analysed history; the next query analyses it again',
    { timeout: 120_000 },
    async () => {
      const r = await resource(datasource(), `jobs/${job.key}/reset`, 'POST');
      expect(r.code).toBe(200);
      expect(r.body).toMatchObject({ key: job.key, status: 'created', processedUntil: null, lagSeconds: null });
      const count = async () =>
        (await backend.pool.query(`SELECT count(*)::int AS n FROM rarity.bucket_results WHERE job_key = $1`, [job.key]))
          .rows[0].n as number;
      expect(await count()).toBe(0);
      await scores(datasource());
      expect(await count()).toBeGreaterThan(0);
      expect((await resource(datasource(), 'jobs/0123456789abcdef/reset', 'POST')).code).toBe(404);
      expect((await resource(datasource(), `jobs/${job.key}/reset`, 'GET')).code).toBe(405);
    },
  );

  it('DELETE jobs/<key> removes the job and its results; a second delete is 404', async () => {
    const r = await resource(datasource(), `jobs/${job.key}`, 'DELETE');
    expect(r.code).toBe(200);
    expect(r.body).toEqual({ deleted: job.key });
    expect((await backend.pool.query(`SELECT count(*)::int AS n FROM rarity.bucket_results`)).rows[0].n).toBe(0);
    expect((await resource(datasource(), `jobs/${job.key}`, 'DELETE')).code).toBe(404);
    expect((await resource(datasource(), 'jobs')).body).toEqual({ persisted: true, schema: 'rarity', jobs: [] });
  });

  it('the health check says where results are persisted', async () => {
    const res = await backend.client.checkHealth({ pluginContext: pluginContext(datasource()), headers: {} });
    expect(res.status).toBe('OK');
    expect(res.message).toMatch(new RegExp(`\\. Results are persisted in schema rarity of ${DB}$`));
  });
});

describe('a separate state database', () => {
  const u = () => new URL(stateUrl);
  const datasource = () =>
    ds(
      { stateUrl: `${u().hostname}:${u().port}`, stateDatabase: STATE_DB, stateSchema: 'Jobs_State' },
      { uid: 'state-db' },
    );

  it('keeps the jobs there, in the schema named (folded like PostgreSQL)', { timeout: 120_000 }, async () => {
    await scores(datasource());
    const list = (await resource(datasource(), 'jobs')).body as unknown as JobList;
    expect(list).toMatchObject({ persisted: true, schema: 'jobs_state' });
    const stored = (await statePool.query(`SELECT key FROM jobs_state.jobs`)).rows.map((r) => r.key);
    expect(list.persisted && list.jobs.map((j) => j.key)).toEqual(stored);
    expect(stored).toHaveLength(1);
    const res = await backend.client.checkHealth({ pluginContext: pluginContext(datasource()), headers: {} });
    expect(res.message).toMatch(new RegExp(`Results are persisted in schema jobs_state of ${STATE_DB}$`));
  });

  it('refuses unusable results-storage settings with a message naming them', async () => {
    for (const [jsonData, message] of [
      [{ stateSchema: 'pg_jobs' }, /state schema "pg_jobs" is reserved/],
      [{ stateSchema: 'a;b' }, /state schema/],
      [{ retentionDays: 0 }, /retention "0" must be a whole number of days from 1 to 3650/],
      [{ retentionDays: 3651 }, /from 1 to 3650/],
      [{ stateUrl: 'host:99999', stateDatabase: 'x' }, /state database port 99999/],
    ] as const) {
      const r = await resource(ds(jsonData), 'jobs');
      expect(r.code, JSON.stringify(jsonData)).toBeGreaterThanOrEqual(400);
      expect(String(r.body.message)).toMatch(message);
    }
  });
});

describe('a role that may keep no state', () => {
  it(
    'GET jobs answers 200 with the advice, the others 409; the health check stays OK and says so',
    { timeout: 60_000 },
    async () => {
      const admin = (sql: string) => backend.pool.query(sql);
      await admin(`DROP ROLE IF EXISTS ${ROLE}`);
      await admin(`CREATE ROLE ${ROLE} LOGIN PASSWORD 'reader'`);
      await admin(`GRANT CONNECT ON DATABASE ${DB} TO ${ROLE}`);
      await admin(`GRANT SELECT ON public.weblogs TO ${ROLE}`);
      const reader = ds({ user: ROLE, stateSchema: 'reader_state' }, { secure: { password: 'reader' } });
      const list = await resource(reader, 'jobs');
      expect(list.code).toBe(200);
      expect(list.body).toEqual({
        persisted: false,
        advice: expect.stringMatching(/^results are not persisted: grant CREATE on schema reader_state/),
      });
      for (const [path, method] of [
        ['jobs/0123456789abcdef', 'GET'],
        ['jobs/0123456789abcdef/reset', 'POST'],
        ['jobs/0123456789abcdef', 'DELETE'],
      ]) {
        const r = await resource(reader, path, method);
        expect(r.code).toBe(409);
        expect(r.body.advice).toBe(list.body.advice);
      }
      const health = await backend.client.checkHealth({ pluginContext: pluginContext(reader), headers: {} });
      expect(health.status).toBe('OK');
      expect(health.message).toMatch(/\. Results are not persisted: grant CREATE on schema reader_state/);
    },
  );
});
