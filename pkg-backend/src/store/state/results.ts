/**
 * Results and progress. A chunk of analysed buckets is committed in one transaction: its bucket, record
 * and group rows (upserts on natural keys, so writing the same chunk twice changes nothing), its model
 * snapshot and the job's progress. Whatever moment a process dies at, the job's progress, its latest
 * snapshot and its results agree.
 */
import type pg from 'pg';
import type { AnomalyGroup, RecordResult } from '../../engine/types.ts';
import { StoreError } from '../errors.ts';
import { Params } from '../filters.ts';
import { exec, type StateContext } from './context.ts';
import { checkJobKey, getJob, missingJob } from './jobs.ts';
import {
  BUCKET_COLUMNS,
  BUCKET_UNNEST,
  GROUP_COLUMNS,
  RECORD_COLUMNS,
  RECORD_UNNEST,
  bucketArrays,
  bucketFromRow,
  compareGroups,
  groupFromRow,
  isoTime,
  recordArrays,
  recordFromRow,
  type BucketDbRow,
  type GroupDbRow,
  type RecordDbRow,
} from './rows.ts';
import { encodeSnapshot } from './snapshotCodec.ts';
import { inTransaction } from './transaction.ts';
import {
  JOB_STATUSES,
  MEMORY_STATUSES,
  type Chunk,
  type GroupWrite,
  type InterimResults,
  type JobResultGroup,
  type ProgressWrite,
  type Results,
  type RewindResult,
  type StoredBucket,
} from './types.ts';

/** Rows per INSERT: keeps each statement's parameters a few MB and its run time far below any timeout. */
const BATCH_ROWS = 5000;

export function invalid(key: string, message: string): StoreError {
  return new StoreError('state_invalid', `job ${key}: ${message}`, { value: key });
}

const at = (ms: number) => new Date(ms).toISOString();

export function checkTime(key: string, ms: number, what: string): void {
  if (!Number.isSafeInteger(ms)) {
    throw invalid(key, `${what} ${String(ms)} is not a whole number of milliseconds`);
  }
}

/** Results must lie in the analysed past (before `until`) and appear once each. */
function checkResults(
  key: string,
  buckets: readonly StoredBucket[],
  records: readonly RecordResult[],
  until: number,
  interimFrom?: number,
): void {
  const inRange = (t: number) => (interimFrom === undefined ? t < until : t >= interimFrom);
  const rule =
    interimFrom === undefined
      ? `before the chunk's end ${at(until)}`
      : `at or after the job's progress ${at(interimFrom)}`;
  const times = new Set<number>();
  for (const b of buckets) {
    checkTime(key, b.time, 'bucket time');
    if (!inRange(b.time)) {
      throw invalid(key, `bucket ${at(b.time)} is not ${rule}`);
    }
    if (times.has(b.time)) {
      throw invalid(key, `bucket ${at(b.time)} appears twice`);
    }
    times.add(b.time);
  }
  const recordKeys = new Set<string>();
  for (const r of records) {
    checkTime(key, r.time, 'record time');
    if (!inRange(r.time)) {
      throw invalid(key, `record ${at(r.time)} ${r.entity} is not ${rule}`);
    }
    const id = `${r.time}\u0000${r.entity}`;
    if (recordKeys.has(id)) {
      throw invalid(key, `record ${at(r.time)} for entity ${r.entity} appears twice`);
    }
    recordKeys.add(id);
  }
}

export function checkGroups(
  key: string,
  groups: ReadonlyArray<Pick<AnomalyGroup, 'id' | 'start' | 'end'>>,
  until: number,
): void {
  const ids = new Set<string>();
  for (const g of groups) {
    checkTime(key, g.start, 'group start');
    checkTime(key, g.end, 'group end');
    if (!(g.start < g.end && g.end <= until)) {
      throw invalid(key, `group ${g.id} [${at(g.start)}, ${at(g.end)}) does not end by ${at(until)}`);
    }
    if (ids.has(g.id)) {
      throw invalid(key, `group ${g.id} appears twice`);
    }
    ids.add(g.id);
  }
}

