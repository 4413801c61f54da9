/**
 * Runs a job (several detectors, partitions, influencers) over a log table in-process, as runDetection runs
 * one detector: the job pushdown is streamed chunk by chunk from the first row (the models need the history
 * before `from`) up to `to`, scored by JobScorer (engine and groups), and what falls inside [from, to) is kept.
 * Nothing is persisted: this is the CLI's path, and the plugin's when it has no state store (persistedJob.ts
 * is the other). Groups' Starting At / Ending At and request counts are counted exactly by one store statement.
 */
import type pg from 'pg';
import type { JobDefinition } from '../../../common/jobModel.ts';
import { severityOf, type SeverityName } from '../../../common/severity.ts';
import {
  cancelledError,
  groupSpanStats,
  streamJobChunks,
  timeExtent,
  type InfluencerResult,
  type JobResultGroup,
  type JobResultRecord,
} from '../store/index.ts';
import { sizedChunks } from './bucketFeed.ts';
import { alignDown, historyRange } from './detection.ts';
import { resolveJob, type JobRequest } from './jobResolve.ts';
import { JobScorer, groupResult, type GroupSpan } from './jobScorer.ts';
import type { ModelMemory } from './modelMemory.ts';
import type { TimeWindow } from './request.ts';

export type { JobRequest } from './jobResolve.ts';

export interface JobRunBucket {
  time: number;
  score: number;
  rawScore: number;
  probability: number;
  eventCount: number;
}

export type JobRunRecord = JobResultRecord;
export type JobRunInfluencer = InfluencerResult;

export interface JobRunGroup {
  id: string;
  /** The group field's value. */
  entity: string;
  field: string;
  start: number;
  end: number;
  /** Decimal text: log ids may pass 2^53. Null only if the rows were deleted since. */
  startingAt: string | null;
  endingAt: string | null;
  maxScore: number;
  severity: SeverityName;
  requests: number;
  successful: number;
  unsuccessful: number;
  explanation: string;
  open: boolean;
}

export interface JobRunResult {
  job: JobDefinition;
  table: string;
  groupField: string;
  from: Date;
  to: Date;
  buckets: JobRunBucket[];
  records: JobRunRecord[];
  influencers: JobRunInfluencer[];
  groups: JobRunGroup[];
  /** models: null when the answer was read from the state store without loading the job's models. */
  stats: { historyFrom: Date | null; bucketsProcessed: number; models: number | null };
  /** Set while the job's models are near or at their memory limit. */
  memory?: ModelMemory;
}

/** Empty buckets are listed with score 0 only up to this many, as in detection.ts. */
const MAX_FILLED_BUCKETS = 50_000;

export async function runJob(
  pool: pg.Pool,
  request: JobRequest,
  window: TimeWindow = {},
  signal?: AbortSignal,
): Promise<JobRunResult> {
  const resolved = await resolveJob(pool, request);
  const { plan, spec, groupFieldName } = resolved;
  const spanMs = spec.bucketSpanSeconds * 1000;
  // Also the first statement to compile the filters, so a bad one is refused before any aggregate runs.
  const extent = await timeExtent(pool, { table: plan.table, timeColumn: plan.timeColumn, filters: plan.filters });
  const { from, to, historyFrom } = historyRange(extent, window, spanMs, request.job.bucketSpan);

  const scorer = new JobScorer(resolved);
  const lo = alignDown(from.getTime(), spanMs);
  const hi = to.getTime();
  const inRange = (t: number) => t >= lo && t < hi;
  const buckets: JobRunBucket[] = [];
  const records: JobRunRecord[] = [];
  const influencers: JobRunInfluencer[] = [];
  // Every group of the run by id, in its latest state: a group is reported whole even when it began earlier.
  const spans = new Map<string, GroupSpan>();
  let bucketsProcessed = 0;
  const fullPlan = { ...plan, from: new Date(historyFrom), to };
  for await (const event of streamJobChunks(pool, fullPlan, { ...sizedChunks(pool, spanMs), signal })) {
    if (signal?.aborted) {
      throw cancelledError();
    }
    if (event.kind !== 'bucket') {
      continue;
    }
    const scored = scorer.process(event.input);
    bucketsProcessed++;
    for (const span of scored.changed) {
      spans.set(span.id, span);
    }
    if (!inRange(scored.bucket.time)) {
      continue;
    }
    const { time, score, rawScore, probability, eventCount } = scored.bucket;
    buckets.push({ time, score, rawScore, probability, eventCount });
    records.push(...scored.records);
    influencers.push(...scored.influencers);
  }

  const reported = [...spans.values()]
    .filter((g) => g.end > lo && g.start < hi)
    .sort((a, b) => a.start - b.start || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const counts = await groupSpanStats(
    pool,
    { ...plan, field: resolved.groupField },
    reported.map((g) => ({ value: g.value, from: new Date(g.start), to: new Date(g.end) })),
  );
  const groups = reported.map((g, i) => withSeverity(groupResult(g, counts[i], groupFieldName), groupFieldName));

  return {
    job: request.job,
    table: plan.table.qualified,
    groupField: groupFieldName,
    from,
    to,
    buckets: fillEmpty(buckets, lo, hi, spanMs),
    records,
    influencers,
    groups,
    stats: { historyFrom: extent.from, bucketsProcessed, models: scorer.engine.modelCount },
    memory: scorer.memory(),
  };
}

/** A stored or computed group as results report it. */
export function withSeverity(g: JobResultGroup, groupFieldName: string): JobRunGroup {
  const { revised: _revised, ...rest } = g;
  return { ...rest, field: groupFieldName, severity: severityOf(g.maxScore).name };
}

/** Elastic writes a result for every bucket; buckets of [lo, end) without data score 0. */
export function fillEmpty(withData: JobRunBucket[], lo: number, end: number, spanMs: number): JobRunBucket[] {
  if ((end - lo) / spanMs > MAX_FILLED_BUCKETS) {
    return withData;
  }
  const out: JobRunBucket[] = [];
  let i = 0;
  for (let t = lo; t < end; t += spanMs) {
    if (i < withData.length && withData[i].time === t) {
      out.push(withData[i++]);
    } else {
      out.push({ time: t, score: 0, rawScore: 0, probability: 1, eventCount: 0 });
    }
  }
  return out;
}
