/**
 * One server against a coordinator and two shards on the same rows: the bench table, and a copy of it
 * partitioned by time whose first third stays on the coordinator and whose other two thirds are postgres_fdw
 * foreign partitions on two more embedded servers. Each shard is reached through a byte-counting TCP relay on
 * loopback, so "bytes received" is what the shards really sent the coordinator (protocol overhead included),
 * not an estimate. The bare aggregate is the single statement over the partitioned table, which PostgreSQL
 * aggregates on the coordinator from every raw row; detection reads it partition-wise, the GROUP BY running on
 * the shards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runDetection } from '../pkg-backend/src/query/detection.ts';
import { detectorRequest } from '../pkg-backend/src/query/request.ts';
import {
  BENCH_TABLE_START,
  createShardedCopy,
  describeTable,
  dropShardedCopy,
  ensureBenchTable,
  resolveColumn,
  runBareAggregate,
  startEmbeddedPostgres,
  streamChunks,
  type EmbeddedHandle,
} from '../pkg-backend/src/store/index.ts';
import { BENCH_SUCCESS_RULE, benchPlan } from './shape.ts';

const SOURCE = 'public.rarity_bench_shards_source';
const SHARDED = 'rarity_bench_sharded';
const DAY = 86_400_000;

/** A loopback relay to `port` counting the bytes coming back from it. */
async function countingRelay(
  port: number,
): Promise<{ port: number; received: () => number; close: () => Promise<void> }> {
  let received = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const upstream = createConnection({ host: '127.0.0.1', port });
    upstream.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    received: () => received,
    // The coordinator keeps its connections to a shard open for the session: cut them, or close never returns.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) {
          socket.destroy();
        }
      }),
  };
}

export interface ShardsMeasure {
  seconds: number;
  /** Bytes the shards sent the coordinator; 0 for the one server. */
  bytes: number;
}

export interface ShardsResult {
  rows: number;
  copySeconds: number;
  detectors: Array<{
    label: string;
    plain: { bare: ShardsMeasure; stream: ShardsMeasure; detect: ShardsMeasure };
    sharded: { bare: ShardsMeasure; stream: ShardsMeasure; detect: ShardsMeasure };
  }>;
}

export async function benchShards(
  pool: pg.Pool,
  options: { rows: number; log: (line: string) => void },
): Promise<ShardsResult> {
  const dirs: string[] = [];
  const shards: EmbeddedHandle[] = [];
  const relays: Array<Awaited<ReturnType<typeof countingRelay>>> = [];
  const shardPools: pg.Pool[] = [];
  try {
    await ensureBenchTable(pool, SOURCE, options.rows);
    for (let i = 0; i < 2; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'rarity-bench-shard-'));
      dirs.push(dir);
      const handle = await startEmbeddedPostgres({ dataDir: dir, persistent: false });
      shards.push(handle);
      relays.push(await countingRelay(Number(new URL(handle.url).port)));
      const shardPool = new pg.Pool({ connectionString: handle.url, max: 2 });
      shardPool.on('error', () => undefined);
      shardPools.push(shardPool);
    }
    const source = await describeTable(pool, SOURCE);
    options.log(`copying ${options.rows.toLocaleString('en')} rows to the coordinator and two shards`);
    const t0 = Date.now();
    await createShardedCopy(pool, {
      source,
      timeColumn: resolveColumn(source, 'ts', 'time'),
      name: SHARDED,
      boundaries: [new Date(BENCH_TABLE_START.getTime() + 10 * DAY), new Date(BENCH_TABLE_START.getTime() + 20 * DAY)],
      shards: shards.map((s, i) => {
        const url = new URL(s.url);
        return {
          host: '127.0.0.1',
          port: relays[i].port,
          database: url.pathname.slice(1),
          user: decodeURIComponent(url.username),
          password: decodeURIComponent(url.password),
          pool: shardPools[i],
        };
      }),
    });
    const copySeconds = (Date.now() - t0) / 1000;
    const from = BENCH_TABLE_START;
    const to = new Date(BENCH_TABLE_START.getTime() + 30 * DAY + 1000);
    const received = () => relays.reduce((n, r) => n + r.received(), 0);
    const measure = async (run: () => Promise<unknown>): Promise<ShardsMeasure> => {
      const before = received();
      const started = process.hrtime.bigint();
      await run();
      return { seconds: Number(process.hrtime.bigint() - started) / 1e9, bytes: received() - before };
    };
    const forTable = async (table: string, over: string | undefined) => {
      const info = await describeTable(pool, table);
      const plan = { ...benchPlan(info, from, to), overColumn: over ? resolveColumn(info, over, 'over') : undefined };
      const bare = await measure(() => runBareAggregate(pool, plan));
      // The pushdown alone, in a job's chunks of a week: what the partition-wise statements cost.
      const stream = await measure(async () => {
        for await (const event of streamChunks(pool, plan, { chunkEnd: (at) => at + 7 * DAY })) {
          void event;
        }
      });
      const detect = await measure(() =>
        runDetection(
          pool,
          detectorRequest(
            { function: over ? 'freq_rare' : 'rare', byField: 'state', overField: over, bucketSpan: '5m' },
            { table, timeColumn: 'ts', idColumn: 'id', successRule: BENCH_SUCCESS_RULE },
          ),
          { from, to },
        ),
      );
      return { bare, stream, detect };
    };
    const detectors: ShardsResult['detectors'] = [];
    for (const [label, over] of [
      ['rare by state', undefined],
      ['freq_rare by state over ip', 'ip'],
    ] as const) {
      // Warm both (caches, the coordinator's connections to the shards), then measure.
      await forTable(SOURCE, over);
      await forTable(`public.${SHARDED}`, over);
      detectors.push({
        label,
        plain: await forTable(SOURCE, over),
        sharded: await forTable(`public.${SHARDED}`, over),
      });
    }
    return { rows: options.rows, copySeconds, detectors };
  } finally {
    await dropShardedCopy(pool, 'public', SHARDED).catch(() => undefined);
    await Promise.all(shardPools.map((p) => p.end()));
    await Promise.allSettled(shards.map((s) => s.stop()));
    await Promise.all(relays.map((r) => r.close()));
    for (const dir of dirs) {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