/** The progress part of a chunk: the snapshot sits at its end, statuses are known. */
export function checkProgress(key: string, chunk: ProgressWrite): void {
  checkTime(key, chunk.processedUntil, 'processedUntil');
  if (chunk.snapshot?.until !== chunk.processedUntil) {
    throw invalid(
      key,
      `the chunk's snapshot is at ${chunk.snapshot ? at(chunk.snapshot.until) : 'nothing'} but the chunk ends at ${at(chunk.processedUntil)}; they must be equal`,
    );
  }
  if (!Number.isSafeInteger(chunk.snapshot.formatVersion)) {
    throw invalid(key, 'snapshot formatVersion must be an integer');
  }
  if (chunk.status !== undefined && !JOB_STATUSES.includes(chunk.status)) {
    throw invalid(key, `status "${chunk.status}" is unknown`);
  }
  if (chunk.memoryStatus !== undefined && !MEMORY_STATUSES.includes(chunk.memoryStatus)) {
    throw invalid(key, `memory status "${chunk.memoryStatus}" is unknown`);
  }
}

function checkChunk(key: string, chunk: Chunk): void {
  checkProgress(key, chunk);
  checkResults(key, chunk.buckets, chunk.records, chunk.processedUntil);
  checkGroups(key, chunk.groups, chunk.processedUntil);
}

export function batches<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += BATCH_ROWS) {
    out.push(rows.slice(i, i + BATCH_ROWS));
  }
  return out;
}

async function writeBuckets(
  ctx: StateContext,
  client: pg.PoolClient,
  key: string,
  buckets: readonly StoredBucket[],
  interim: boolean,
): Promise<void> {
  for (const batch of batches(buckets)) {
    await exec(
      ctx,
      client,
      `write bucket results of job ${key}`,
      `INSERT INTO ${ctx.tables.buckets} (job_key, time, raw_score, score, learning, event_count, interim)
       SELECT $1, u.time, u.raw_score, u.score, u.learning, u.event_count, $7 FROM ${BUCKET_UNNEST}
       ON CONFLICT (job_key, time) DO UPDATE SET raw_score = EXCLUDED.raw_score, score = EXCLUDED.score,
         learning = EXCLUDED.learning, event_count = EXCLUDED.event_count, interim = EXCLUDED.interim`,
      [key, ...bucketArrays(batch), interim],
    );
  }
}

async function writeRecords(
  ctx: StateContext,
  client: pg.PoolClient,
  key: string,
  records: readonly RecordResult[],
  interim: boolean,
): Promise<void> {
  // Batches split by bucket so `seq` (position within the bucket) is numbered over the whole bucket.
  for (const batch of batchesByTime(records)) {
    await exec(
      ctx,
      client,
      `write record results of job ${key}`,
      `INSERT INTO ${ctx.tables.records} (job_key, time, entity, seq, by_value, over_value, probability, raw_score, score,
         typical, actual, count, causes, explanation, group_id, interim)
       SELECT $1, u.time, u.entity, u.seq, u.by_value, u.over_value, u.probability, u.raw_score, u.score, u.typical,
         u.actual, u.count, u.causes, u.explanation, u.group_id, $16 FROM ${RECORD_UNNEST}
       ON CONFLICT (job_key, time, entity) DO UPDATE SET seq = EXCLUDED.seq, by_value = EXCLUDED.by_value,
         over_value = EXCLUDED.over_value, probability = EXCLUDED.probability, raw_score = EXCLUDED.raw_score,
         score = EXCLUDED.score, typical = EXCLUDED.typical, actual = EXCLUDED.actual, count = EXCLUDED.count,
         causes = EXCLUDED.causes, explanation = EXCLUDED.explanation, group_id = EXCLUDED.group_id,
         interim = EXCLUDED.interim`,
      [key, ...recordArrays(batch), interim],
    );
  }
}

