/**
 * End-to-end detection on a generated table against the bare aggregate SQL on the same table in the same
 * run: the design promises the engine adds little to the aggregate Postgres would run anyway.
 */
import type pg from 'pg';
import { runDetection } from '../pkg-backend/src/query/detection.ts';
import { describeTable } from '../pkg-backend/src/store/catalogue.ts';
import { bareAggregateSql } from '../pkg-backend/src/store/pushdown.ts';

export const BENCH_TABLE = 'public.rarity_bench_logs';

/** Generates `rows` web-log rows over 30 days in SQL (generate_series), so even 10 M rows load in seconds. */
export async function createBenchTable(pool: pg.Pool, rows: number): Promise<void> {
  const existing = await pool.query(
    `SELECT (SELECT count(*) FROM ${BENCH_TABLE}) AS n WHERE to_regclass($1) IS NOT NULL`,
    [BENCH_TABLE],
  ).catch(() => ({ rows: [] as { n: string }[] }));
  if (existing.rows[0] && Number(existing.rows[0].n) === rows) return;
  await pool.query(`DROP TABLE IF EXISTS ${BENCH_TABLE}`);
  await pool.query(`CREATE TABLE ${BENCH_TABLE} (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, ip text, key text, product int, state int, machine_code text, country text)`);
  await pool.query(
    `INSERT INTO ${BENCH_TABLE} (ts, ip, key, product, state, machine_code, country)
     SELECT timestamptz '2026-01-01' + (g::float8 / $1) * interval '30 days',
            '10.' || (h % 7) || '.' || (h % 251) || '.0',
            'K-' || (h % 400),
            1 + (h % 5),
            CASE WHEN h % 1000 < 960 THEN 1 WHEN h % 1000 < 990 THEN 2 WHEN h % 1000 < 999 THEN 3 ELSE 4 END,
            md5((h % 900)::text),
            (ARRAY['US','DE','SE','GB','FR','IN','BR','JP','NL','PL'])[1 + h % 10]
       FROM generate_series(1, $1) AS g, LATERAL (SELECT abs(hashint4(g)) AS h) x`,
    [rows],
  );
  await pool.query(`CREATE INDEX ON ${BENCH_TABLE} (ts)`);
  await pool.query(`ANALYZE ${BENCH_TABLE}`);
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
  const plan = {
    table, timeColumn: 'ts', idColumn: 'id', byColumn: 'state', overColumn: 'ip', bucketSpanSeconds: 300, from, to,
    successRule: { field: 'state', op: '=' as const, value: '1' },
  };
  const bare = bareAggregateSql(plan);
  const results: { bare: number; detect: number }[] = [];
  for (let i = 0; i < repeats; i++) {
    // The baseline reads the whole aggregate result, as our stream does.
    const [, bareSeconds] = await timed(() => pool.query(bare.text, bare.values));
    const [, detectSeconds] = await timed(() =>
      runDetection(pool, {
        table: BENCH_TABLE, timeColumn: 'ts', idColumn: 'id', function: 'freq_rare', byField: 'state', overField: 'ip',
        bucketSpan: '5m', from, to, successRule: plan.successRule,
      }),
    );
    results.push({ bare: bareSeconds, detect: detectSeconds });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { bare: median(results.map((r) => r.bare)), detect: median(results.map((r) => r.detect)) };
}
