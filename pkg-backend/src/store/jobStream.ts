/**
 * Streaming a job's pushdown: its rows (jobPushdown.ts, or partitionPushdown.ts on a table partitioned by time)
 * assembled into one JobBucketInput per bucket, chunk by chunk, through the stream every pushdown shares
 * (pushdownStream.ts). Apart from the statements so that the partition-wise builder, which reuses
 * jobPushdown.ts's keys and grouping sets, and the stream, which chooses between the two, import in one
 * direction.
 */
import type pg from 'pg';
import type { JobBucketInput, JobTuple } from '../engine/job.ts';
import { jobPushdownSql, type JobPushdownPlan, type JobPushdownRow, type KeyLayout } from './jobPushdown.ts';
import { jobStatement } from './partitionPushdown.ts';
import { parseStats } from './pushdown.ts';
import {
  OpenChunk,
  chunkedStream,
  streamContext,
  type BucketAssembler,
  type ChunkedStreamOptions,
} from './pushdownStream.ts';

/** A job chunk's rows as JobBucketInputs: each row goes to every detector of its grouping set. */
function jobAssembler(layout: KeyLayout): () => BucketAssembler<JobPushdownRow, JobBucketInput> {
  const detectorCount = layout.detectors.length;
  return () => {
    let current: { start: number; detectors: JobTuple[][]; eventCount: number } | undefined;
    return {
      add(row) {
        const stats = parseStats(row[1]);
        let done: JobBucketInput | undefined;
        if (!current || current.start !== stats.bucket) {
          done = current;
          current = { start: stats.bucket, detectors: Array.from({ length: detectorCount }, () => []), eventCount: 0 };
        }
        const mask = row[0];
        const value = (i: number) => row[2 + i] as string | null;
        if (mask === layout.countMask) {
          current.eventCount = stats.count;
          return done;
        }
        for (const d of layout.byMask.get(mask) ?? []) {
          const keys = layout.detectors[d];
          const by = value(keys.by);
          const over = keys.over === undefined ? null : value(keys.over);
          // The NULL group of a by or over column: rows a detector skips, as Elastic skips them.
          if (by === null || (keys.over !== undefined && over === null)) {
            continue;
          }
          const tuple: JobTuple & { influencers?: ReadonlyArray<string | null> } = {
            by,
            over,
            count: stats.count,
            successful: stats.successful,
            minId: stats.minId,
            maxId: stats.maxId,
          };
          if (keys.partition !== undefined) {
            tuple.partition = value(keys.partition) ?? '';
          }
          if (layout.influencerCount > 0) {
            tuple.influencers = keys.influencers.map(value);
          }
          current.detectors[d].push(tuple);
        }
        return done;
      },
      finish: () => current,
    };
  };
}

export type JobChunkEvent = { kind: 'bucket'; input: JobBucketInput } | { kind: 'chunk_end'; from: number; to: number };

/**
 * The job's range chunk by chunk, like streamChunks: every bucket with rows in time order (a detector's list
 * may be empty), a `chunk_end` after each chunk, up to `prefetch` later chunks already running.
 */
export async function* streamJobChunks(
  pool: pg.Pool,
  plan: JobPushdownPlan,
  options: ChunkedStreamOptions,
): AsyncGenerator<JobChunkEvent> {
  const { layout } = jobPushdownSql(plan);
  const ctx = streamContext(pool, plan.table, 'job pushdown aggregate');
  const assembler = jobAssembler(layout);
  const statement = await jobStatement(pool, plan, 'job pushdown aggregate');
  yield* chunkedStream<JobPushdownRow, JobBucketInput>(
    plan.from.getTime(),
    plan.to.getTime(),
    options,
    (from, to, onTimed) => new OpenChunk(pool, statement(from, to), from, to, assembler, ctx, options, onTimed),
  );
}