function batchesByTime(records: readonly RecordResult[]): RecordResult[][] {
  const out: RecordResult[][] = [];
  let current: RecordResult[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (current.length >= BATCH_ROWS && r.time !== records[i - 1].time) {
      out.push(current);
      current = [];
    }
    current.push(r);
  }
  if (current.length > 0) {
    out.push(current);
  }
  return out;
}

/** Groups of either kind of job: a single detector's (bigint ids) or a several-detector job's (decimal text or null). */
export async function writeGroups(
  ctx: StateContext,
  client: pg.PoolClient,
  key: string,
  groups: ReadonlyArray<GroupWrite | JobResultGroup>,
): Promise<void> {
  for (const batch of batches(groups)) {
    await exec(
      ctx,
      client,
      `write groups of job ${key}`,
      `INSERT INTO ${ctx.tables.groups} (job_key, group_id, entity, start_time, end_time, starting_at, ending_at, max_score,
         requests, successful, unsuccessful, explanation, open, revised)
       SELECT $1, u.* FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::bigint[], $7::bigint[],
         $8::float8[], $9::bigint[], $10::bigint[], $11::bigint[], $12::text[], $13::boolean[], $14::boolean[]) AS u
       ON CONFLICT (job_key, group_id) DO UPDATE SET entity = EXCLUDED.entity, start_time = EXCLUDED.start_time,
         end_time = EXCLUDED.end_time, starting_at = EXCLUDED.starting_at, ending_at = EXCLUDED.ending_at,
         max_score = EXCLUDED.max_score, requests = EXCLUDED.requests, successful = EXCLUDED.successful,
         unsuccessful = EXCLUDED.unsuccessful, explanation = EXCLUDED.explanation, open = EXCLUDED.open,
         revised = ${ctx.tables.groups}.revised OR EXCLUDED.revised, updated_at = now()`,
      [
        key,
        batch.map((g) => g.id),
        batch.map((g) => g.entity),
        batch.map((g) => isoTime(g.start, 'group start')),
        batch.map((g) => isoTime(g.end, 'group end')),
        batch.map((g) => g.startingAt?.toString() ?? null),
        batch.map((g) => g.endingAt?.toString() ?? null),
        batch.map((g) => g.maxScore),
        batch.map((g) => g.requests),
        batch.map((g) => g.successful),
        batch.map((g) => g.unsuccessful),
        batch.map((g) => g.explanation),
        batch.map((g) => g.open),
        batch.map((g) => g.revised === true),
      ],
    );
  }
}

export async function deleteInterim(ctx: StateContext, client: pg.PoolClient, key: string): Promise<void> {
  for (const table of [ctx.tables.records, ctx.tables.buckets]) {
    await exec(
      ctx,
      client,
      `drop interim results of job ${key}`,
      `DELETE FROM ${table} WHERE job_key = $1 AND interim`,
      [key],
    );
  }
}

/** Refuses with the job's actual progress: missing job, or a chunk ending before what is committed. */
async function progressRefusal(
  ctx: StateContext,
  client: pg.PoolClient,
  key: string,
  until: number,
): Promise<StoreError> {
  const job = await getJob(ctx, key, client);
  if (!job) {
    return missingJob(key);
  }
  return new StoreError(
    'state_conflict',
    `job ${key} has processed until ${at(job.processedUntil!)}; a chunk ending at ${at(until)} would move its progress backwards`,
    { value: key },
  );
}

