/**
 * Advancing a persisted job with several detectors, as advance.ts advances a single detector's: from its
 * latest snapshot (or the aligned start of the data) over complete buckets, chunk by chunk, each chunk's
 * buckets, records, influencer results, the groups it touched, the scorer's snapshot and the job's progress
 * committed in one transaction (StateStore.commitJobChunk). Runs under the job's advisory lock, so one
 * process advances a job at a time however many Grafana replicas share the state store.
 */
import type pg from 'pg';
import { MODEL_COLUMNS } from '../../engine/model/factory.ts';
import {
  earliestLateRow,
  groupSpanStats,
  maxId,
  cancelledError,
  streamJobChunks,
  timeExtent,
  type InfluencerResult,
  type JobLockResult,
  type JobResultBucket,
  type JobResultRecord,
  type JobRow,
  type StateStore,
} from '../../store/index.ts';
import { sizedChunks } from '../bucketFeed.ts';
import { alignDown } from '../detection.ts';
import { resolveJob, type JobRequest, type ResolvedJob } from '../jobResolve.ts';
import { JobScorer, groupResult, isScorerState, type GroupSpan } from '../jobScorer.ts';
import { withAdvanceLock } from './advanceLock.ts';
import { checkpointAt } from './checkpoint.ts';
import type { RunnerWork } from './runner.ts';

/**
 * Version of the scorer state inside a job's snapshot. Distinct from a single detector's (model.ts), so a
 * snapshot is never taken for the other kind's.
 */
export const JOB_SNAPSHOT_FORMAT = 101;

const DAY_MS = 86_400_000;
/** Snapshots are thinned to one per day of data every this many chunks (and after each advance). */
const PRUNE_EVERY_CHUNKS = 50;

/** What a job row says it is: read back by the Jobs page and `rarity jobs` (jobSummary.ts). */
export interface StoredJobDefinition {
  kind: 'job';
  table: string;
  timeColumn: string;
  idColumn: string;
  bucketSpan: string;
  spanMs: number;
  spec: ResolvedJob['spec'];
  groupField: string;
  groupThreshold: number;
  filters: JobRequest['filters'];
  successRule: JobRequest['successRule'] | null;
}

export function storedDefinition(request: JobRequest, resolved: ResolvedJob): StoredJobDefinition {
  return {
    kind: 'job',
    table: resolved.plan.table.qualified,
    timeColumn: resolved.plan.timeColumn.name,
    idColumn: resolved.plan.idColumn.name,
    bucketSpan: request.job.bucketSpan,
    spanMs: resolved.spec.bucketSpanSeconds * 1000,
    spec: resolved.spec,
    groupField: resolved.groupFieldName,
    groupThreshold: resolved.groupThreshold,
    filters: resolved.plan.filters,
    successRule: resolved.plan.successRule ?? null,
  };
}

export interface JobAdvanceOptions {
  /** Wall clock (ms); decides the last complete bucket. */
  now?: number;
  signal?: AbortSignal;
  /** Stop between chunks once this time (ms) has passed; the rest is left to the next advance. */
  stopAt?: number;
  maxChunkBuckets?: number;
  waitMs?: number;
}

export interface JobAdvanceOutcome {
  processedUntil: number | null;
  target: number;
  complete: boolean;
  chunks: number;
  bucketsProcessed: number;
  tuples: number;
  reset: boolean;
  /** The scorer at processedUntil when this advance left it there, for its model count and memory. */
  scorer: JobScorer | null;
}

/** Advances the job under its lock; `acquired: false` when another holder kept it past `waitMs`. */
export function advancePersistedJob(
  pool: pg.Pool,
  store: StateStore,
  request: JobRequest,
  resolved: ResolvedJob,
  dataFrom: Date | null,
  options: JobAdvanceOptions = {},
): Promise<JobLockResult<JobAdvanceOutcome>> {
  return withAdvanceLock(store, resolved.key, options, (signal) =>
    advanceLocked(pool, store, request, resolved, dataFrom, { ...options, signal }),
  );
}

