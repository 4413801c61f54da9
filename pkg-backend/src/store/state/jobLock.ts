/**
 * One advancer per job across processes: a session-level advisory lock keyed by a 64-bit hash of the
 * schema and job key, held on a client of its own for as long as the job is being advanced. The server
 * drops the lock with the session, so a killed process never leaves a job locked.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { run } from '../query.ts';
import type { StateSchema } from './schemaName.ts';

/** Signed 64-bit key (what pg_advisory_lock(bigint) takes) as decimal text, bound as a parameter. */
export function advisoryKey(...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  return digest.readBigInt64BE(0).toString();
}

export function jobLockKey(schema: StateSchema, jobKey: string): string {
  return advisoryKey('rarity:job', schema.name, jobKey);
}

export function migrationLockKey(schema: StateSchema): string {
  return advisoryKey('rarity:migrate', schema.name);
}

export interface JobLockOptions {
  /** How long to wait for another holder to finish; 0 tries once. */
  waitMs?: number;
  /** Interval between attempts while waiting; default 100 ms. */
  pollMs?: number;
}

export type JobLockResult<T> = { acquired: true; value: T } | { acquired: false };

/**
 * Runs `fn` while holding the job's lock. `signal` aborts when the lock's connection is lost: the lock is
 * gone with it, so `fn` must stop writing.
 */
export async function withJobLock<T>(
  pool: pg.Pool,
  schema: StateSchema,
  jobKey: string,
  fn: (signal: AbortSignal) => Promise<T>,
  options: JobLockOptions = {},
): Promise<JobLockResult<T>> {
  const key = jobLockKey(schema, jobKey);
  const waitMs = Math.max(0, options.waitMs ?? 0);
  const pollMs = Math.max(1, options.pollMs ?? 100);
  const deadline = Date.now() + waitMs;
  const client = await pool.connect();
  const lost = new AbortController();
  const onError = (err: Error) => lost.abort(err);
  const onEnd = () => lost.abort(new Error('advisory lock connection closed'));
  client.on('error', onError);
  client.on('end', onEnd);
  // A client whose lock statements failed may still hold the lock: it is destroyed, never pooled again.
  let destroy = false;
  const lockStatement = async (text: string): Promise<boolean> => {
    try {
      const res = await run<{ ok: boolean }>(
        client,
        { text, values: [key] },
        { operation: `lock of job ${jobKey}` },
        { pool },
      );
      return res.rows[0].ok;
    } catch (err) {
      destroy = true;
      throw err;
    }
  };
  try {
    while (!(await lockStatement('SELECT pg_try_advisory_lock($1::bigint) AS ok'))) {
      const left = deadline - Date.now();
      if (left <= 0) {
        return { acquired: false };
      }
      await sleep(Math.min(pollMs, left));
    }
    try {
      return { acquired: true, value: await fn(lost.signal) };
    } finally {
      await lockStatement('SELECT pg_advisory_unlock($1::bigint) AS ok').catch(() => undefined);
    }
  } finally {
    client.off('error', onError);
    client.off('end', onEnd);
    client.release(destroy || lost.signal.aborted ? new Error('advisory lock connection not reusable') : undefined);
  }
}