export async function commitChunk(ctx: StateContext, key: string, chunk: Chunk): Promise<void> {
  checkJobKey(key);
  checkChunk(key, chunk);
  // Compress before the transaction opens: row locks are held for the writes only.
  const snapshot = await encodeSnapshot(chunk.snapshot.state, `job ${key}`);
  await inTransaction(ctx.pool, `commit chunk of job ${key}`, async (client) => {
    await advanceProgress(ctx, client, key, chunk);
    // Interim rows describe buckets this chunk may now have analysed for real; the next look-ahead rewrites them.
    await deleteInterim(ctx, client, key);
    await writeBuckets(ctx, client, key, chunk.buckets, false);
    await writeRecords(ctx, client, key, chunk.records, false);
    await writeGroups(ctx, client, key, chunk.groups);
    await writeSnapshot(ctx, client, key, chunk, snapshot);
  });
}

/**
 * Moves the job's progress to the chunk's end. Must be the transaction's first statement: the row lock
 * serialises commits of one job, and the guard is evaluated against the latest committed progress.
 */
export async function advanceProgress(
  ctx: StateContext,
  client: pg.PoolClient,
  key: string,
  chunk: ProgressWrite,
): Promise<void> {
  const p = new Params();
  const keyParam = p.add(key);
  const untilParam = p.typed(isoTime(chunk.processedUntil, 'processedUntil'), 'timestamptz');
  const sets = [`processed_until = ${untilParam}`, 'updated_at = now()'];
  if (chunk.status !== undefined) {
    sets.push(`status = ${p.add(chunk.status)}`);
  }
  if (chunk.idWatermark !== undefined) {
    sets.push(`id_watermark = ${p.typed(chunk.idWatermark?.toString() ?? null, 'bigint')}`);
  }
  if (chunk.historyStart !== undefined) {
    sets.push(
      `history_start = COALESCE(history_start, ${p.typed(isoTime(chunk.historyStart, 'historyStart'), 'timestamptz')})`,
    );
  }
  if (chunk.learningUntil !== undefined) {
    sets.push(
      `learning_until = ${p.typed(chunk.learningUntil === null ? null : isoTime(chunk.learningUntil, 'learningUntil'), 'timestamptz')}`,
    );
  }
  if (chunk.memoryStatus !== undefined) {
    sets.push(`memory_status = ${p.add(chunk.memoryStatus)}`);
  }
  if (chunk.modelBytes !== undefined) {
    sets.push(`model_bytes = ${p.typed(chunk.modelBytes, 'bigint')}`);
  }
  const progressed = await exec(
    ctx,
    client,
    `advance job ${key}`,
    `UPDATE ${ctx.tables.jobs} SET ${sets.join(', ')}
     WHERE key = ${keyParam} AND (processed_until IS NULL OR processed_until <= ${untilParam})`,
    p.values,
  );
  if (progressed.rowCount === 0) {
    throw await progressRefusal(ctx, client, key, chunk.processedUntil);
  }
}

/** The model after exactly the chunk's buckets, at the chunk's end. */
export async function writeSnapshot(
  ctx: StateContext,
  client: pg.PoolClient,
  key: string,
  chunk: ProgressWrite,
  encoded: { bytes: Buffer; jsonBytes: number },
): Promise<void> {
  await exec(
    ctx,
    client,
    `write snapshot of job ${key}`,
    `INSERT INTO ${ctx.tables.snapshots} (job_key, until, format_version, state, state_bytes)
     VALUES ($1, $2::timestamptz, $3, $4, $5)
     ON CONFLICT (job_key, until) DO UPDATE SET format_version = EXCLUDED.format_version, state = EXCLUDED.state,
       state_bytes = EXCLUDED.state_bytes, created_at = now()`,
    [
      key,
      isoTime(chunk.processedUntil, 'snapshot time'),
      chunk.snapshot.formatVersion,
      encoded.bytes,
      encoded.jsonBytes,
    ],
  );
}

/**
 * Replaces the job's interim results (buckets still filling, scored on a copy of the model) with these.
 * They live past the job's progress, never enter a snapshot, and are dropped by the next commit.
 */
