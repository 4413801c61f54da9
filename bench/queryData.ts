/**
 * (c) The built executable as Grafana runs it (test/backend/host.ts: spawned without PATH, real gRPC):
 * handshake latency, QueryData latency of `scores` (freq_rare by state over ip, 7-day ranges) on the seeded
 * demo, and the size of each executable in dist/datasource/. Every call has its own 7-day window and sends
 * X-Cache-Skip, so the 10 s result cache (pkg-backend/src/query/cache.ts) never answers instead of the work.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { seedDemo } from '../pkg-backend/src/demo/seed.ts';
import {
  backendOutDir,
  connect,
  dataQuery,
  ensureBuiltExecutable,
  pluginContext,
  startPlugin,
  type TestDatasource,
} from '../test/backend/host.ts';
import { grafanaDatasource } from '../test/backend/e2e.ts';

export const DEMO_TABLE = 'public.rarity_bench_weblogs';
const DAY = 86_400_000;
const HOUR = 3_600_000;

export interface QueryDataBenchOptions {
  databaseUrl: string;
  days?: number;
  rowsPerDay?: number;
  calls?: number;
  handshakes?: number;
}

export interface QueryDataBenchResult {
  rows: number;
  seedSeconds: number;
  handshakeMs: number[];
  latenciesMs: number[];
  p50: number;
  p99: number;
  sizes: Array<{ file: string; bytes: number }>;
}

/** Nearest-rank percentile. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

function datasource(databaseUrl: string): TestDatasource {
  return grafanaDatasource(databaseUrl, { table: DEMO_TABLE, queryTimeoutSeconds: 300 }, { uid: 'rarity-bench' });
}

export async function benchQueryData(pool: pg.Pool, options: QueryDataBenchOptions): Promise<QueryDataBenchResult> {
  const days = options.days ?? 30;
  const rowsPerDay = options.rowsPerDay ?? 20_000;
  const calls = options.calls ?? 30;
  ensureBuiltExecutable();

  const t0 = Date.now();
  const end = new Date(Math.floor(Date.now() / HOUR) * HOUR);
  const seed = await seedDemo(pool, { days, rowsPerDay, end, table: DEMO_TABLE });
  const seedSeconds = (Date.now() - t0) / 1000;

  const handshakeMs: number[] = [];
  for (let i = 0; i < (options.handshakes ?? 3) - 1; i++) {
    const p = await startPlugin();
    handshakeMs.push(p.handshakeMs);
    await p.dispose();
  }
  const plugin = await startPlugin();
  handshakeMs.push(plugin.handshakeMs);
  const client = connect(plugin.address);
  const ds = datasource(options.databaseUrl);
  const latenciesMs: number[] = [];
  try {
    // 7-day windows ending at distinct hours, newest first, all after the learning days.
    const lastEnd = seed.to.getTime();
    const firstEnd = seed.from.getTime() + 7 * DAY + 3 * DAY;
    const step = Math.max(HOUR, Math.floor((lastEnd - firstEnd) / Math.max(1, calls - 1) / HOUR) * HOUR);
    for (let i = 0; i < calls; i++) {
      const to = Math.max(firstEnd, lastEnd - i * step);
      const started = process.hrtime.bigint();
      const res = await client.queryData({
        pluginContext: pluginContext(ds),
        headers: { 'X-Cache-Skip': 'true' },
        queries: [
          dataQuery(
            'A',
            {
              refId: 'A',
              queryType: 'scores',
              function: 'freq_rare',
              byField: 'state',
              overField: 'ip',
              bucketSpan: '5m',
            },
            { from: to - 7 * DAY, to, queryType: 'scores' },
          ),
        ],
      });
      latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
      const r = res.responses.A;
      if (r.error) {
        throw new Error(`scores query failed: ${r.error}`);
      }
      if (!r.frames?.length) {
        throw new Error('scores query returned no frames');
      }
    }
  } finally {
    client.close();
    await plugin.dispose();
  }

  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const dir = backendOutDir();
  const sizes = readdirSync(dir)
    .filter((f) => f.startsWith('gpx_rarity_'))
    .map((file) => ({ file, bytes: statSync(join(dir, file)).size }));
  return {
    rows: seed.rows,
    seedSeconds,
    handshakeMs,
    latenciesMs,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    sizes,
  };
}
