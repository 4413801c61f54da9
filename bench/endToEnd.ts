/**
 * End-to-end detection on a generated table against the bare aggregate SQL on the same table in the same
 * run: the design promises the engine adds little to the aggregate Postgres would run anyway.
 */
import type pg from 'pg';
import { runDetection } from '../pkg-backend/src/query/detection.ts';
import { detectorRequest } from '../pkg-backend/src/query/request.ts';
import { describeTable, ensureBenchTable, runBareAggregate } from '../pkg-backend/src/store/index.ts';
import { benchPlan } from './shape.ts';

export const BENCH_TABLE = 'public.rarity_bench_logs';

export async function createBenchTable(pool: pg.Pool, rows: number): Promise<void> {
  await ensureBenchTable(pool, BENCH_TABLE, rows);
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return [value, Number(process.hrtime.bigint() - t0) / 1e9];
}

export async function benchEndToEnd(pool: pg.Pool, repeats = 3) {
  const from = new Date('2026-01-01T00:00:00Z');
  const to = new Date('2026-01-31T00:00:01Z');
  const table = await describeTable(pool, BENCH_TABLE);
  const plan = benchPlan(table, from, to);
  const results: Array<{ bare: number; detect: number }> = [];
  for (let i = 0; i < repeats; i++) {
    // The baseline reads the whole aggregate result, as our stream does.
    const [, bareSeconds] = await timed(() => runBareAggregate(pool, plan));
    const [, detectSeconds] = await timed(() =>
      runDetection(
        pool,
        detectorRequest(
          { function: 'freq_rare', byField: 'state', overField: 'ip', bucketSpan: '5m' },
          { table: BENCH_TABLE, timeColumn: 'ts', idColumn: 'id', successRule: plan.successRule },
        ),
        { from, to },
      ),
    );
    results.push({ bare: bareSeconds, detect: detectSeconds });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { bare: median(results.map((r) => r.bare)), detect: median(results.map((r) => r.detect)) };
}