export async function writeInterim(ctx: StateContext, key: string, interim: InterimResults): Promise<void> {
  checkJobKey(key);
  await inTransaction(ctx.pool, `write interim results of job ${key}`, async (client) => {
    const job = await getJob(ctx, key, client, true);
    if (!job) {
      throw missingJob(key);
    }
    checkResults(
      key,
      interim.buckets,
      interim.records,
      Number.POSITIVE_INFINITY,
      job.processedUntil ?? Number.NEGATIVE_INFINITY,
    );
    await deleteInterim(ctx, client, key);
    await writeBuckets(ctx, client, key, interim.buckets, true);
    await writeRecords(ctx, client, key, interim.records, true);
  });
}

export interface ReadOptions {
  /** Also return interim results (left out of alert evaluations unless asked for). */
  includeInterim?: boolean;
}

/** Buckets and records with from ≤ time < to, groups overlapping [from, to); one consistent snapshot. */
export async function readResults(
  ctx: StateContext,
  key: string,
  from: number,
  to: number,
  options: ReadOptions = {},
): Promise<Results> {
  checkJobKey(key);
  const range = [key, isoTime(from, 'from'), isoTime(to, 'to')];
  return inTransaction(
    ctx.pool,
    `read results of job ${key}`,
    async (client) => {
      const job = await getJob(ctx, key, client);
      if (!job) {
        throw missingJob(key);
      }
      const inRange = 'job_key = $1 AND time >= $2::timestamptz AND time < $3::timestamptz';
      const interim = options.includeInterim ? '' : ' AND NOT interim';
      const buckets = await exec<BucketDbRow>(
        ctx,
        client,
        `read bucket results of job ${key}`,
        `SELECT ${BUCKET_COLUMNS} FROM ${ctx.tables.buckets} WHERE ${inRange}${interim} ORDER BY time`,
        range,
      );
      const records = await exec<RecordDbRow>(
        ctx,
        client,
        `read record results of job ${key}`,
        `SELECT ${RECORD_COLUMNS} FROM ${ctx.tables.records} WHERE ${inRange}${interim} ORDER BY time, seq`,
        range,
      );
      const groups = await exec<GroupDbRow>(
        ctx,
        client,
        `read groups of job ${key}`,
        `SELECT ${GROUP_COLUMNS} FROM ${ctx.tables.groups}
         WHERE job_key = $1 AND end_time > $2::timestamptz AND start_time < $3::timestamptz`,
        range,
      );
      const result: Results = {
        processedUntil: job.processedUntil,
        buckets: [],
        records: [],
        groups: groups.rows.map(groupFromRow).sort(compareGroups),
        interim: { buckets: [], records: [] },
      };
      for (const b of buckets.rows) {
        (b.interim ? result.interim.buckets : result.buckets).push(bucketFromRow(b));
      }
      for (const r of records.rows) {
        (r.interim ? result.interim.records : result.records).push(recordFromRow(r));
      }
      return result;
    },
    { isolation: 'repeatable read', readOnly: true },
  );
}

export interface RewindOptions {
  /**
   * The groups open in the snapshot's group tracker. Given, they replace every stored group reaching past
   * the rewind point, so the rows are exactly those committed with that snapshot; omitted, such groups keep
   * their later content until re-analysis rewrites them.
   */
  openGroups?: readonly AnomalyGroup[];
}

/**
 * Sets the job back to its snapshot at `snapshotUntil` (for late rows): results and snapshots after it go,
 * progress returns to it, in one transaction.
 */
