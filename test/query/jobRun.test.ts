/**
 * runJob against runDetection and against the table itself: a one-detector job gives the records'
 * probabilities of the plain detector, a partitioned job keeps the partition "" (null and empty keys), its
 * groups count the value's rows exactly, and influencers reach records and results.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseElasticJob } from '../../common/elasticJob.ts';
import { runDetection } from '../../pkg-backend/src/query/detection.ts';
import { runJob, type JobRequest } from '../../pkg-backend/src/query/jobRun.ts';
import { detectorRequest } from '../../pkg-backend/src/query/request.ts';
import { createDatabase } from '../setup/databases.ts';

let pool: pg.Pool;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const SUCCESS = { field: 'state', op: '=', value: '1' } as const;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await createDatabase('rarity_job_run') });
  await pool.query(
    'CREATE TABLE logs (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, ip text, state int, key text)',
  );
  // Two days, a request a minute; keys k1, k2 and none (null or ''), a rare state 9 now and then.
  await pool.query(
    `INSERT INTO logs (ts, ip, state, key)
     SELECT to_timestamp($1::float8 / 1000) + g * interval '1 minute', '10.0.' || (g % 5) || '.' || (g % 37),
            CASE WHEN g % 997 = 500 THEN 9 WHEN g % 53 = 0 THEN 2 ELSE 1 END,
            CASE g % 6 WHEN 0 THEN 'k1' WHEN 1 THEN 'k2' WHEN 3 THEN 'k1' WHEN 4 THEN 'k2' WHEN 2 THEN NULL ELSE '' END
       FROM generate_series(0, 2879) g`,
    [T0],
  );
});
afterAll(() => pool.end());

function job(body: object) {
  return parseElasticJob({ analysis_config: { bucket_span: '10m', ...body } });
}

function request(definition: ReturnType<typeof job>): JobRequest {
  return { table: 'public.logs', timeColumn: 'ts', idColumn: 'id', job: definition, successRule: SUCCESS };
}

describe('runJob', () => {
  it('a one-detector job gives the records of runDetection, probability for probability', async () => {
    const window = { from: new Date(T0 + 86_400_000) };
    const plain = await runDetection(
      pool,
      detectorRequest(
        { function: 'rare', byField: 'state', overField: 'ip', bucketSpan: '10m' },
        { table: 'public.logs', timeColumn: 'ts', idColumn: 'id', successRule: SUCCESS },
      ),
      window,
    );
    const result = await runJob(
      pool,
      request(job({ detectors: [{ function: 'rare', by_field_name: 'state', over_field_name: 'ip' }] })),
      window,
    );
    const key = (r: { time: number; by: string; over: string | null }) => `${r.time} ${r.by} ${r.over}`;
    expect(plain.records.length).toBeGreaterThan(0);
    const expected = new Map(plain.records.map((r) => [key(r), r.probability]));
    expect(new Set(result.records.map(key))).toEqual(new Set(expected.keys()));
    for (const r of result.records) {
      expect(r.probability).toBeCloseTo(expected.get(key(r))!, 12);
    }
    expect(result.buckets.map((b) => b.time)).toEqual(plain.buckets.map((b) => b.time));
    expect(result.buckets.reduce((n, b) => n + b.eventCount, 0)).toBe(1440);
  });

  it('keeps the partition "" and counts each group’s rows of its value exactly', async () => {
    const partitioned = request(
      job({ detectors: [{ function: 'rare', by_field_name: 'state', partition_field_name: 'key' }], influencers: [] }),
    );
    // State 9 at minute 500 is a row whose key is null: the partition "".
    const first = await runJob(pool, partitioned);
    const rare = first.records.find((r) => r.by === '9' && r.partition === '');
    expect(rare, JSON.stringify(first.records.filter((r) => r.by === '9'))).toBeDefined();
    const result = await runJob(pool, { ...partitioned, groupThreshold: Math.floor(rare!.score) });
    expect(result.groupField).toBe('key');
    const group = result.groups.find((g) => g.entity === '' && g.start <= rare!.time && g.end > rare!.time);
    expect(group, JSON.stringify(result.groups)).toBeDefined();
    const truth = await pool.query(
      `SELECT min(id)::text AS lo, max(id)::text AS hi, count(*)::int AS n, count(*) FILTER (WHERE state = 1)::int AS ok
         FROM logs WHERE coalesce(key, '') = '' AND ts >= $1 AND ts < $2`,
      [new Date(group!.start), new Date(group!.end)],
    );
    expect(group).toMatchObject({
      field: 'key',
      startingAt: truth.rows[0].lo,
      endingAt: truth.rows[0].hi,
      requests: truth.rows[0].n,
      successful: truth.rows[0].ok,
      unsuccessful: truth.rows[0].n - truth.rows[0].ok,
    });
    const records = result.records.filter((r) => r.groupId === group!.id);
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.partition === '')).toBe(true);
    // Same data, same ids.
    const again = await runJob(pool, { ...partitioned, groupThreshold: Math.floor(rare!.score) });
    expect(again.groups.map((g) => g.id)).toEqual(result.groups.map((g) => g.id));
  });

  it('takes `successful` as a by field and refuses a group field the job does not have', async () => {
    const result = await runJob(
      pool,
      request(job({ detectors: [{ function: 'freq_rare', by_field_name: 'successful', over_field_name: 'ip' }] })),
    );
    expect(result.records.every((r) => r.by === 'true' || r.by === 'false')).toBe(true);
    expect(result.records.some((r) => r.by === 'false')).toBe(true);
    await expect(
      runJob(pool, {
        ...request(job({ detectors: [{ function: 'rare', by_field_name: 'state' }] })),
        job: { ...job({ detectors: [{ function: 'rare', by_field_name: 'state' }] }), groupField: 'ip' },
      }),
    ).rejects.toThrow(/group field "ip" is none of the job's/);
    await expect(
      runJob(pool, {
        ...request(job({ detectors: [{ function: 'rare', by_field_name: 'successful' }] })),
        successRule: undefined,
      }),
    ).rejects.toThrow(/field "successful" is derived from the datasource's success rule/);
    await expect(
      runJob(
        pool,
        request(job({ detectors: [{ function: 'rare', by_field_name: 'state', over_field_name: 'no_such' }] })),
      ),
    ).rejects.toThrow(/detectors\[0\] .*column "no_such" does not exist/);
  });

  // Needs the engine's influencers (JobRecord.influencers, JobBucketResult.influencers).
  it('reports influencers on records and per bucket, and groups per the first influencer', async () => {
    const result = await runJob(
      pool,
      request(
        job({
          detectors: [{ function: 'rare', by_field_name: 'state', partition_field_name: 'key' }],
          influencers: ['ip'],
        }),
      ),
    );
    expect(result.groupField).toBe('ip');
    const rare = result.records.filter((r) => r.by === '9');
    expect(rare.length).toBeGreaterThan(0);
    expect(rare.every((r) => r.influencers.some((i) => i.field === 'ip' && i.influence >= 0.4))).toBe(true);
    expect(result.influencers.some((i) => i.field === 'ip' && i.score > 0)).toBe(true);
  });
});
