/**
 * An opened state store: the jobs, snapshots and results of one state schema. Obtained from
 * openStateStore, which has migrated the schema and checked the role's privileges.
 */
import type pg from 'pg';
import type { SnapshotColumns } from '../../runtime/jsonColumn.ts';
import { stateContext, type StateContext } from './context.ts';
import { withJobLock, type JobLockOptions, type JobLockResult } from './jobLock.ts';
import * as jobs from './jobs.ts';
import { commitJobChunk, readJobResults } from './jobResults.ts';
import * as results from './results.ts';
import { applyRetention } from './retention.ts';
import type { StateSchema } from './schemaName.ts';
import * as snapshots from './snapshots.ts';
import type {
  Chunk,
  InterimResults,
  JobChunk,
  JobResults,
  JobRow,
  JobStatus,
  MemoryStatus,
  Results,
  RetentionResult,
  RewindResult,
  Snapshot,
  SnapshotInfo,
} from './types.ts';

export class StateStore {
  private readonly ctx: StateContext;

  constructor(
    readonly pool: pg.Pool,
    readonly schema: StateSchema,
    /** Schema version found or brought about at open. */
    readonly version: number,
  ) {
    this.ctx = stateContext(pool, schema);
  }

  ensureJob<D>(key: string, definition: D, options?: jobs.EnsureJobOptions): Promise<JobRow<D>> {
    return jobs.ensureJob(this.ctx, key, definition, options);
  }

  getJob<D = unknown>(key: string): Promise<JobRow<D> | undefined> {
    return jobs.getJob<D>(this.ctx, key);
  }

  listJobs<D = unknown>(): Promise<Array<JobRow<D>>> {
    return jobs.listJobs<D>(this.ctx);
  }

  countJobsByMemoryStatus(): Promise<Record<MemoryStatus, number>> {
    return jobs.countJobsByMemoryStatus(this.ctx);
  }

  setJobStatus(key: string, status: JobStatus): Promise<void> {
    return jobs.setJobStatus(this.ctx, key, status);
  }

  setJobError(key: string, message: string): Promise<void> {
    return jobs.setJobError(this.ctx, key, message);
  }

  resetJob(key: string): Promise<void> {
    return jobs.resetJob(this.ctx, key);
  }

  deleteJob(key: string): Promise<boolean> {
    return jobs.deleteJob(this.ctx, key);
  }

  latestSnapshot(key: string, atOrBefore?: number, columns?: SnapshotColumns): Promise<Snapshot | undefined> {
    return snapshots.latestSnapshot(this.ctx, key, atOrBefore, columns);
  }

  listSnapshots(key: string): Promise<SnapshotInfo[]> {
    return snapshots.listSnapshots(this.ctx, key);
  }

  pruneSnapshots(key: string, keepEveryMs: number, olderThan: number): Promise<number> {
    return snapshots.pruneSnapshots(this.ctx, key, keepEveryMs, olderThan);
  }

  commitChunk(key: string, chunk: Chunk): Promise<void> {
    return results.commitChunk(this.ctx, key, chunk);
  }

  /** A chunk of a job with several detectors. */
  commitJobChunk(key: string, chunk: JobChunk): Promise<void> {
    return commitJobChunk(this.ctx, key, chunk);
  }

  readJobResults(key: string, from: number, to: number): Promise<JobResults> {
    return readJobResults(this.ctx, key, from, to);
  }

  writeInterim(key: string, interim: InterimResults): Promise<void> {
    return results.writeInterim(this.ctx, key, interim);
  }

  readResults(key: string, from: number, to: number, options?: results.ReadOptions): Promise<Results> {
    return results.readResults(this.ctx, key, from, to, options);
  }

  rewind(key: string, snapshotUntil: number, options?: results.RewindOptions): Promise<RewindResult> {
    return results.rewind(this.ctx, key, snapshotUntil, options);
  }

  markGroupsRevised(key: string, groupIds: readonly string[]): Promise<number> {
    return results.markGroupsRevised(this.ctx, key, groupIds);
  }

  applyRetention(days: number): Promise<RetentionResult> {
    return applyRetention(this.ctx, days);
  }

  /** Holds the job's advisory lock on a client of its own while `fn` runs; needs a pool of at least 2. */
  withJobLock<T>(
    key: string,
    fn: (signal: AbortSignal) => Promise<T>,
    options?: JobLockOptions,
  ): Promise<JobLockResult<T>> {
    return withJobLock(this.pool, this.schema, key, fn, options);
  }
}