export async function rewind(
  ctx: StateContext,
  key: string,
  snapshotUntil: number,
  options: RewindOptions = {},
): Promise<RewindResult> {
  checkJobKey(key);
  checkTime(key, snapshotUntil, 'rewind point');
  const openGroups = options.openGroups;
  if (openGroups) {
    checkGroups(key, openGroups, snapshotUntil);
    for (const g of openGroups) {
      if (!g.open) {
        throw invalid(key, `group ${g.id} handed to rewind as open is closed`);
      }
    }
  }
  const t = ctx.tables;
  return inTransaction(ctx.pool, `rewind job ${key}`, async (client) => {
    const job = await getJob(ctx, key, client, true);
    if (!job) {
      throw missingJob(key);
    }
    if (job.processedUntil === null || snapshotUntil > job.processedUntil) {
      throw new StoreError(
        'state_conflict',
        `cannot rewind job ${key} to ${at(snapshotUntil)}: it has processed ${job.processedUntil === null ? 'nothing yet' : `only until ${at(job.processedUntil)}`}`,
        { value: key },
      );
    }
    const point = isoTime(snapshotUntil, 'rewind point');
    const snap = await exec(
      ctx,
      client,
      `rewind job ${key}`,
      `SELECT 1 FROM ${t.snapshots} WHERE job_key = $1 AND until = $2::timestamptz`,
      [key, point],
    );
    if (snap.rowCount === 0) {
      throw new StoreError(
        'state_conflict',
        `cannot rewind job ${key} to ${at(snapshotUntil)}: no snapshot was kept at that time`,
        { value: key },
      );
    }
    const affected = await exec<GroupDbRow>(
      ctx,
      client,
      `rewind job ${key}`,
      `SELECT ${GROUP_COLUMNS} FROM ${t.groups} WHERE job_key = $1 AND end_time > $2::timestamptz`,
      [key, point],
    );
    const after = async (table: string, column: string): Promise<number> =>
      (
        await exec(
          ctx,
          client,
          `rewind job ${key}`,
          `DELETE FROM ${table} WHERE job_key = $1 AND ${column} > $2::timestamptz`,
          [key, point],
        )
      ).rowCount ?? 0;
    const atOrAfter = async (table: string, column: string): Promise<number> =>
      (
        await exec(
          ctx,
          client,
          `rewind job ${key}`,
          `DELETE FROM ${table} WHERE job_key = $1 AND ${column} >= $2::timestamptz`,
          [key, point],
        )
      ).rowCount ?? 0;
    const records = (await atOrAfter(t.records, 'time')) + (await atOrAfter(t.jobRecords, 'time'));
    await atOrAfter(t.influencers, 'time');
    const buckets = await atOrAfter(t.buckets, 'time');
    const groups = openGroups ? await after(t.groups, 'end_time') : await atOrAfter(t.groups, 'start_time');
    const snapshots = await after(t.snapshots, 'until');
    if (openGroups) {
      const revisedBefore = new Set(affected.rows.filter((g) => g.revised).map((g) => g.group_id));
      await writeGroups(
        ctx,
        client,
        key,
        openGroups.map((g) => ({ ...g, revised: revisedBefore.has(g.id) })),
      );
    }
    await exec(
      ctx,
      client,
      `rewind job ${key}`,
      `UPDATE ${t.jobs} SET processed_until = $2::timestamptz, status = 'backfilling', updated_at = now() WHERE key = $1`,
      [key, point],
    );
    return {
      previousProcessedUntil: job.processedUntil,
      deleted: { buckets, records, groups, snapshots },
      affectedGroups: affected.rows.map(groupFromRow).sort(compareGroups),
    };
  });
}

/** Flags groups whose content a re-analysis changed after they had been reported. */
export async function markGroupsRevised(ctx: StateContext, key: string, groupIds: readonly string[]): Promise<number> {
  if (groupIds.length === 0) {
    return 0;
  }
  const res = await exec(
    ctx,
    ctx.pool,
    `mark groups of job ${key} revised`,
    `UPDATE ${ctx.tables.groups} SET revised = true, updated_at = now() WHERE job_key = $1 AND group_id = ANY($2::text[]) AND NOT revised`,
    [key, [...groupIds]],
  );
  return res.rowCount ?? 0;
}
