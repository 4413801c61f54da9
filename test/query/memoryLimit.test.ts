/**
 * The datasource's model memory limit end to end on real PostgreSQL: 30 000 distinct IPs need far more than
 * 1 MB of population model (ENTITY_BYTES + PAIR_BYTES + the name, about 135 bytes each, so about 7 000 fit),
 * so the in-process run and the persisted job both reach hard_limit, their frames say so and what to change,
 * the job's row records it, the health check mentions it, and a raised limit keeps the same job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createPool, openStateStore, type StateStore } from '../../pkg-backend/src/store/index.ts';
import type {
  DataQueryInput,
  DatasourceInstance,
  Frame,
  JobStateHandle,
  RequestContext,
} from '../../pkg-backend/src/query/contract.ts';
import { createDatasource } from '../../pkg-backend/src/query/datasource.ts';
import { checkHealth } from '../../pkg-backend/src/query/health.ts';
import { memoryNotice as noticeOf } from '../../pkg-backend/src/query/modelMemory.ts';
import type { DataSourceSettings } from '../../pkg-backend/src/query/settings.ts';
import { createDatabase } from '../setup/databases.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const IPS = 30_000;
/** Data up to the current hour, so the job reaches "now" without a long empty stretch. */
const END = Math.floor(Date.now() / HOUR) * HOUR;
const T0 = END - 5 * HOUR;
const SCHEMA = 'memory_limit';
const silent = { debug() {}, info() {}, warn() {}, error() {} };

let pool: pg.Pool;
let store: StateStore;

function instance(key: string, jsonData: Record<string, unknown>, state?: JobStateHandle): DatasourceInstance {
  const settings = {
    uid: 'ds',
    id: 1,
    name: 'ds',
    jsonData: { table: 'public.logs', timeColumn: 'ts', idColumn: 'id', ...jsonData },
  } as unknown as DataSourceSettings;
  return { key, settings, pool, ...(state ? { state: () => Promise.resolve(state) } : {}) };
}

function ctx(inst: DatasourceInstance): RequestContext {
  return {
    instance: inst,
    orgId: 1,
    pluginId: 'rarity',
    pluginVersion: 'test',
    userAgent: 'test',
    headers: { 'X-Cache-Skip': 'true' },
    fromAlert: false,
    signal: new AbortController().signal,
    logger: silent,
  };
}

const query: DataQueryInput = {
  refId: 'A',
  queryType: 'scores',
  json: { queryType: 'scores', function: 'rare', byField: 'state', overField: 'ip', bucketSpan: '10m' },
  timeRange: { from: new Date(T0), to: new Date(END) },
  intervalMs: 60_000,
  maxDataPoints: 1000,
};

async function frames(inst: DatasourceInstance): Promise<Frame[]> {
  const ds = createDatasource();
  try {
    const answer = (await ds.queryData(ctx(inst), [query])).get('A')!;
    if (!('frames' in answer) || 'error' in answer) {
      throw new Error(JSON.stringify(answer));
    }
    return answer.frames;
  } finally {
    await ds.shutdown?.(500);
  }
}

const HARD_LIMIT =
  /^model memory limit reached \(1 MB\): (\d{1,3}(?: \d{3})*) tuples of new entities were not modelled; raise Model memory limit in the datasource settings$/;

/** The one memory notice of each frame (they all carry the same), and the count of tuples it names. */
function memoryNotice(fs: Frame[]): { text: string; tuples: number } {
  const texts = fs.map((f) => (f.meta?.notices ?? []).filter((n) => /model memory/.test(n.text)));
  for (const t of texts) {
    expect(t).toHaveLength(1);
    expect(t[0].severity).toBe('warning');
  }
  const text = texts[0][0].text;
  const m = HARD_LIMIT.exec(text);
  expect(m, text).not.toBeNull();
  return { text, tuples: Number(m![1].replace(/ /g, '')) };
}

const persisted = (): JobStateHandle => ({ persisted: true, store, schema: SCHEMA });

beforeAll(async () => {
  const url = await createDatabase('rarity_memory_limit');
  pool = createPool({ connectionString: url, max: 6 });
  await pool.query('CREATE TABLE logs (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, ip text, state int)');
  // A thousand new IPs in each of 30 ten-minute buckets, each IP once.
  await pool.query(
    `INSERT INTO logs (ts, ip, state)
     SELECT to_timestamp($1::float8 / 1000) + g * interval '600 milliseconds',
            '10.' || (g / 65536) || '.' || (g / 256 % 256) || '.' || (g % 256), 1 + (g % 3)
       FROM generate_series(0, $2::int - 1) g`,
    [T0, IPS],
  );
  const opened = await openStateStore(pool, { schema: SCHEMA });
  if (opened.status !== 'ready') {
    throw new Error(opened.reason);
  }
  store = opened.store;
});
afterAll(async () => {
  await pool?.end();
});

