/**
 * A log table partitioned by time over three servers — one local partition on the coordinator, two
 * postgres_fdw foreign partitions on two shards — against the same rows in one plain table: the same
 * pushdown rows in the same order, the same detection (rare, population rare, freq_rare) and the same
 * multi-detector job, while the pushdown reaches the shards as GROUP BY statements computed there.
 * The partition boundaries are not bucket-aligned, so buckets straddling them are merged from two servers.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseElasticJob } from '../../common/elasticJob.ts';
import { runDetection } from '../../pkg-backend/src/query/detection.ts';
import { runJob, type JobRequest } from '../../pkg-backend/src/query/jobRun.ts';
import { detectorRequest } from '../../pkg-backend/src/query/request.ts';
import {
  createShardedCopy,
  describeTable,
  resolveColumn,
  streamChunks,
  type ChunkEvent,
} from '../../pkg-backend/src/store/index.ts';
import { startServers, stopServers, type ExtraServer } from '../setup/extraServers.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const DAY = 86_400_000;
const SPAN_MS = 600_000;
const SUCCESS = { field: 'state', op: '=', value: '1' } as const;
const settings = (table: string) => ({ table, timeColumn: 'ts', idColumn: 'id', successRule: SUCCESS });

let servers: ExtraServer[] = [];
let coordinator: pg.Pool;
const shardPools: pg.Pool[] = [];

beforeAll(async () => {
  servers = [...(await startServers(1)), ...(await startServers(2, { trackStatements: true }))];
  coordinator = new pg.Pool({ connectionString: servers[0].url, max: 6 });
  // Servers stopping at the end close idle connections with an error event; nothing is waiting for them then.
  coordinator.on('error', () => undefined);
  await coordinator.query(
    'CREATE TABLE plain (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, ip text, state int, key varchar(8))',
  );
  // Three days, a request a minute from many addresses, rare states now and then, a quiet stretch, some
  // rows without a key or an address.
  await coordinator.query(
    `INSERT INTO plain (ts, ip, state, key)
     SELECT to_timestamp($1::float8 / 1000) + g * interval '1 minute',
            CASE WHEN g % 211 = 7 THEN NULL ELSE '10.0.' || (g % 5) || '.' || (g % 37) END,
            CASE WHEN g % 997 = 500 THEN 9 WHEN g % 53 = 0 THEN 2 ELSE 1 END,
            CASE g % 6 WHEN 0 THEN 'k1' WHEN 1 THEN 'k2' WHEN 3 THEN 'k1' WHEN 2 THEN NULL ELSE '' END
       FROM generate_series(0, 3 * 1440 - 1) g WHERE g NOT BETWEEN 2500 AND 2700`,
    [T0],
  );
  const source = await describeTable(coordinator, 'public.plain');
  for (const s of servers.slice(1)) {
    const pool = new pg.Pool({ connectionString: s.url, max: 2 });
    pool.on('error', () => undefined);
    shardPools.push(pool);
  }
  const copied = await createShardedCopy(coordinator, {
    source,
    timeColumn: resolveColumn(source, 'ts', 'time'),
    name: 'logs',
    // 5 and 3 minutes into a 10-minute bucket.
    boundaries: [new Date(T0 + DAY + 5 * 60_000), new Date(T0 + 2 * DAY + 3 * 60_000)],
    shards: servers.slice(1).map((s, i) => ({
      host: '127.0.0.1',
      port: s.port,
      database: 'rarity',
      user: 'postgres',
      password: 'rarity',
      pool: shardPools[i],
    })),
  });
  expect(copied).toBe(3 * 1440 - 201);
  for (const s of servers.slice(1)) {
    await s.resetStatements();
  }
});

afterAll(async () => {
  await coordinator?.end();
  await Promise.all(shardPools.map((p) => p.end()));
  await stopServers(servers);
});

afterEach(() => {
  delete process.env.RARITY_JOB_CHUNK_BUCKETS;
});

async function chunks(table: string, over: string | undefined): Promise<ChunkEvent[]> {
  const info = await describeTable(coordinator, table);
  const events: ChunkEvent[] = [];
  for await (const e of streamChunks(
    coordinator,
    {
      table: info,
      timeColumn: resolveColumn(info, 'ts', 'time'),
      idColumn: resolveColumn(info, 'id', 'id'),
      byColumn: resolveColumn(info, 'state', 'by'),
      overColumn: over ? resolveColumn(info, over, 'over') : undefined,
      bucketSpanSeconds: SPAN_MS / 1000,
      from: new Date(T0),
      to: new Date(T0 + 3 * DAY),
      successRule: SUCCESS,
      filters: [{ field: 'ip', op: '!=', value: '10.0.3.3' }],
    },
    { chunkEnd: (from) => from + 31 * SPAN_MS, prefetch: 2, bufferRows: 97 },
  )) {
    events.push(e);
  }
  return events;
}

/**
 * Group ids hash the detector's definition, table included: the same groups of two tables differ only there.
 * Each id becomes its group's position.
 */
function comparable<
  R extends { records: Array<{ groupId?: string | null }>; groups: Array<{ id: string }>; buckets: unknown[] },
