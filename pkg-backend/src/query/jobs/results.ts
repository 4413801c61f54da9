/**
 * Answering a query from a persisted job: bring the job up to date (waiting for another advancer up to the
 * request's patience), read the committed results of [from, to) and build the same DetectionResult the
 * in-process path builds, empty buckets filled the same way. Buckets after the job's progress (the current,
 * still-filling ones) are scored on the model, which is then discarded, and reported as interim; alert
 * evaluations leave them out unless the query asks for them, so an alert never fires on a bucket that may still
 * change.
 */
import type pg from 'pg';
import { MODEL_COLUMNS } from '../../engine/model/factory.ts';
import type { AnomalyGroup, RecordResult } from '../../engine/types.ts';
import type { JobRow, StateStore, StoredGroup } from '../../store/index.ts';
import { DEFAULT_MODEL_MEMORY_LIMIT_BYTES } from '../../../../common/limits.ts';
import type { Notice } from '../contract.ts';
import {
  alignDown,
  fillEmptyBuckets,
  prepareDetection,
  resolveRange,
  type BucketSummary,
  type DetectionResult,
  type PreparedDetection,
} from '../detection.ts';
import type { ModelMemory } from '../modelMemory.ts';
import type { DetectorRequest, TimeWindow } from '../request.ts';
import { advanceJob, type AdvanceOutcome } from './advance.ts';
import { checkpointAt, progressPercent } from './checkpoint.ts';
import { JobModel, isModelState, type RangeResults } from './model.ts';

/** How long a request waits for another process's advance before answering from committed results. */
export const DEFAULT_LOCK_WAIT_MS = 20_000;
/** How long a request advances a backfill itself; the background runner carries on past it. */
export const DEFAULT_ADVANCE_BUDGET_MS = 20_000;

export interface JobQueryOptions {
  signal?: AbortSignal;
  /** Alert evaluations leave interim buckets out... */
  fromAlert?: boolean;
  /** ...unless the query sets `includeInterim`. */
  includeInterim?: boolean;
  lockWaitMs?: number;
  advanceBudgetMs?: number;
  now?: number;
  maxChunkBuckets?: number;
}

export interface JobAnswer {
  result: DetectionResult;
  notices: Notice[];
  /** Start of the interim buckets in the result; null when it has none. */
  interimFrom: number | null;
  /** False when the job could not be brought up to date in this request (the runner finishes it). */
  current: boolean;
  /**
   * When not current: the model this request's advance committed last, for the runner to go on from instead of
   * reading the snapshot it just wrote back (at a million entities the snapshot's JSON is some 40 MB, parsed
   * into a million strings while this model was still held). The request no longer uses it.
   */
  resume?: JobModel;
}

