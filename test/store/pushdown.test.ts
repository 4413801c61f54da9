import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { BucketInput } from '../../pkg-backend/src/engine/types.ts';
import { describeTable, type TableInfo } from '../../pkg-backend/src/store/catalogue.ts';
import { StoreError } from '../../pkg-backend/src/store/errors.ts';
import { parseStats, pushdownSql, type PushdownPlan } from '../../pkg-backend/src/store/pushdown.ts';
import { runBareAggregate } from '../../pkg-backend/src/store/baseline.ts';
import { streamBuckets } from '../../pkg-backend/src/store/pushdownStream.ts';
import { createLogTable, insertRows, type WeblogRow } from '../../pkg-backend/src/store/demoTable.ts';
import { dropSchema, freshSchema, testPool, utc } from './helpers.ts';

const A = '10.0.0.0';
const B = '10.0.1.0';

// Known content: ids follow insertion order (1…9).
const ROWS: WeblogRow[] = [
  { ts: utc('2023-12-31T23:59:59'), ip: A, state: 1 }, // 1: before the range
  { ts: utc('2024-01-01T00:00:10'), ip: A, state: 1 }, // 2
  { ts: utc('2024-01-01T00:00:50'), ip: B, state: 1 }, // 3
  { ts: utc('2024-01-01T00:00:59.999'), ip: A, state: 2 }, // 4
  { ts: utc('2024-01-01T00:01:00'), ip: A, state: 1 }, // 5: first instant of the next bucket
  { ts: utc('2024-01-01T00:03:30'), ip: A, state: null }, // 6: null by → skipped
  { ts: utc('2024-01-01T00:03:40'), ip: null, state: 3 }, // 7: null over → skipped with an over field
  { ts: utc('2024-01-01T00:04:59'), ip: B, state: 1 }, // 8
  { ts: utc('2024-01-01T00:05:00'), ip: A, state: 1 }, // 9: at `to`, excluded
];

const T0 = utc('2024-01-01T00:00:00').getTime();
const MIN = 60_000;

/** A column as the catalogue describes it, unchecked: the plan's roles are the store's to check. */
/** Pushdown statements still on the server for this database (running or waiting to send), other than ours. */
const ACTIVE_PUSHDOWNS = `SELECT count(*)::int AS n FROM pg_stat_activity
  WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle' AND query LIKE '%GROUP BY date_bin%'`;

/** Pushdown statements waiting for their client to read (ClientWrite), other than ours. */
const BLOCKED_SENDING = `SELECT count(*)::int AS n FROM pg_stat_activity
  WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event = 'ClientWrite' AND query LIKE '%GROUP BY date_bin%'`;

const col = (table: TableInfo, name: string) => table.columns.find((c) => c.name === name)!;

async function collect(gen: AsyncGenerator<BucketInput>): Promise<BucketInput[]> {
  const out: BucketInput[] = [];
  for await (const b of gen) {
    out.push(b);
  }
  return out;
}

