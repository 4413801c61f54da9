/**
 * Results of jobs with several detectors (their records carry a detector index, a partition and influencers,
 * and a bucket has influencer results). A chunk commits as a single-detector chunk does: progress first (the
 * row lock and the guard), then every row upserted on its natural key, then the snapshot, in one transaction.
 */
import type pg from 'pg';
import { exec, type StateContext } from './context.ts';
import { checkJobKey, getJob, missingJob } from './jobs.ts';
import {
  advanceProgress,
  batches,
  checkGroups,
  checkProgress,
  checkTime,
  invalid,
  writeGroups,
  writeSnapshot,
} from './results.ts';
import { isoTime, msSql } from './rows.ts';
import { encodeSnapshot } from './snapshotCodec.ts';
import { inTransaction } from './transaction.ts';
import type { InfluencerResult, JobChunk, JobResultBucket, JobResultRecord, JobResults } from './types.ts';

const at = (ms: number) => new Date(ms).toISOString();

function checkJobChunk(key: string, chunk: JobChunk): void {
  checkProgress(key, chunk);
  const until = chunk.processedUntil;
  const seen = new Set<number>();
  for (const b of chunk.buckets) {
    checkTime(key, b.time, 'bucket time');
    if (b.time >= until || seen.has(b.time)) {
      throw invalid(key, `bucket ${at(b.time)} is after the chunk's end ${at(until)} or appears twice`);
    }
    seen.add(b.time);
  }
  for (const r of chunk.records) {
    checkTime(key, r.time, 'record time');
    if (r.time >= until) {
      throw invalid(key, `record ${at(r.time)} is not before the chunk's end ${at(until)}`);
    }
  }
  const influencers = new Set<string>();
  for (const i of chunk.influencers) {
    checkTime(key, i.time, 'influencer time');
    const id = `${i.time}\u0000${i.field}\u0000${i.value}`;
    if (i.time >= until || influencers.has(id)) {
      throw invalid(key, `influencer ${i.field}=${i.value} at ${at(i.time)} is after the chunk or appears twice`);
    }
    influencers.add(id);
  }
  checkGroups(key, chunk.groups, until);
}

async function writeBuckets(ctx: StateContext, client: pg.PoolClient, key: string, rows: readonly JobResultBucket[]) {
  for (const b of batches(rows)) {
    await exec(
      ctx,
      client,
      `write bucket results of job ${key}`,
      `INSERT INTO ${ctx.tables.buckets} (job_key, time, raw_score, score, probability, learning, event_count)
       SELECT $1, u.* FROM unnest($2::timestamptz[], $3::float8[], $4::float8[], $5::float8[], $6::boolean[], $7::bigint[]) AS u
       ON CONFLICT (job_key, time) DO UPDATE SET raw_score = EXCLUDED.raw_score, score = EXCLUDED.score,
         probability = EXCLUDED.probability, learning = EXCLUDED.learning, event_count = EXCLUDED.event_count,
         interim = false`,
      [
        key,
        b.map((x) => isoTime(x.time, 'bucket time')),
        b.map((x) => x.rawScore),
        b.map((x) => x.score),
        b.map((x) => x.probability),
        b.map((x) => x.learning),
        b.map((x) => x.eventCount),
      ],
    );
  }
}