>(result: R) {
  const ids = new Map(result.groups.map((g, i) => [g.id, `group ${i}`]));
  const id = (value: string | null | undefined) => (value ? (ids.get(value) ?? `unknown ${value}`) : value);
  return {
    records: result.records.map((r) => ({ ...r, groupId: id(r.groupId) })),
    groups: result.groups.map((g) => ({ ...g, id: id(g.id) })),
    buckets: result.buckets,
  };
}

/** What reached each shard since the last call (statements that name its partition); resets the counts. */
async function takeShardStatements(): Promise<string[][]> {
  return Promise.all(
    servers.slice(1).map(async (s, i) => {
      const seen = await s.statements();
      await s.resetStatements();
      return seen.map((r) => r.query).filter((q) => q.includes(`logs_p${i + 1}`));
    }),
  );
}

/** The pushdown's statements at each shard: at least one, each a GROUP BY computed there. */
function expectShippedAggregates(perShard: string[][]): void {
  for (const statements of perShard) {
    const pushdown = statements.filter((q) => q.includes('date_bin'));
    expect(pushdown.length).toBeGreaterThan(0);
    for (const text of pushdown) {
      expect(text, text).toMatch(/GROUP BY/);
      expect(text, text).toMatch(/count\(\*\)/);
    }
  }
}

/**
 * The table's time extent, taken leaf by leaf (store/bounds.ts) so that each shard computes its own min / max:
 * over the parent, PostgreSQL would pull a foreign partition's timestamps to the coordinator.
 */
/** A group's statistics over one foreign leaf, computed by the shard (store/jobGroups.ts). */
const GROUP_STATS = /^DECLARE c\d+ CURSOR FOR\nSELECT \$1, min\(id\), max\(id\), count\(\*\)/;

const TIME_PROBE = /^DECLARE c\d+ CURSOR FOR\nSELECT min\(ts\), max\(ts\) FROM public\.logs_p\d/;

describe('a table partitioned over a coordinator and two postgres_fdw shards', () => {
  it('streams exactly the plain table’s pushdown rows, buckets straddling partitions merged', async () => {
    for (const over of [undefined, 'ip', 'key']) {
      const sharded = await chunks('public.logs', over);
      expect(sharded.filter((e) => e.kind === 'bucket').length).toBeGreaterThan(300);
      expect(sharded).toEqual(await chunks('public.plain', over));
    }
    const shipped = await takeShardStatements();
    expectShippedAggregates(shipped);
    // Nothing else: every statement a shard received was the aggregate of its partition.
    expect(shipped.flat().every((q) => q.includes('date_bin'))).toBe(true);
  });

  it('gives detection identical records, groups and bucket scores', async () => {
    process.env.RARITY_JOB_CHUNK_BUCKETS = '40';
    for (const [fn, over] of [
      ['rare', undefined],
      ['rare', 'ip'],
      ['freq_rare', 'ip'],
    ] as const) {
      const query = { function: fn, byField: 'state', overField: over, bucketSpan: '10m' } as const;
      const plain = await runDetection(coordinator, detectorRequest(query, settings('public.plain')));
      const sharded = await runDetection(coordinator, detectorRequest(query, settings('public.logs')));
      expect(plain.records.length).toBeGreaterThan(0);
      expect(plain.groups.length).toBeGreaterThan(0);
      expect(comparable(sharded)).toEqual(comparable(plain));
    }
    const shipped = await takeShardStatements();
    expectShippedAggregates(shipped);
    const others = shipped.flat().filter((q) => !q.includes('date_bin'));
    expect(others.length).toBeGreaterThan(0);
    expect(
      others.every((q) => TIME_PROBE.test(q)),
      others.join('\n'),
    ).toBe(true);
  });

  it('gives a multi-detector job identical records, groups and buckets', async () => {
    process.env.RARITY_JOB_CHUNK_BUCKETS = '40';
    const job = parseElasticJob({
      analysis_config: {
        bucket_span: '10m',
        detectors: [
          { function: 'rare', by_field_name: 'state', over_field_name: 'ip' },
          { function: 'freq_rare', by_field_name: 'state', over_field_name: 'ip' },
          { function: 'rare', by_field_name: 'state', partition_field_name: 'key' },
          { function: 'rare', by_field_name: 'successful', over_field_name: 'ip' },
        ],
        influencers: ['ip'],
      },
    });
    const request = (table: string): JobRequest => ({ ...settings(table), job });
    const plain = await runJob(coordinator, request('public.plain'));
    const sharded = await runJob(coordinator, request('public.logs'));
    expect(plain.records.length).toBeGreaterThan(0);
    expect(plain.groups.length).toBeGreaterThan(0);
    expect(comparable(sharded)).toEqual(comparable(plain));
    expect(sharded.influencers).toEqual(plain.influencers);
    // The pushdown is shipped, and so are the time extent and the anomaly-group statistics (store/jobGroups.ts,
    // one aggregate per group and leaf): no shard sends raw rows.
    const shipped = await takeShardStatements();
    expectShippedAggregates(shipped);
    const others = shipped.flat().filter((q) => !q.includes('date_bin'));
    const groupStats = others.filter((q) => GROUP_STATS.test(q));
    expect(groupStats.length, others.join('\n')).toBeGreaterThan(0);
    expect(
      others.every((q) => TIME_PROBE.test(q) || GROUP_STATS.test(q)),
      others.join('\n'),
    ).toBe(true);
  });
});
