/**
 * Advancing a persisted job: from its latest snapshot (or the aligned start of the data) over complete
 * buckets only, chunk by chunk. Each chunk's results, the groups it touched, its snapshot and the job's
 * progress are committed in one transaction (StateStore.commitChunk), so a process killed at any moment
 * leaves a job that resumes at its last committed chunk. Runs under the job's advisory lock: one advancer
 * per job across every process sharing the state store.
 */
import type pg from 'pg';
import { MODEL_COLUMNS } from '../../engine/model/factory.ts';
import type { AnomalyGroup } from '../../engine/types.ts';
import { cancelledError, maxId, streamChunks, type JobLockResult, type StateStore } from '../../store/index.ts';
import { sizedChunks } from '../bucketFeed.ts';
import { pushdownPlan } from '../definition.ts';
import { alignDown, type PreparedDetection } from '../detection.ts';
import { withAdvanceLock } from './advanceLock.ts';
import { checkpointAt } from './checkpoint.ts';
import { handleLateRows, revisedGroups } from './lateRows.ts';
import { JobModel, MODEL_FORMAT_VERSION, isModelState } from './model.ts';

const DAY_MS = 86_400_000;
/** Snapshots are thinned to one per day of data every this many chunks (and after each advance). */
const PRUNE_EVERY_CHUNKS = 50;

export interface JobProgress {
  historyStart: number;
  processedUntil: number;
  target: number;
}

export interface AdvanceOptions {
  /** Wall clock (ms); decides the last complete bucket. */
  now?: number;
  signal?: AbortSignal;
  /** Stop between chunks once this time (ms) has passed; the rest is left to the next advance. */
  stopAt?: number;
  maxChunkBuckets?: number;
  onProgress?: (progress: JobProgress) => void;
  /**
   * A model an earlier advance of this job committed last (handed over, no longer used by whoever held it):
   * used instead of the latest snapshot when the job is still where that model left it.
   */
  resume?: JobModel;
}

export interface AdvanceOutcome {
  historyStart: number | null;
  processedUntil: number | null;
  /** Where the job would be current. */
  target: number;
  complete: boolean;
  chunks: number;
  bucketsProcessed: number;
  tuples: number;
  /** The job was started again from scratch (data before its history, or no usable snapshot). */
  reset: boolean;
  /** Late rows made the job re-analyse from this time. */
  rescoredFrom: number | null;
  /** The model at processedUntil, for scoring interim buckets without reading the snapshot back. */
  model: JobModel | null;
}

/** Advances the job under its lock; `acquired: false` when another holder kept it past `waitMs`. */
export function advanceJob(
  pool: pg.Pool,
  store: StateStore,
  prepared: PreparedDetection,
  options: AdvanceOptions & { waitMs?: number } = {},
): Promise<JobLockResult<AdvanceOutcome>> {
  return withAdvanceLock(store, prepared.key, options, (signal) =>
    advanceLocked(pool, store, prepared, { ...options, signal }),
  );
}