async function writeRecords(ctx: StateContext, client: pg.PoolClient, key: string, rows: readonly JobResultRecord[]) {
  // `seq` counts within a bucket over the whole chunk, which holds every record of its buckets.
  const seqByTime = new Map<number, number>();
  const seq = rows.map((r) => {
    const n = seqByTime.get(r.time) ?? 0;
    seqByTime.set(r.time, n + 1);
    return n;
  });
  for (let i = 0; i < rows.length; i += 5000) {
    const b = rows.slice(i, i + 5000);
    await exec(
      ctx,
      client,
      `write record results of job ${key}`,
      `INSERT INTO ${ctx.tables.jobRecords} (job_key, time, seq, detector, function, by_value, over_value, partition_value,
         probability, score, typical, actual, count, influencers, explanation, group_id)
       SELECT $1, u.* FROM unnest($2::timestamptz[], $3::integer[], $4::integer[], $5::text[], $6::text[], $7::text[],
         $8::text[], $9::float8[], $10::float8[], $11::float8[], $12::float8[], $13::bigint[], $14::jsonb[], $15::text[],
         $16::text[]) AS u
       ON CONFLICT (job_key, time, seq) DO UPDATE SET detector = EXCLUDED.detector, function = EXCLUDED.function,
         by_value = EXCLUDED.by_value, over_value = EXCLUDED.over_value, partition_value = EXCLUDED.partition_value,
         probability = EXCLUDED.probability, score = EXCLUDED.score, typical = EXCLUDED.typical,
         actual = EXCLUDED.actual, count = EXCLUDED.count, influencers = EXCLUDED.influencers,
         explanation = EXCLUDED.explanation, group_id = EXCLUDED.group_id`,
      [
        key,
        b.map((r) => isoTime(r.time, 'record time')),
        seq.slice(i, i + 5000),
        b.map((r) => r.detector),
        b.map((r) => r.function),
        b.map((r) => r.by),
        b.map((r) => r.over),
        b.map((r) => r.partition),
        b.map((r) => r.probability),
        b.map((r) => r.score),
        b.map((r) => r.typical),
        b.map((r) => r.actual),
        b.map((r) => r.count),
        b.map((r) => JSON.stringify(r.influencers)),
        b.map((r) => r.explanation),
        b.map((r) => r.groupId),
      ],
    );
  }
}

async function writeInfluencers(
  ctx: StateContext,
  client: pg.PoolClient,
  key: string,
  rows: readonly InfluencerResult[],
) {
  for (const b of batches(rows)) {
    await exec(
      ctx,
      client,
      `write influencer results of job ${key}`,
      `INSERT INTO ${ctx.tables.influencers} (job_key, time, field, value, probability, score)
       SELECT $1, u.* FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::float8[], $6::float8[]) AS u
       ON CONFLICT (job_key, time, field, value) DO UPDATE SET probability = EXCLUDED.probability,
         score = EXCLUDED.score`,
      [
        key,
        b.map((x) => isoTime(x.time, 'influencer time')),
        b.map((x) => x.field),
        b.map((x) => x.value),
        b.map((x) => x.probability),
        b.map((x) => x.score),
      ],
    );
  }
}

export async function commitJobChunk(ctx: StateContext, key: string, chunk: JobChunk): Promise<void> {
  checkJobKey(key);
  checkJobChunk(key, chunk);
  const snapshot = await encodeSnapshot(chunk.snapshot.state, `job ${key}`);
  await inTransaction(ctx.pool, `commit chunk of job ${key}`, async (client) => {
    await advanceProgress(ctx, client, key, chunk);
    await writeBuckets(ctx, client, key, chunk.buckets);
    await writeRecords(ctx, client, key, chunk.records);
    await writeInfluencers(ctx, client, key, chunk.influencers);
    await writeGroups(ctx, client, key, chunk.groups);
    await writeSnapshot(ctx, client, key, chunk, snapshot);
  });
}

interface BucketRow {
  time: number;
  raw_score: number;
  score: number;
  probability: number | null;
  learning: boolean;
  event_count: number;
}

interface RecordRow {
  time: number;
  detector: number;
  function: string;
  by_value: string;
  over_value: string | null;
  partition_value: string | null;
  probability: number;
  score: number;
  typical: number;
  actual: number;
  count: number;
  influencers: JobResultRecord['influencers'];
  explanation: string;
  group_id: string | null;
}

interface InfluencerRow {
  time: number;
  field: string;
  value: string;
  probability: number;
  score: number;
}

