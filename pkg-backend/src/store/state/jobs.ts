/** The jobs table: one row per detector definition, carrying its progress and health. */
import type pg from 'pg';
import { StoreError } from '../errors.ts';
import { exec, type StateContext } from './context.ts';
import { inTransaction } from './transaction.ts';
import { JOB_COLUMNS, isoTime, jobFromRow, type JobDbRow } from './rows.ts';
import { JOB_STATUSES, MEMORY_STATUSES, type JobRow, type JobStatus, type MemoryStatus } from './types.ts';

export function checkJobKey(key: string): void {
  if (typeof key !== 'string' || key === '' || key.length > 200) {
    throw new StoreError(
      'state_invalid',
      `job key "${String(key)}" must be a non-empty text of at most 200 characters`,
    );
  }
}

function checkStatus(status: JobStatus): void {
  if (!JOB_STATUSES.includes(status)) {
    throw new StoreError('state_invalid', `job status "${String(status)}" is not one of ${JOB_STATUSES.join(', ')}`);
  }
}

export function missingJob(key: string): StoreError {
  return new StoreError('job_missing', `job ${key} does not exist in the state store`, { value: key });
}

export interface EnsureJobOptions {
  historyStart?: number;
}

/**
 * Inserts the job if absent and returns its row. The key is a hash of the definition, so a stored row with
 * another definition means a collision or a changed canonical form: refused rather than mixing results.
 */
export async function ensureJob<D>(
  ctx: StateContext,
  key: string,
  definition: D,
  options: EnsureJobOptions = {},
): Promise<JobRow<D>> {
  checkJobKey(key);
  let json: string | undefined;
  try {
    json = JSON.stringify(definition);
  } catch (err) {
    throw new StoreError(
      'state_invalid',
      `definition of job ${key} is not serialisable as JSON: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (json === undefined) {
    throw new StoreError('state_invalid', `job ${key} has no definition`);
  }
  const history = options.historyStart === undefined ? null : isoTime(options.historyStart, 'history start');
  const inserted = await exec<JobDbRow>(
    ctx,
    ctx.pool,
    `create job ${key}`,
    `INSERT INTO ${ctx.tables.jobs} (key, definition, history_start) VALUES ($1, $2::jsonb, $3::timestamptz)
     ON CONFLICT (key) DO NOTHING RETURNING ${JOB_COLUMNS}`,
    [key, json, history],
  );
  if (inserted.rows.length > 0) {
    return jobFromRow<D>(inserted.rows[0]);
  }
  const existing = await exec<JobDbRow & { same: boolean }>(
    ctx,
    ctx.pool,
    `read job ${key}`,
    `SELECT ${JOB_COLUMNS}, definition = $2::jsonb AS same FROM ${ctx.tables.jobs} WHERE key = $1`,
    [key, json],
  );
  // Deleted between the two statements by another process: create it again.
  if (existing.rows.length === 0) {
    return ensureJob(ctx, key, definition, options);
  }
  if (!existing.rows[0].same) {
    throw new StoreError(
      'state_conflict',
      `job ${key} is stored with another definition than the one requested; delete or reset the job if its definition format changed`,
      { value: key },
    );
  }
  return jobFromRow<D>(existing.rows[0]);
}

export async function getJob<D>(
  ctx: StateContext,
  key: string,
  on: pg.Pool | pg.PoolClient = ctx.pool,
  forUpdate = false,
): Promise<JobRow<D> | undefined> {
  const res = await exec<JobDbRow>(
    ctx,
    on,
    `read job ${key}`,
    `SELECT ${JOB_COLUMNS} FROM ${ctx.tables.jobs} WHERE key = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [key],
  );
  return res.rows.length === 0 ? undefined : jobFromRow<D>(res.rows[0]);
}

export async function listJobs<D>(ctx: StateContext): Promise<Array<JobRow<D>>> {
  const res = await exec<JobDbRow>(
    ctx,
    ctx.pool,
    'list jobs',
    `SELECT ${JOB_COLUMNS} FROM ${ctx.tables.jobs} ORDER BY key`,
  );
  return res.rows.map((r) => jobFromRow<D>(r));
}

/** How many jobs are at each memory status, in one statement (the health check's cheap look). */
export async function countJobsByMemoryStatus(ctx: StateContext): Promise<Record<MemoryStatus, number>> {
  const res = await exec<{ memory_status: MemoryStatus; jobs: number }>(
    ctx,
    ctx.pool,
    'count jobs by memory status',
    `SELECT memory_status, count(*)::int AS jobs FROM ${ctx.tables.jobs} GROUP BY memory_status`,
  );
  const counts = Object.fromEntries(MEMORY_STATUSES.map((s) => [s, 0])) as Record<MemoryStatus, number>;
  for (const r of res.rows) {
    counts[r.memory_status] = r.jobs;
  }
  return counts;
}

export async function setJobStatus(ctx: StateContext, key: string, status: JobStatus): Promise<void> {
  checkStatus(status);
  const res = await exec(
    ctx,
    ctx.pool,
    `set status of job ${key}`,
    `UPDATE ${ctx.tables.jobs} SET status = $2, updated_at = now() WHERE key = $1`,
    [key, status],
  );
  if (res.rowCount === 0) {
    throw missingJob(key);
  }
}

/** Marks the job failed with the message; progress and results stay, so the next attempt resumes. */
export async function setJobError(ctx: StateContext, key: string, message: string): Promise<void> {
  const res = await exec(
    ctx,
    ctx.pool,
    `record error of job ${key}`,
    `UPDATE ${ctx.tables.jobs} SET status = 'failed', last_error = $2, last_error_at = now(), updated_at = now() WHERE key = $1`,
    [key, message],
  );
  if (res.rowCount === 0) {
    throw missingJob(key);
  }
}

/** Forgets everything the job has analysed; its definition stays, so the next use starts from scratch. */
export async function resetJob(ctx: StateContext, key: string): Promise<void> {
  const t = ctx.tables;
  await inTransaction(ctx.pool, `reset job ${key}`, async (client) => {
    if (!(await getJob(ctx, key, client, true))) {
      throw missingJob(key);
    }
    for (const table of [t.records, t.jobRecords, t.influencers, t.buckets, t.groups, t.snapshots]) {
      await exec(ctx, client, `reset job ${key}`, `DELETE FROM ${table} WHERE job_key = $1`, [key]);
    }
    await exec(
      ctx,
      client,
      `reset job ${key}`,
      `UPDATE ${t.jobs} SET status = 'created', processed_until = NULL, id_watermark = NULL, history_start = NULL,
         learning_until = NULL, memory_status = 'ok', model_bytes = NULL, last_error = NULL, last_error_at = NULL,
         updated_at = now()
       WHERE key = $1`,
      [key],
    );
  });
}

/** Returns whether the job existed. Snapshots and results go with it (ON DELETE CASCADE). */
export async function deleteJob(ctx: StateContext, key: string): Promise<boolean> {
  const res = await exec(ctx, ctx.pool, `delete job ${key}`, `DELETE FROM ${ctx.tables.jobs} WHERE key = $1`, [key]);
  return (res.rowCount ?? 0) > 0;
}