/** The advance itself; the caller holds the job's lock. */
export async function advanceLocked(
  pool: pg.Pool,
  store: StateStore,
  prepared: PreparedDetection,
  options: AdvanceOptions = {},
): Promise<AdvanceOutcome> {
  const { definition, key } = prepared;
  const spanMs = definition.spanMs;
  const target = checkpointAt(options.now ?? Date.now(), spanMs);
  let job = await store.ensureJob(key, definition);
  const outcome: AdvanceOutcome = {
    historyStart: job.historyStart,
    processedUntil: job.processedUntil,
    target,
    complete: true,
    chunks: 0,
    bucketsProcessed: 0,
    tuples: 0,
    reset: false,
    rescoredFrom: null,
    model: null,
  };
  if (!prepared.dataFrom) {
    return outcome;
  }
  const start = alignDown(prepared.dataFrom.getTime(), spanMs);
  // Read before looking for late rows: a row appended in between is then either seen now or late next time.
  const watermark = await maxId(pool, definition.table, definition.idColumn);

  let model: JobModel | undefined;
  let rescore: { previousUntil: number; affected: Awaited<ReturnType<typeof handleLateRows>> } | undefined;
  if (job.historyStart !== null && start < job.historyStart) {
    // Data earlier than the job's history: the table changed under the job.
    await store.resetJob(key);
    outcome.reset = true;
  } else {
    const late = await handleLateRows(pool, store, prepared, job);
    if (late.kind === 'reset') {
      outcome.reset = true;
    } else if (late.kind === 'rewound') {
      model = late.model;
      outcome.rescoredFrom = late.earliest;
      rescore = { previousUntil: late.previousUntil, affected: late };
    }
  }
  if (outcome.reset) {
    job = (await store.getJob(key)) ?? (await store.ensureJob(key, definition));
  }
  const resume = options.resume;
  if (
    !model &&
    !outcome.reset &&
    resume &&
    resume.prepared.key === key &&
    // The limit is not part of the key: a model made under another is left, and the snapshot takes the new one.
    resume.prepared.modelMemoryLimitBytes === prepared.modelMemoryLimitBytes &&
    resume.until === job.processedUntil &&
    !resume.dirty
  ) {
    model = resume;
  }
  if (!model && job.processedUntil !== null) {
    const snapshot = await store.latestSnapshot(key, undefined, MODEL_COLUMNS);
    if (snapshot && snapshot.until === job.processedUntil && isModelState(snapshot.formatVersion, snapshot.state)) {
      model = new JobModel(prepared, snapshot.until, snapshot.state);
    } else {
      await store.resetJob(key);
      outcome.reset = true;
    }
  }
  const fresh = !model;
  model ??= new JobModel(prepared, start);
  outcome.processedUntil = fresh ? null : model.until;
  const historyStart = job.historyStart ?? model.until;
  outcome.historyStart = historyStart;

  const rewritten = new Map<string, AnomalyGroup>();
  // One prefetching stream over the whole way to target: PostgreSQL aggregates the next chunk while this one
  // is scored and committed.
  const stream =
    model.until < target && !options.signal?.aborted
      ? streamChunks(pool, pushdownPlan(definition, new Date(model.until), new Date(target)), {
          ...sizedChunks(pool, spanMs, options.maxChunkBuckets),
          signal: options.signal,
        })
      : undefined;
  for await (const event of stream ?? []) {
    if (options.signal?.aborted) {
      throw cancelledError();
    }
    if (event.kind === 'bucket') {
      model.feed(event.input);
      continue;
    }
    const mustRescore = rescore !== undefined && event.from < rescore.previousUntil;
    const to = event.to;
    const chunk = model.endRange(to);
    outcome.bucketsProcessed += chunk.bucketsProcessed;
    outcome.tuples += chunk.tuples;
    // A stretch without data changes nothing but progress: it is committed with the next chunk that has data.
    if (chunk.bucketsProcessed === 0 && to < target && !mustRescore) {
      continue;
    }
    const memory = model.memoryUse();
    await store.commitChunk(key, {
      buckets: chunk.buckets,
      records: chunk.records,
      groups: chunk.groups,
      snapshot: { until: to, formatVersion: MODEL_FORMAT_VERSION, state: model.snapshotState() },
      processedUntil: to,
      idWatermark: watermark,
      status: to >= target ? 'current' : 'backfilling',
      historyStart,
      learningUntil: model.learningUntil(),
      // The jobs resources, `rarity jobs` and the Jobs page show these; health counts jobs at hard_limit.
      memoryStatus: memory.status,
      modelBytes: memory.bytes,
    });
    if (rescore) {
      for (const g of chunk.groups) {
        rewritten.set(g.id, g);
      }
    }
    outcome.chunks++;
    outcome.processedUntil = to;
    options.onProgress?.({ historyStart, processedUntil: to, target });
    if (outcome.chunks % PRUNE_EVERY_CHUNKS === 0) {
      await store.pruneSnapshots(key, DAY_MS, 0);
    }
    const rescoring = rescore !== undefined && to < rescore.previousUntil;
    if (options.signal?.aborted || (!rescoring && options.stopAt !== undefined && Date.now() >= options.stopAt)) {
      break;
    }
  }
  if (rescore && rescore.affected.kind === 'rewound') {
    await store.markGroupsRevised(key, revisedGroups(rescore.affected.affected, rewritten));
  }
  if (outcome.chunks > 0) {
    await store.pruneSnapshots(key, DAY_MS, 0);
  }
  const committed = !model.dirty && model.until === (outcome.processedUntil ?? start);
  outcome.complete = committed && model.until >= target;
  outcome.model = committed ? model : null;
  return outcome;
}