export async function detectWithJob(
  pool: pg.Pool,
  store: StateStore,
  request: DetectorRequest,
  window: TimeWindow = {},
  options: JobQueryOptions = {},
): Promise<JobAnswer> {
  const prepared = await prepareDetection(pool, request);
  const { from, to } = resolveRange(prepared, window);
  const spanMs = prepared.definition.spanMs;
  const now = options.now ?? Date.now();
  const advanced = await advanceJob(pool, store, prepared, {
    now,
    signal: options.signal,
    stopAt: Date.now() + (options.advanceBudgetMs ?? DEFAULT_ADVANCE_BUDGET_MS),
    waitMs: options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
    maxChunkBuckets: options.maxChunkBuckets,
  });
  const outcome: AdvanceOutcome | undefined = advanced.acquired ? advanced.value : undefined;
  const job = await store.getJob(prepared.key);
  const target = checkpointAt(now, spanMs);
  const processedUntil = job?.processedUntil ?? null;
  const current = prepared.dataFrom === null || (processedUntil !== null && processedUntil >= target);

  const lo = alignDown(from.getTime(), spanMs);
  const hi = to.getTime();
  const stored = job
    ? await store.readResults(prepared.key, lo, hi)
    : { buckets: [], records: [], groups: [] as StoredGroup[] };

  const wantsInterim = !options.fromAlert || options.includeInterim === true;
  let interim: RangeResults | undefined;
  let interimModel: JobModel | undefined;
  const interimFrom = processedUntil ?? (prepared.dataFrom ? alignDown(prepared.dataFrom.getTime(), spanMs) : null);
  if (current && wantsInterim && interimFrom !== null && hi > interimFrom) {
    // Fed in place: a current job's model is handed to nobody (resume is for unfinished backfills), and a copy
    // of a million entities' model was twice its memory, with its state as JSON on top, at every query.
    interimModel = await modelAt(store, prepared, outcome, job, interimFrom);
    if (interimModel) {
      interim = await interimModel.advance(pool, hi, options.signal);
    }
  }

  const buckets = merge(stored.buckets, interim?.buckets ?? [], lo, hi);
  const records = merge(stored.records, interim?.records ?? [], lo, hi);
  const groups = mergeGroups(stored.groups, interim?.groups ?? [], lo, hi);
  const end = interim ? hi : Math.min(hi, processedUntil ?? lo);
  const learningUntil = interimModel ? interimModel.learningUntil() : (job?.learningUntil ?? null);
  let rows = 0;
  for (const b of buckets) {
    rows += b.eventCount;
  }
  const result: DetectionResult = {
    detector: prepared.describe,
    definition: prepared.definition,
    from,
    to,
    buckets: fillEmptyBuckets(buckets, lo, end, spanMs, (t) => learningUntil === null || t < learningUntil),
    records,
    groups,
    stats: {
      historyFrom: prepared.dataFrom,
      bucketsProcessed: (outcome?.bucketsProcessed ?? 0) + (interim?.bucketsProcessed ?? 0),
      tuples: (outcome?.tuples ?? 0) + (interim?.tuples ?? 0),
      rows,
    },
    memory: memoryOf(prepared, interimModel ?? outcome?.model ?? undefined, job),
  };
  const notices: Notice[] = [];
  if (!current) {
    const pct = progressPercent(job?.historyStart ?? null, processedUntil, target);
    const upTo = processedUntil === null ? 'nothing analysed yet' : `up to ${isoDay(processedUntil)}`;
    notices.push({
      severity: 'info',
      text: `processing history: ${pct} %, ${upTo}; results after that follow once the job has caught up`,
    });
  }
  return {
    result,
    notices,
    interimFrom: interim && interim.buckets.length + interim.records.length > 0 ? interimFrom : null,
    current,
    resume: current ? undefined : (outcome?.model ?? undefined),
  };
}

/** The model at the job's progress: the one the advance just left, else the latest snapshot. */
async function modelAt(
  store: StateStore,
  prepared: PreparedDetection,
  outcome: AdvanceOutcome | undefined,
  job: JobRow | undefined,
  until: number,
): Promise<JobModel | undefined> {
  if (outcome?.model && outcome.model.until === until) {
    return outcome.model;
  }
  if (!job || job.processedUntil === null) {
    return new JobModel(prepared, until);
  }
  const snapshot = await store.latestSnapshot(prepared.key, undefined, MODEL_COLUMNS);
  if (!snapshot || snapshot.until !== until || !isModelState(snapshot.formatVersion, snapshot.state)) {
    return undefined;
  }
  return new JobModel(prepared, snapshot.until, snapshot.state);
}

/**
 * The freshest word on the model's memory: the model this request holds (judged against the limit set now),
 * else what the job's last chunk recorded, which knows no count of the tuples left out.
 */
function memoryOf(
  prepared: PreparedDetection,
  model: JobModel | undefined,
  job: JobRow | undefined,
): ModelMemory | undefined {
  if (model) {
    return model.memory();
  }
  if (!job || job.memoryStatus === 'ok') {
    return undefined;
  }
  return {
    status: job.memoryStatus,
    bytes: job.modelBytes ?? 0,
    limitBytes: prepared.modelMemoryLimitBytes ?? DEFAULT_MODEL_MEMORY_LIMIT_BYTES,
    limitedTuples: null,
  };
}

function merge<T extends BucketSummary | RecordResult>(stored: T[], interim: T[], lo: number, hi: number): T[] {
  const extra = interim.filter((x) => x.time >= lo && x.time < hi);
  return extra.length === 0 ? stored : [...stored, ...extra];
}

/** Committed groups, with the interim scoring's versions of those it extended or closed, in the tracker's order. */
function mergeGroups(stored: StoredGroup[], interim: AnomalyGroup[], lo: number, hi: number): AnomalyGroup[] {
  const byId = new Map<string, AnomalyGroup>();
  for (const { revised: _revised, ...g } of stored) {
    byId.set(g.id, g);
  }
  for (const g of interim) {
    byId.set(g.id, g);
  }
  return [...byId.values()]
    .filter((g) => g.end > lo && g.start < hi)
    .sort((a, b) => a.start - b.start || a.entity.localeCompare(b.entity));
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