describe('pushdown', () => {
  let pool: pg.Pool;
  let schema: string;
  let table: TableInfo;
  let plan: PushdownPlan;

  beforeAll(async () => {
    pool = testPool({ max: 3 });
    schema = await freshSchema(pool, 'push');
    await createLogTable(pool, `${schema}.logs`);
    await insertRows(pool, `${schema}.logs`, ROWS);
    table = await describeTable(pool, `${schema}.logs`);
    plan = {
      table,
      timeColumn: col(table, 'ts'),
      idColumn: col(table, 'id'),
      byColumn: col(table, 'state'),
      bucketSpanSeconds: 60,
      from: utc('2024-01-01T00:00:00'),
      to: utc('2024-01-01T00:05:00'),
    };
  });

  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('rare by state: exact tuples per bucket, in time order, null by skipped, range half-open', async () => {
    const buckets = await collect(streamBuckets(pool, plan));
    expect(buckets).toEqual([
      {
        start: T0,
        tuples: [
          { by: '1', over: null, count: 2, successful: 2, minId: '2', maxId: '3' },
          { by: '2', over: null, count: 1, successful: 1, minId: '4', maxId: '4' },
        ],
      },
      { start: T0 + MIN, tuples: [{ by: '1', over: null, count: 1, successful: 1, minId: '5', maxId: '5' }] },
      { start: T0 + 3 * MIN, tuples: [{ by: '3', over: null, count: 1, successful: 1, minId: '7', maxId: '7' }] },
      { start: T0 + 4 * MIN, tuples: [{ by: '1', over: null, count: 1, successful: 1, minId: '8', maxId: '8' }] },
    ]);
  });

  it('freq_rare by state over ip: rows with a null over value are skipped', async () => {
    const buckets = await collect(
      streamBuckets(pool, {
        ...plan,
        overColumn: col(table, 'ip'),
        successRule: { field: 'state', op: '=', value: '1' },
      }),
    );
    expect(
      buckets.map((b) => [b.start - T0, b.tuples.map((t) => [t.by, t.over, t.count, t.successful, t.minId, t.maxId])]),
    ).toEqual([
      [
        0,
        [
          ['1', A, 1, 1, '2', '2'],
          ['1', B, 1, 1, '3', '3'],
          ['2', A, 1, 0, '4', '4'],
        ],
      ],
      [MIN, [['1', A, 1, 1, '5', '5']]],
      [4 * MIN, [['1', B, 1, 1, '8', '8']]],
    ]);
  });

  it('success counts follow the rule; filters restrict rows', async () => {
    const buckets = await collect(
      streamBuckets(pool, {
        ...plan,
        successRule: { field: 'state', op: '!=', value: '2' },
        filters: [{ field: 'ip', op: '=', value: A }],
      }),
    );
    expect(buckets.map((b) => [b.start - T0, b.tuples.map((t) => [t.by, t.count, t.successful])])).toEqual([
      [
        0,
        [
          ['1', 1, 1],
          ['2', 1, 0],
        ],
      ],
      [MIN, [['1', 1, 1]]],
    ]);
    const none = await collect(streamBuckets(pool, { ...plan, filters: [{ field: 'state', op: 'in', value: '9' }] }));
    expect(none).toEqual([]);
  });

  it('buckets align to the epoch, whatever the range start', async () => {
    const span = 7 * 60;
    const starts = async (from: Date) =>
      (
        await collect(streamBuckets(pool, { ...plan, bucketSpanSeconds: span, from, to: utc('2024-01-02T00:00:00') }))
      ).map((b) => b.start);
    const a = await starts(utc('2023-12-31T00:00:00'));
    const b = await starts(utc('2024-01-01T00:01:00'));
    for (const s of [...a, ...b]) {
      expect(s % (span * 1000)).toBe(0);
    }
    // The later start only drops rows before it; the remaining buckets keep their boundaries.
    expect(b.every((s) => a.includes(s))).toBe(true);
    expect(a[0]).toBe(Math.floor(utc('2023-12-31T23:59:59').getTime() / (span * 1000)) * span * 1000);
  });

  it('bigint ids beyond 2^53 stay exact', async () => {
    await pool.query(`CREATE TABLE "${schema}".big (id bigint, ts timestamptz, state int)`);
    await pool.query(
      `INSERT INTO "${schema}".big VALUES (9007199254740993, '2024-01-01T00:00:01Z', 1), (9007199254740995, '2024-01-01T00:00:02Z', 1)`,
    );
    const big = await describeTable(pool, `${schema}.big`);
    const [bucket] = await collect(streamBuckets(pool, { ...plan, table: big }));
    expect(bucket.tuples[0].minId).toBe('9007199254740993');
    expect(bucket.tuples[0].maxId).toBe('9007199254740995');
  });

  it('negative ids and buckets before 1970 come through, text ids untouched', async () => {
    await pool.query(`CREATE TABLE "${schema}".old (id bigint, ts timestamptz, state int)`);
    await pool.query(
      `INSERT INTO "${schema}".old VALUES (-9007199254740995, '1969-12-31T23:58:30Z', 1), (-3, '1969-12-31T23:58:59Z', 2)`,
    );
    const old = await describeTable(pool, `${schema}.old`);
    const buckets = await collect(
      streamBuckets(pool, { ...plan, table: old, from: utc('1969-12-31T23:00:00'), to: utc('1970-01-01T00:00:00') }),
    );
    expect(buckets).toEqual([
      {
        start: Date.UTC(1969, 11, 31, 23, 58),
        tuples: [
          { by: '1', over: null, count: 1, successful: 1, minId: '-9007199254740995', maxId: '-9007199254740995' },
          { by: '2', over: null, count: 1, successful: 1, minId: '-3', maxId: '-3' },
        ],
      },
    ]);
    expect(parseStats('-60000 12 0 -5 7')).toEqual({
      bucket: -60000,
      count: 12,
      successful: 0,
      minId: '-5',
      maxId: '7',
    });
    expect(() => parseStats('1 2 3')).toThrow(/five numbers/);
  });

  it('timestamp without time zone and date columns are read as UTC', async () => {
    await pool.query(`CREATE TABLE "${schema}".naive (id int, ts timestamp, d date, state text)`);
    await pool.query(
      `INSERT INTO "${schema}".naive VALUES (1, '2024-01-01 00:00:10', '2024-01-01', 'a'), (2, '2024-01-01 01:00:00', '2024-01-02', 'b')`,
    );
    const naive = await describeTable(pool, `${schema}.naive`);
    const hours = await collect(
      streamBuckets(pool, { ...plan, table: naive, bucketSpanSeconds: 3600, to: utc('2024-01-03T00:00:00') }),
    );
    expect(hours.map((b) => [b.start - T0, b.tuples[0].by])).toEqual([
      [0, 'a'],
      [3_600_000, 'b'],
    ]);
    const days = await collect(
      streamBuckets(pool, {
        ...plan,
        table: naive,
        timeColumn: col(naive, 'd'),
        bucketSpanSeconds: 86400,
        to: utc('2024-01-03T00:00:00'),
      }),
    );
    expect(days.map((b) => b.start - T0)).toEqual([0, 86_400_000]);
  });

  it('SQL has one GROUP BY with bind parameters only', () => {
    const s = pushdownSql({
      ...plan,
      overColumn: col(table, 'ip'),
      filters: [{ field: 'key', op: '=', value: "x'); DROP TABLE logs; --" }],
    });
    expect(s.text).toMatch(/date_bin\(\$1::interval, t\."ts", \$2::timestamptz\)/);
    // Grouped by the bucket expression itself, so the epoch conversion runs once per group; text under "C".
    const keys = 'date_bin($1::interval, t."ts", $2::timestamptz), t."state", t."ip"::text COLLATE "C"';
    expect(s.text).toContain(`GROUP BY ${keys}`);
    expect(s.text).toContain(`ORDER BY ${keys}`);
    expect(s.text).not.toContain('DROP');
    expect(s.values).toContain("x'); DROP TABLE logs; --");
  });

  it('refuses nonsense plans: bad span, reversed range, too many buckets', () => {
    expect(() => pushdownSql({ ...plan, bucketSpanSeconds: 0 })).toThrow(StoreError);
    expect(() => pushdownSql({ ...plan, from: plan.to, to: plan.from })).toThrow(/ends .* before it starts/);
    expect(() =>
      pushdownSql({ ...plan, bucketSpanSeconds: 1, from: utc('2000-01-01'), to: utc('2024-01-01') }),
    ).toThrow(expect.objectContaining({ kind: 'range_too_large' }));
    expect(() => pushdownSql({ ...plan, byColumn: col(table, 'ts') })).toThrow(
      expect.objectContaining({ kind: 'column_type' }),
    );
    expect(() => pushdownSql({ ...plan, idColumn: col(table, 'ip') })).toThrow(
      expect.objectContaining({ kind: 'column_type' }),
    );
    // A column resolved against another table is not taken on trust.
    expect(() => pushdownSql({ ...plan, byColumn: { ...col(table, 'state'), name: 'elsewhere' } })).toThrow(
      expect.objectContaining({ kind: 'column_missing' }),
    );
  });

  describe('streaming', () => {
    let many: TableInfo;
    const N = 12_000;

    beforeAll(async () => {
      await pool.query(`CREATE TABLE "${schema}".many (id bigserial, ts timestamptz, state int)`);
      await pool.query(
        `INSERT INTO "${schema}".many (ts, state) SELECT '2024-01-01T00:00:00Z'::timestamptz + g * interval '1 minute', g % 3 FROM generate_series(0, ${N - 1}) g`,
      );
      many = await describeTable(pool, `${schema}.many`);
    });

    const manyPlan = () => ({ ...plan, table: many, from: utc('2024-01-01T00:00:00'), to: utc('2024-01-10T00:00:00') });

    it('a consumer slower than the server holds at most bufferRows rows (plus one network read), not the whole result', async () => {
      const held: number[] = [];
      const buckets: BucketInput[] = [];
      for await (const b of streamBuckets(pool, manyPlan(), { bufferRows: 100, onPause: (n) => held.push(n) })) {
        buckets.push(b);
        // The engine scoring: slower than the server, which then waits with its rows.
        if (buckets.length % 500 === 0) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      expect(buckets).toHaveLength(N);
      expect(buckets.every((b, i) => i === 0 || b.start > buckets[i - 1].start)).toBe(true);
      expect(held.length).toBeGreaterThan(0);
      // A network read is at most 64 kB: under 2 000 of these rows.
      expect(Math.max(...held)).toBeLessThan(100 + 2000);
      expect(Math.max(...held)).toBeLessThan(N / 4);
    });

    it('a consumer that stops early ends the statement on the server, and the pool keeps no busy client', async () => {
      const gen = streamBuckets(pool, manyPlan(), { bufferRows: 50 });
      let seen = 0;
      for await (const _ of gen) {
        if (++seen === 3) {
          break;
        }
      }
      expect(pool.totalCount).toBe(pool.idleCount);
      expect(pool.waitingCount).toBe(0);
      // The statement was not left running (or waiting to send) on the server.
      await expect.poll(async () => (await pool.query(ACTIVE_PUSHDOWNS)).rows[0].n, { timeout: 5000 }).toBe(0);
      for (let i = 0; i < 5; i++) {
        await pool.query('SELECT 1');
      }
      expect(pool.totalCount).toBe(pool.idleCount);
    });

    it('a consumer that stops early while the server is blocked sending ends the statement too', async () => {
      // 200 000 groups of a few dozen bytes: far more than the sockets' buffers hold, so once the chunk pauses
      // reading, the server waits in its write, deaf to a cancel or a Terminate until it can write again.
      await pool.query(`CREATE TABLE "${schema}".wide (id bigserial, ts timestamptz, state int, ip text)`);
      await pool.query(
        `INSERT INTO "${schema}".wide (ts, state, ip) SELECT '2024-01-01T00:00:00Z'::timestamptz + (g % 10) * interval '1 minute', 1, 'ip-' || g FROM generate_series(1, 200000) g`,
      );
      const wide = await describeTable(pool, `${schema}.wide`);
      const widePlan = {
        ...plan,
        table: wide,
        timeColumn: col(wide, 'ts'),
        idColumn: col(wide, 'id'),
        byColumn: col(wide, 'state'),
        overColumn: col(wide, 'ip'),
        to: utc('2024-01-01T00:10:00'),
      };
      const held: number[] = [];
      const gen = streamBuckets(pool, widePlan, { bufferRows: 100, onPause: (n) => held.push(n) });
      const first = await gen.next();
      expect(first.done).toBe(false);
      // Give the server time to fill the socket's buffers and block.
      await expect.poll(async () => (await pool.query(BLOCKED_SENDING)).rows[0].n, { timeout: 10_000 }).toBe(1);
      await gen.return(undefined);
      expect(held.length).toBeGreaterThan(0);
      await expect.poll(async () => (await pool.query(ACTIVE_PUSHDOWNS)).rows[0].n, { timeout: 10_000 }).toBe(0);
      expect(pool.totalCount).toBe(pool.idleCount);
    });

    it("the benchmarks' baseline runs the same aggregate and counts its rows without keeping them", async () => {
      expect(await runBareAggregate(pool, manyPlan())).toBe(N);
      expect(pool.totalCount).toBe(pool.idleCount);
      const missing = { ...manyPlan(), table: { ...many, qualified: `"${schema}"."gone"` } };
      await expect(runBareAggregate(pool, missing)).rejects.toBeInstanceOf(StoreError);
      expect(pool.totalCount).toBe(pool.idleCount);
    });

    it('return() before the first bucket and repeated early stops never leak clients', async () => {
      for (let i = 0; i < 10; i++) {
        const gen = streamBuckets(pool, manyPlan(), { bufferRows: 10 });
        await gen.next();
        await gen.return(undefined);
      }
      expect(pool.totalCount).toBeLessThanOrEqual(3);
      expect(pool.totalCount).toBe(pool.idleCount);
    });

    it('a failing query releases (and discards) its client and reports a StoreError', async () => {
      await pool.query(`CREATE TYPE "${schema}".mood AS ENUM ('ok')`);
      await pool.query(`CREATE TABLE "${schema}".moody (id int, ts timestamptz, feeling "${schema}".mood)`);
      const moody = await describeTable(pool, `${schema}.moody`);
      const gen = streamBuckets(pool, {
        ...plan,
        table: moody,
        byColumn: col(moody, 'feeling'),
        filters: [{ field: 'feeling', op: '=', value: 'sad' }],
      });
      await expect(gen.next()).rejects.toMatchObject({ kind: 'invalid_filter' });
      expect(pool.totalCount).toBe(pool.idleCount);
      await pool.query('SELECT 1');
    });

    it('an exception thrown by the consumer also releases the client', async () => {
      await expect(
        (async () => {
          for await (const _ of streamBuckets(pool, manyPlan(), { bufferRows: 10 })) {
            throw new Error('consumer failed');
          }
        })(),
      ).rejects.toThrow('consumer failed');
      expect(pool.totalCount).toBe(pool.idleCount);
    });
  });
});