describe('model memory limit from the datasource settings', () => {
  let inProcessTuples = 0;

  it('warns in the frames of an in-process detection at hard_limit, naming the tuples left out', async () => {
    const fs = await frames(instance('ds@1', { modelMemoryLimitMb: 1 }));
    const { tuples } = memoryNotice(fs);
    // About 7 000 of the 30 000 IPs fit in 1 MB; every tuple of the others was left out.
    expect(tuples).toBeGreaterThan(20_000);
    expect(tuples).toBeLessThan(IPS);
    inProcessTuples = tuples;
  });

  it('gives no memory notice under the default limit', async () => {
    const fs = await frames(instance('ds@2', {}));
    expect(fs.flatMap((f) => f.meta?.notices ?? [])).toEqual([]);
  });

  it('records hard_limit in the job row, warns in its frames alike and mentions it in the health check', async () => {
    const inst = instance('ds@3', { modelMemoryLimitMb: 1 }, persisted());
    const { tuples } = memoryNotice(await frames(inst));
    // The job's model saw the same buckets as the in-process one and left out the same tuples.
    expect(tuples).toBe(inProcessTuples);

    const rows = await pool.query<{ memory_status: string; model_bytes: string }>(
      `SELECT memory_status, model_bytes FROM ${SCHEMA}.jobs`,
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0].memory_status).toBe('hard_limit');
    expect(Number(rows.rows[0].model_bytes)).toBeGreaterThanOrEqual(1024 * 1024);

    const health = await checkHealth(ctx(inst));
    expect(health.status).toBe('OK');
    expect(health.message).toMatch(
      new RegExp(
        `Results are persisted in schema ${SCHEMA} of rarity_memory_limit\\. 1 job is at the model memory limit \\(1 MB, hard_limit\\): new entities are not modelled; raise Model memory limit$`,
      ),
    );
    expect(health.details).toMatchObject({ state: { hardLimitJobs: 1 } });
  });

  it('keeps the same job when the limit is raised: the model is judged against the new limit at once', async () => {
    const before = (await pool.query<{ key: string }>(`SELECT key FROM ${SCHEMA}.jobs`)).rows.map((r) => r.key);
    const fs = await frames(instance('ds@4', { modelMemoryLimitMb: 512 }, persisted()));
    expect(fs.flatMap((f) => f.meta?.notices ?? [])).toEqual([]);
    const after = (await pool.query<{ key: string }>(`SELECT key FROM ${SCHEMA}.jobs`)).rows.map((r) => r.key);
    expect(after).toEqual(before);
  });

  it('refuses a limit outside 1 to 65536 MB for the query, naming the setting', async () => {
    const ds = createDatasource();
    const answer = (await ds.queryData(ctx(instance('ds@5', { modelMemoryLimitMb: 0 })), [query])).get('A')!;
    expect(answer).toMatchObject({
      status: 400,
      error: 'Model memory limit (modelMemoryLimitMb) 0 must be a whole number of MB from 1 to 65536',
    });
  });
});

describe('the memory notice', () => {
  const limitBytes = 512 * 1024 * 1024;

  it('gives the share of the limit at soft_limit, never 100 % while the model is below it', () => {
    expect(noticeOf({ status: 'soft_limit', bytes: 0.934 * limitBytes, limitBytes, limitedTuples: 0 })).toEqual({
      severity: 'warning',
      text: 'model memory at 93 % of its 512 MB limit: past it new entities are not modelled; raise Model memory limit in the datasource settings',
    });
    const edge = noticeOf({ status: 'soft_limit', bytes: limitBytes + 2048, limitBytes, limitedTuples: 0 });
    expect(edge?.text).toMatch(/^model memory at 99 % of its 512 MB limit/);
  });

  it('names the tuples left out at hard_limit when they are known, and only the rule when not', () => {
    expect(noticeOf({ status: 'hard_limit', bytes: limitBytes, limitBytes, limitedTuples: 12_345 })?.text).toBe(
      'model memory limit reached (512 MB): 12 345 tuples of new entities were not modelled; raise Model memory limit in the datasource settings',
    );
    expect(noticeOf({ status: 'hard_limit', bytes: limitBytes, limitBytes, limitedTuples: null })?.text).toBe(
      'model memory limit reached (512 MB): new entities are not modelled; raise Model memory limit in the datasource settings',
    );
  });

  it('is absent for a model comfortably below its limit', () => {
    expect(noticeOf(undefined)).toBeUndefined();
  });
});