/** The background runner's handle on the job: resolved afresh each time, as the table may have changed. */
export function persistedJobWork(pool: pg.Pool, store: StateStore, request: JobRequest): RunnerWork {
  return {
    spanMs: request.job.bucketSpanSeconds * 1000,
    advance: async (signal) => {
      const resolved = await resolveJob(pool, request);
      const { table, timeColumn, filters } = resolved.plan;
      const extent = await timeExtent(pool, { table, timeColumn, filters });
      const res = await advancePersistedJob(pool, store, request, resolved, extent.from, { signal });
      return res.acquired && !res.value.complete;
    },
  };
}

async function advanceLocked(
  pool: pg.Pool,
  store: StateStore,
  request: JobRequest,
  resolved: ResolvedJob,
  dataFrom: Date | null,
  options: JobAdvanceOptions,
): Promise<JobAdvanceOutcome> {
  const { key, plan } = resolved;
  const spanMs = resolved.spec.bucketSpanSeconds * 1000;
  const target = checkpointAt(options.now ?? Date.now(), spanMs);
  let job: JobRow = await store.ensureJob(key, storedDefinition(request, resolved));
  const outcome: JobAdvanceOutcome = {
    processedUntil: job.processedUntil,
    target,
    complete: true,
    chunks: 0,
    bucketsProcessed: 0,
    tuples: 0,
    reset: false,
    scorer: null,
  };
  if (!dataFrom) {
    return outcome;
  }
  const start = alignDown(dataFrom.getTime(), spanMs);
  // Read before looking for late rows: a row appended in between is then either seen now or late next time.
  const watermark = await maxId(pool, plan.table, plan.idColumn);

  let scorer: JobScorer | undefined;
  if (job.historyStart !== null && start < job.historyStart) {
    // Data earlier than the job's history: the table changed under the job.
    await store.resetJob(key);
    outcome.reset = true;
  } else {
    const rewound = await rewindForLateRows(pool, store, resolved, job);
    if (rewound === 'reset') {
      outcome.reset = true;
    } else if (rewound) {
      scorer = rewound.scorer;
      job = rewound.job;
    }
  }
  if (outcome.reset) {
    job = (await store.getJob(key)) ?? (await store.ensureJob(key, storedDefinition(request, resolved)));
  }
  let until = start;
  if (scorer) {
    until = job.processedUntil!;
  } else if (job.processedUntil !== null) {
    const snapshot = await store.latestSnapshot(key, undefined, MODEL_COLUMNS);
    if (
      snapshot &&
      snapshot.until === job.processedUntil &&
      snapshot.formatVersion === JOB_SNAPSHOT_FORMAT &&
      isScorerState(snapshot.state)
    ) {
      scorer = new JobScorer(resolved, snapshot.state);
      until = snapshot.until;
    } else {
      await store.resetJob(key);
      outcome.reset = true;
      job = (await store.getJob(key)) ?? job;
    }
  }
  scorer ??= new JobScorer(resolved);
  const historyStart = job.historyStart ?? until;
  let learningUntil = job.learningUntil;

  let buckets: JobResultBucket[] = [];
  let records: JobResultRecord[] = [];
  let influencers: InfluencerResult[] = [];
  let changed = new Map<string, GroupSpan>();
  let fed = 0;
  // One prefetching stream all the way to target: PostgreSQL aggregates the next chunk while this one is
  // scored and committed.
  const stream =
    until < target && !options.signal?.aborted
      ? streamJobChunks(
          pool,
          { ...plan, from: new Date(until), to: new Date(target) },
          { ...sizedChunks(pool, spanMs, options.maxChunkBuckets), signal: options.signal },
        )
      : undefined;
  for await (const event of stream ?? []) {
    if (options.signal?.aborted) {
      throw cancelledError();
    }
    if (event.kind === 'bucket') {
      const scored = scorer.process(event.input);
      fed++;
      outcome.tuples += event.input.detectors.reduce((n, d) => n + d.length, 0);
      buckets.push(scored.bucket);
      records.push(...scored.records);
      influencers.push(...scored.influencers);
      for (const span of scored.changed) {
        changed.set(span.id, span);
      }
      if (learningUntil === null && !scored.bucket.learning) {
        learningUntil = scored.bucket.time;
      }
      continue;
    }
    const to = event.to;
    // A stretch without data changes nothing but progress: it is committed with the next chunk that has data.
    if (buckets.length === 0 && to < target) {
      continue;
    }
    const spans = [...changed.values()];
    const stats = await groupSpanStats(
      pool,
      { ...plan, field: resolved.groupField },
      spans.map((g) => ({ value: g.value, from: new Date(g.start), to: new Date(g.end) })),
    );
    await store.commitJobChunk(key, {
      buckets,
      records,
      influencers,
      groups: spans.map((g, i) => groupResult(g, stats[i], resolved.groupFieldName)),
      snapshot: { until: to, formatVersion: JOB_SNAPSHOT_FORMAT, state: scorer.snapshotState() },
      processedUntil: to,
      idWatermark: watermark,
      status: to >= target ? 'current' : 'backfilling',
      historyStart,
      learningUntil,
      memoryStatus: scorer.engine.memoryStatus,
      modelBytes: Math.round(scorer.engine.memoryBytes),
    });
    outcome.bucketsProcessed += fed;
    outcome.chunks++;
    outcome.processedUntil = to;
    buckets = [];
    records = [];
    influencers = [];
    changed = new Map();
    fed = 0;
    if (outcome.chunks % PRUNE_EVERY_CHUNKS === 0) {
      await store.pruneSnapshots(key, DAY_MS, 0);
    }
    if (options.signal?.aborted || (options.stopAt !== undefined && Date.now() >= options.stopAt)) {
      break;
    }
  }
  if (outcome.chunks > 0) {
    await store.pruneSnapshots(key, DAY_MS, 0);
  }
  // Fed past the last commit (stopped mid-way): the scorer is ahead of the job and must not be reused.
  const committed = fed === 0 && buckets.length === 0;
  const reached = outcome.processedUntil ?? (outcome.reset ? null : job.processedUntil);
  outcome.complete = committed && reached !== null && reached >= target;
  outcome.scorer = committed ? scorer : null;
  return outcome;
}

