/**
 * Answering a job query (several detectors) from its persisted state: bring the job up to date (waiting for
 * another advancer up to the request's patience, advancing a backfill for at most a budget), then read the
 * committed results of [from, to) into the same JobRunResult the in-process run builds. Only complete
 * buckets are analysed (Elastic's results without interim ones); the bucket still filling follows once it is.
 */
import type pg from 'pg';
import { DEFAULT_MODEL_MEMORY_LIMIT_BYTES } from '../../../../common/limits.ts';
import { timeExtent, type JobRow, type StateStore } from '../../store/index.ts';
import type { Notice } from '../contract.ts';
import { alignDown, historyRange } from '../detection.ts';
import { resolveJob, type JobRequest } from '../jobResolve.ts';
import { fillEmpty, withSeverity, type JobRunResult } from '../jobRun.ts';
import type { ModelMemory } from '../modelMemory.ts';
import type { TimeWindow } from '../request.ts';
import { checkpointAt, progressPercent } from './checkpoint.ts';
import { advancePersistedJob, type JobAdvanceOutcome } from './jobAdvance.ts';
import { DEFAULT_ADVANCE_BUDGET_MS, DEFAULT_LOCK_WAIT_MS } from './results.ts';

export interface PersistedJobOptions {
  signal?: AbortSignal;
  lockWaitMs?: number;
  advanceBudgetMs?: number;
  now?: number;
  maxChunkBuckets?: number;
}

export interface PersistedJobAnswer {
  result: JobRunResult;
  notices: Notice[];
  /** False when the job could not be brought up to date in this request (the runner finishes it). */
  current: boolean;
  key: string;
}

export async function answerPersistedJob(
  pool: pg.Pool,
  store: StateStore,
  request: JobRequest,
  window: TimeWindow = {},
  options: PersistedJobOptions = {},
): Promise<PersistedJobAnswer> {
  const resolved = await resolveJob(pool, request);
  const { plan, spec, key } = resolved;
  const spanMs = spec.bucketSpanSeconds * 1000;
  // Also the first statement to compile the filters, so a bad one is refused before any aggregate runs.
  const extent = await timeExtent(pool, { table: plan.table, timeColumn: plan.timeColumn, filters: plan.filters });
  const { from, to } = historyRange(extent, window, spanMs, request.job.bucketSpan);
  const now = options.now ?? Date.now();
  const advanced = await advancePersistedJob(pool, store, request, resolved, extent.from, {
    now,
    signal: options.signal,
    stopAt: Date.now() + (options.advanceBudgetMs ?? DEFAULT_ADVANCE_BUDGET_MS),
    waitMs: options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
    maxChunkBuckets: options.maxChunkBuckets,
  });
  const outcome: JobAdvanceOutcome | undefined = advanced.acquired ? advanced.value : undefined;
  const job = await store.getJob(key);
  const target = checkpointAt(now, spanMs);
  const processedUntil = job?.processedUntil ?? null;
  const current = extent.from === null || (processedUntil !== null && processedUntil >= target);

  const lo = alignDown(from.getTime(), spanMs);
  const hi = to.getTime();
  const stored = job ? await store.readJobResults(key, lo, hi) : undefined;
  const end = Math.min(hi, processedUntil ?? lo);
  const buckets = (stored?.buckets ?? []).map(({ time, score, rawScore, probability, eventCount }) => ({
    time,
    score,
    rawScore,
    probability,
    eventCount,
  }));
  const result: JobRunResult = {
    job: request.job,
    table: plan.table.qualified,
    groupField: resolved.groupFieldName,
    from,
    to,
    buckets: fillEmpty(buckets, lo, Math.max(lo, end), spanMs),
    records: stored?.records ?? [],
    influencers: stored?.influencers ?? [],
    groups: (stored?.groups ?? []).map((g) => withSeverity(g, resolved.groupFieldName)),
    stats: {
      historyFrom: extent.from,
      bucketsProcessed: outcome?.bucketsProcessed ?? 0,
      models: outcome?.scorer?.engine.modelCount ?? null,
    },
    memory: outcome?.scorer ? outcome.scorer.memory() : storedMemory(job, spec.modelMemoryLimitBytes),
  };
  const notices: Notice[] = [];
  if (!current) {
    const pct = progressPercent(job?.historyStart ?? null, processedUntil, target);
    const upTo = processedUntil === null ? 'nothing analysed yet' : `up to ${new Date(processedUntil).toISOString()}`;
    notices.push({
      severity: 'info',
      text: `processing history: ${pct} %, ${upTo}; results after that follow once the job has caught up`,
    });
  }
  return { result, notices, current, key };
}

/** What the job's last chunk recorded about its memory, when no scorer of this request knows better. */
function storedMemory(job: JobRow | undefined, limitBytes: number | undefined): ModelMemory | undefined {
  if (!job || job.memoryStatus === 'ok') {
    return undefined;
  }
  return {
    status: job.memoryStatus,
    bytes: job.modelBytes ?? 0,
    limitBytes: limitBytes ?? DEFAULT_MODEL_MEMORY_LIMIT_BYTES,
    limitedTuples: null,
  };
}
