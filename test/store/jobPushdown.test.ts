/**
 * The job pushdown against the single-detector one: one GROUPING SETS statement gives every detector exactly
 * the tuples its own statement would, detectors with the same key set share a grouping set, the row count
 * per bucket comes from the (bucket) set, and NULL keys are dropped per detector.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { JobBucketInput } from '../../pkg-backend/src/engine/job.ts';
import type { BucketInput } from '../../pkg-backend/src/engine/types.ts';
import { describeTable, resolveColumn, type TableInfo } from '../../pkg-backend/src/store/catalogue.ts';
import { createLogTable, insertRows, type WeblogRow } from '../../pkg-backend/src/store/demoTable.ts';
import { StoreError } from '../../pkg-backend/src/store/errors.ts';
import { groupSpanStats } from '../../pkg-backend/src/store/jobGroups.ts';
import { jobPushdownSql, resolveJobField, type JobPushdownPlan } from '../../pkg-backend/src/store/jobPushdown.ts';
import { streamJobChunks } from '../../pkg-backend/src/store/jobStream.ts';
import type { PushdownPlan } from '../../pkg-backend/src/store/pushdown.ts';
import { streamBuckets } from '../../pkg-backend/src/store/pushdownStream.ts';
import { dropSchema, freshSchema, testPool, utc } from './helpers.ts';

const MIN = 60_000;
const T0 = utc('2024-01-01T00:00:00').getTime();
const SUCCESS = { field: 'state', op: '=', value: '1' } as const;

// Ids follow insertion order (1…).
const ROWS: WeblogRow[] = [
  { ts: utc('2024-01-01T00:00:10'), ip: 'a', state: 1, key: 'K1' }, // 1
  { ts: utc('2024-01-01T00:00:20'), ip: 'a', state: 2, key: 'K1' }, // 2
  { ts: utc('2024-01-01T00:00:30'), ip: 'b', state: 1, key: null }, // 3: partition ""
  { ts: utc('2024-01-01T00:00:40'), ip: 'b', state: 1, key: '' }, // 4: partition "" too
  { ts: utc('2024-01-01T00:00:50'), ip: null, state: 3, key: 'K2' }, // 5: null over
  { ts: utc('2024-01-01T00:01:10'), ip: 'a', state: null, key: 'K1' }, // 6: null by
  { ts: utc('2024-01-01T00:01:20'), ip: 'c', state: 2, key: 'K2' }, // 7
  { ts: utc('2024-01-01T00:03:00'), ip: null, state: null, key: null }, // 8: counted, in no detector
  { ts: utc('2024-01-01T00:04:00'), ip: 'a', state: 1, key: 'K1' }, // 9
];

async function collect<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) {
    out.push(x);
  }
  return out;
}

describe('job pushdown', () => {
  let pool: pg.Pool;
  let schema: string;
  let table: TableInfo;
  let base: Omit<JobPushdownPlan, 'detectors' | 'influencers'>;

  const column = (name: string) => ({ kind: 'column' as const, column: resolveColumn(table, name, 'by') });

  async function jobBuckets(plan: JobPushdownPlan, chunkMs = 100 * MIN, prefetch = 1): Promise<JobBucketInput[]> {
    const out: JobBucketInput[] = [];
    for await (const e of streamJobChunks(pool, plan, { chunkEnd: (f) => f + chunkMs, prefetch, bufferRows: 2 })) {
      if (e.kind === 'bucket') {
        out.push(e.input);
      }
    }
    return out;
  }

  function single(by: string, over?: string): PushdownPlan {
    return {
      ...base,
      byColumn: resolveColumn(table, by, 'by'),
      overColumn: over ? resolveColumn(table, over, 'over') : undefined,
    };
  }

  beforeAll(async () => {
    pool = testPool({ max: 4 });
    schema = await freshSchema(pool, 'jobpush');
    await createLogTable(pool, `${schema}.logs`);
    await insertRows(pool, `${schema}.logs`, ROWS);
    table = await describeTable(pool, `${schema}.logs`);
    base = {
      table,
      timeColumn: resolveColumn(table, 'ts', 'time'),
      idColumn: resolveColumn(table, 'id', 'id'),
      bucketSpanSeconds: 60,
      from: new Date(T0),
      to: new Date(T0 + 5 * MIN),
      successRule: SUCCESS,
    };
  });

  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('gives each detector the tuples of its own pushdown, from one statement', async () => {
    const plan: JobPushdownPlan = {
      ...base,
      detectors: [
        { by: column('state') },
        { by: column('state'), over: column('ip') },
        // The same key set as the one before, and as the next in other roles: all three share one grouping set.
        { by: column('state'), over: column('ip') },
        { by: column('ip'), over: column('state') },
      ],
      influencers: [],
    };
    const { statement } = jobPushdownSql(plan);
    expect(statement.text.match(/GROUPING SETS \((.*)\)\n/)![1].split('), (').length).toBe(3);
    const job = await jobBuckets(plan);
    const expected = [
      await collect(streamBuckets(pool, single('state'))),
      await collect(streamBuckets(pool, single('state', 'ip'))),
      await collect(streamBuckets(pool, single('state', 'ip'))),
      await collect(streamBuckets(pool, single('ip', 'state'))),
    ];
    // Within a bucket, rows are ordered by the job's key columns, which need not be the detector's by, over.
    const sorted = (buckets: BucketInput[]) =>
      buckets.map((b) => ({
        start: b.start,
        tuples: [...b.tuples].sort((x, y) => (x.by + ' ' + x.over < y.by + ' ' + y.over ? -1 : 1)),
      }));
    expected.forEach((buckets: BucketInput[], d) => {
      const mine = job
        .filter((b) => b.detectors[d].length > 0)
        .map((b) => ({ start: b.start, tuples: [...b.detectors[d]] }));
      expect(d === 3 ? sorted(mine) : mine, `detector ${d}`).toEqual(d === 3 ? sorted(buckets) : buckets);
    });
    // Every bucket with rows, with its row count: the all-null row 8 is counted, in no detector.
    expect(job.map((b) => [b.start, b.eventCount])).toEqual([
      [T0, 5],
      [T0 + MIN, 2],
      [T0 + 3 * MIN, 1],
      [T0 + 4 * MIN, 1],
    ]);
    expect(job[2].detectors.every((d) => d.length === 0)).toBe(true);
    // Chunks of one bucket, without and with read-ahead, give the same buckets.
    expect(await jobBuckets(plan, MIN, 0)).toEqual(job);
    expect(await jobBuckets(plan, MIN, 3)).toEqual(job);
    expect(pool.totalCount).toBe(pool.idleCount);
  });

  it('keeps a null or empty partition value as the partition "", grouped as one', async () => {
    const job = await jobBuckets({
      ...base,
      detectors: [{ by: column('ip'), partition: column('key') }],
      influencers: [],
    });
    expect(job[0].detectors[0]).toEqual([
      { by: 'a', over: null, partition: 'K1', count: 2, successful: 1, minId: '1', maxId: '2' },
      { by: 'b', over: null, partition: '', count: 2, successful: 2, minId: '3', maxId: '4' },
    ]);
  });

  it('reads `successful` from the success rule, as a by field and as an influencer', async () => {
    const successful = resolveJobField(table, 'successful', 'by', SUCCESS);
    expect(successful).toEqual({ kind: 'successful' });
    const job = await jobBuckets({
      ...base,
      detectors: [{ by: successful, over: column('key') }],
      influencers: [column('ip'), successful],
    });
    expect(job[0].detectors[0]).toEqual([
      { by: 'false', over: 'K1', count: 1, successful: 0, minId: '2', maxId: '2', influencers: ['a', 'false'] },
      { by: 'true', over: 'K1', count: 1, successful: 1, minId: '1', maxId: '1', influencers: ['a', 'true'] },
      { by: 'true', over: '', count: 1, successful: 1, minId: '4', maxId: '4', influencers: ['b', 'true'] },
      { by: 'false', over: 'K2', count: 1, successful: 0, minId: '5', maxId: '5', influencers: [null, 'false'] },
    ]);
  });

  it('refuses `successful` without a success rule, naming the field, and hostile names', () => {
    expect(() => resolveJobField(table, 'successful', 'by', undefined)).toThrow(
      /field "successful" is derived from the datasource's success rule, and none is set/,
    );
    for (const name of ['state; DROP TABLE logs', 'state"', 'no_such_column']) {
      expect(() => resolveJobField(table, name, 'by', SUCCESS)).toThrow(StoreError);
    }
    try {
      resolveJobField(table, 'ip) FROM pg_shadow --', 'over', SUCCESS);
      expect.unreachable();
    } catch (e) {
      expect((e as StoreError).kind).toMatch(/invalid_identifier|column_missing/);
    }
  });

  it('counts a group value’s rows exactly over its span', async () => {
    const stats = await groupSpanStats(pool, { ...base, field: column('key') }, [
      { value: 'K1', from: new Date(T0), to: new Date(T0 + 2 * MIN) },
      { value: '', from: new Date(T0), to: new Date(T0 + 5 * MIN) },
      { value: 'nobody', from: new Date(T0), to: new Date(T0 + 5 * MIN) },
    ]);
    expect(stats).toEqual([
      { minId: '1', maxId: '6', requests: 3, successful: 1 },
      { minId: '3', maxId: '8', requests: 3, successful: 2 },
      { minId: null, maxId: null, requests: 0, successful: 0 },
    ]);
  });
});