/**
 * Rows dated before the job's progress that arrived after its id watermark: back to the last snapshot before
 * the earliest of them (the store deletes what follows), or from scratch when none is old enough.
 */
async function rewindForLateRows(
  pool: pg.Pool,
  store: StateStore,
  resolved: ResolvedJob,
  job: JobRow,
): Promise<'reset' | { scorer: JobScorer; job: JobRow } | undefined> {
  if (job.processedUntil === null || job.idWatermark === null) {
    return undefined;
  }
  const { plan, key } = resolved;
  const earliest = await earliestLateRow(pool, {
    table: plan.table,
    idColumn: plan.idColumn,
    timeColumn: plan.timeColumn,
    afterId: job.idWatermark,
    before: new Date(job.processedUntil),
    filters: plan.filters,
  });
  if (earliest === null) {
    return undefined;
  }
  const bucket = alignDown(earliest, resolved.spec.bucketSpanSeconds * 1000);
  const snapshot =
    job.historyStart !== null && bucket >= job.historyStart
      ? await store.latestSnapshot(key, bucket, MODEL_COLUMNS)
      : undefined;
  if (!snapshot || snapshot.formatVersion !== JOB_SNAPSHOT_FORMAT || !isScorerState(snapshot.state)) {
    await store.resetJob(key);
    return 'reset';
  }
  // Groups reaching past the point keep their rows until the re-analysis rewrites them (same id: same start).
  await store.rewind(key, snapshot.until);
  const rewoundJob = await store.getJob(key);
  return rewoundJob ? { scorer: new JobScorer(resolved, snapshot.state), job: rewoundJob } : 'reset';
}