interface GroupRow {
  group_id: string;
  entity: string;
  start_time: number;
  end_time: number;
  starting_at: string | null;
  ending_at: string | null;
  max_score: number;
  requests: number;
  successful: number;
  unsuccessful: number;
  explanation: string;
  open: boolean;
  revised: boolean;
}

/** Code-point order, as the in-process run sorts values, not the server's collation. */
const byValue = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Buckets, records and influencers with from ≤ time < to, groups overlapping [from, to); one consistent view. */
export async function readJobResults(ctx: StateContext, key: string, from: number, to: number): Promise<JobResults> {
  checkJobKey(key);
  const range = [key, isoTime(from, 'from'), isoTime(to, 'to')];
  const t = ctx.tables;
  return inTransaction(
    ctx.pool,
    `read results of job ${key}`,
    async (client) => {
      const job = await getJob(ctx, key, client);
      if (!job) {
        throw missingJob(key);
      }
      const inRange = 'job_key = $1 AND time >= $2::timestamptz AND time < $3::timestamptz';
      const buckets = await exec<BucketRow>(
        ctx,
        client,
        `read bucket results of job ${key}`,
        `SELECT ${msSql('time')} AS time, raw_score, score, probability, learning, event_count::float8 AS event_count
         FROM ${t.buckets} WHERE ${inRange} AND NOT interim ORDER BY time`,
        range,
      );
      const records = await exec<RecordRow>(
        ctx,
        client,
        `read record results of job ${key}`,
        `SELECT ${msSql('time')} AS time, detector, function, by_value, over_value, partition_value, probability, score,
           typical, actual, count::float8 AS count, influencers, explanation, group_id
         FROM ${t.jobRecords} WHERE ${inRange} ORDER BY time, seq`,
        range,
      );
      const influencers = await exec<InfluencerRow>(
        ctx,
        client,
        `read influencer results of job ${key}`,
        `SELECT ${msSql('time')} AS time, field, value, probability, score
         FROM ${t.influencers} WHERE ${inRange} ORDER BY time, score DESC, field, value`,
        range,
      );
      const groups = await exec<GroupRow>(
        ctx,
        client,
        `read groups of job ${key}`,
        `SELECT group_id, entity, ${msSql('start_time')} AS start_time, ${msSql('end_time')} AS end_time,
           starting_at::text AS starting_at, ending_at::text AS ending_at, max_score, requests::float8 AS requests,
           successful::float8 AS successful, unsuccessful::float8 AS unsuccessful, explanation, open, revised
         FROM ${t.groups} WHERE job_key = $1 AND end_time > $2::timestamptz AND start_time < $3::timestamptz`,
        range,
      );
      return {
        processedUntil: job.processedUntil,
        buckets: buckets.rows.map((b) => ({
          time: b.time,
          rawScore: b.raw_score,
          score: b.score,
          probability: b.probability ?? 1,
          learning: b.learning,
          eventCount: b.event_count,
        })),
        records: records.rows.map((r) => ({
          time: r.time,
          score: r.score,
          probability: r.probability,
          detector: r.detector,
          function: r.function,
          by: r.by_value,
          over: r.over_value,
          partition: r.partition_value,
          typical: r.typical,
          actual: r.actual,
          count: r.count,
          influencers: r.influencers,
          explanation: r.explanation,
          groupId: r.group_id,
        })),
        influencers: influencers.rows.map((i) => ({ ...i })),
        groups: groups.rows
          .map((g) => ({
            id: g.group_id,
            entity: g.entity,
            start: g.start_time,
            end: g.end_time,
            startingAt: g.starting_at,
            endingAt: g.ending_at,
            maxScore: g.max_score,
            requests: g.requests,
            successful: g.successful,
            unsuccessful: g.unsuccessful,
            explanation: g.explanation,
            open: g.open,
            revised: g.revised,
          }))
          .sort((a, b) => a.start - b.start || byValue(a.entity, b.entity)),
      };
    },
    { isolation: 'repeatable read', readOnly: true },
  );
}
