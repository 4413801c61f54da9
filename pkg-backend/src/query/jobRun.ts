/**
 * Runs a job (several detectors, partitions, influencers) over a log table in-process, as runDetection runs
 * one detector: the job pushdown is streamed chunk by chunk from the first row (the models need the history
 * before `from`) up to `to`, fed to AnomalyJob, and what falls inside [from, to) is kept. Nothing is persisted.
 *
 * Groups are formed per value of the group field (JobDefinition.groupField; default the first influencer)
 * over consecutive buckets where that value is anomalous: its influencer score ≥ the group threshold, or —
 * when the group field is a by, over or partition field but no influencer — the score of a record of that
 * value. Their Starting At / Ending At and request counts are counted exactly by one store statement.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { JobDefinition } from '../../../common/jobModel.ts';
import { MAX_BUCKETS, MAX_SCORE, MIN_LEARNING_BUCKETS, MIN_SCORE } from '../../../common/limits.ts';
import type { DetectorFunction, QueryFilter, SuccessRule } from '../../../common/queryModel.ts';
import { severityOf, type SeverityName } from '../../../common/severity.ts';
import { groupId } from '../engine/groups.ts';
import { AnomalyJob, type JobBucketResult, type JobRecord, type JobSpec } from '../engine/job.ts';
import { DEFAULT_GROUP_THRESHOLD } from '../engine/model/config.ts';
import {
  StoreError,
  describeTable,
  groupSpanStats,
  jobFieldName,
  resolveColumn,
  resolveJobField,
  streamJobChunks,
  timeExtent,
  type JobField,
  type JobPushdownPlan,
} from '../store/index.ts';
import { cancelled, sizedChunks } from './bucketFeed.ts';
import { alignDown, historyRange } from './detection.ts';
import { QueryError } from './queryError.ts';
import type { TimeWindow } from './request.ts';

export interface JobRequest {
  table: string;
  /** The datasource's time column; the job's own timeField, when it has one, is used instead. */
  timeColumn: string;
  idColumn: string;
  job: JobDefinition;
  filters?: QueryFilter[];
  successRule?: SuccessRule;
  learningBuckets?: number;
  groupThreshold?: number;
  /** The datasource's limit; the job's own analysis_limits take precedence. */
  modelMemoryLimitBytes?: number;
}

export interface JobRunBucket {
  time: number;
  score: number;
  rawScore: number;
  probability: number;
  eventCount: number;
}

export interface JobRunRecord {
  time: number;
  score: number;
  probability: number;
  /** Index of the detector in the job (Elastic's detector_index). */
  detector: number;
  function: DetectorFunction;
  by: string;
  over: string | null;
  partition: string | null;
  typical: number;
  actual: number;
  count: number;
  influencers: Array<{ field: string; value: string; influence: number }>;
  explanation: string;
  groupId: string | null;
}

export interface JobRunInfluencer {
  time: number;
  field: string;
  value: string;
  score: number;
  probability: number;
}

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
  stats: { historyFrom: Date | null; bucketsProcessed: number; models: number };
}

/** Empty buckets are listed with score 0 only up to this many, as in detection.ts. */
const MAX_FILLED_BUCKETS = 50_000;

interface Resolved {
  plan: Omit<JobPushdownPlan, 'from' | 'to'>;
  spec: JobSpec;
  groupField: JobField;
  groupFieldName: string;
  key: string;
}

async function resolveJob(pool: pg.Pool, request: JobRequest): Promise<Resolved> {
  const { job } = request;
  checkTuning(request);
  const table = await describeTable(pool, request.table);
  const rule = request.successRule;
  const where = (i: number) => `detector ${i + 1} ("${job.detectors[i].description}")`;
  const field = (reference: string, purpose: 'by' | 'over', place: string): JobField => {
    try {
      return resolveJobField(table, reference, purpose, rule);
    } catch (e) {
      if (e instanceof StoreError) {
        e.message = `${place}: ${e.message}`;
      }
      throw e;
    }
  };
  const detectors = job.detectors.map((d, i) => ({
    by: field(d.byField, 'by', where(i)),
    over: d.overField === undefined ? undefined : field(d.overField, 'over', where(i)),
    partition: d.partitionField === undefined ? undefined : field(d.partitionField, 'by', `${where(i)} partition`),
  }));
  const influencers = job.influencers.map((f) => field(f, 'by', `influencer ${f}`));
  const groupReference =
    job.groupField ??
    job.influencers[0] ??
    job.detectors[0].partitionField ??
    job.detectors[0].overField ??
    job.detectors[0].byField;
  const groupField = field(groupReference, 'by', 'group field');
  const groupFieldName = jobFieldName(groupField);
  const names = new Set(
    [...detectors.flatMap((d) => [d.by, d.over, d.partition]), ...influencers]
      .filter((f): f is JobField => f !== undefined)
      .map(jobFieldName),
  );
  if (!names.has(groupFieldName)) {
    throw new QueryError(
      `group field "${groupReference}" is none of the job's by, over, partition or influencer fields (${[...names].join(', ')}); only their values reach the records`,
      'groupField',
      groupReference,
    );
  }
  const plan = {
    table,
    timeColumn: resolveColumn(table, job.timeField ?? request.timeColumn, 'time'),
    idColumn: resolveColumn(table, request.idColumn, 'id'),
    detectors,
    influencers,
    bucketSpanSeconds: job.bucketSpanSeconds,
    filters: request.filters ?? [],
    successRule: rule,
  };
  const spec: JobSpec = {
    bucketSpanSeconds: job.bucketSpanSeconds,
    learningBuckets: request.learningBuckets,
    modelMemoryLimitBytes: job.modelMemoryLimitBytes ?? request.modelMemoryLimitBytes,
    detectors: job.detectors.map((d, i) => ({
      function: d.function,
      byField: jobFieldName(detectors[i].by),
      ...(detectors[i].over && { overField: jobFieldName(detectors[i].over) }),
      ...(detectors[i].partition && { partitionField: jobFieldName(detectors[i].partition) }),
      description: d.description,
    })),
    ...(influencers.length > 0 && { influencers: influencers.map(jobFieldName) }),
  };
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        table.qualified,
        plan.timeColumn.name,
        plan.idColumn.name,
        spec,
        groupFieldName,
        plan.filters,
        rule ?? null,
        request.groupThreshold ?? DEFAULT_GROUP_THRESHOLD,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
  return { plan, spec, groupField, groupFieldName, key };
}

function checkTuning(request: JobRequest): void {
  const { learningBuckets, groupThreshold } = request;
  if (
    learningBuckets !== undefined &&
    !(Number.isInteger(learningBuckets) && learningBuckets >= MIN_LEARNING_BUCKETS)
  ) {
    throw new QueryError(
      `learningBuckets ${learningBuckets} must be a whole number of at least ${MIN_LEARNING_BUCKETS} (Elastic's advice for rare)`,
      'learningBuckets',
    );
  }
  if (groupThreshold !== undefined && !(groupThreshold >= MIN_SCORE && groupThreshold <= MAX_SCORE)) {
    throw new QueryError(
      `groupThreshold ${groupThreshold} must be a score from ${MIN_SCORE} to ${MAX_SCORE}`,
      'groupThreshold',
    );
  }
}

/** A value of the group field anomalous in one bucket. */
interface Hit {
  time: number;
  score: number;
}

interface OpenGroup {
  value: string;
  start: number;
  end: number;
  maxScore: number;
}

/** The values of the group field a record carries: its own by, over or partition value, or an influencer's. */
function groupValues(record: JobRecord, spec: JobSpec, field: string): string[] {
  const d = spec.detectors[record.detector];
  const own =
    d.partitionField === field
      ? record.partition
      : d.overField === field
        ? record.over
        : d.byField === field
          ? record.by
          : null;
  const values = own === null ? [] : [own];
  for (const inf of record.influencers ?? []) {
    if (inf.field === field && !values.includes(inf.value)) {
      values.push(inf.value);
    }
  }
  return values;
}

/** This bucket's anomalous values of the group field, with their scores. */
function bucketHits(result: JobBucketResult, spec: JobSpec, field: string, threshold: number): Map<string, number> {
  const hits = new Map<string, number>();
  const keep = (value: string, score: number) => {
    if (score >= threshold && score > (hits.get(value) ?? -1)) {
      hits.set(value, score);
    }
  };
  if (spec.influencers?.includes(field)) {
    for (const inf of result.influencers ?? []) {
      if (inf.field === field) {
        keep(inf.value, inf.score);
      }
    }
  } else {
    for (const r of result.records) {
      for (const v of groupValues(r, spec, field)) {
        keep(v, r.score);
      }
    }
  }
  return hits;
}

export async function runJob(
  pool: pg.Pool,
  request: JobRequest,
  window: TimeWindow = {},
  signal?: AbortSignal,
): Promise<JobRunResult> {
  const resolved = await resolveJob(pool, request);
  const { plan, spec, groupFieldName } = resolved;
  const spanMs = spec.bucketSpanSeconds * 1000;
  const threshold = request.groupThreshold ?? DEFAULT_GROUP_THRESHOLD;
  // Also the first statement to compile the filters, so a bad one is refused before any aggregate runs.
  const extent = await timeExtent(pool, { table: plan.table, timeColumn: plan.timeColumn, filters: plan.filters });
  const { from, to, historyFrom } = historyRange(extent, window, spanMs, request.job.bucketSpan);

  const engine = new AnomalyJob(spec);
  const lo = alignDown(from.getTime(), spanMs);
  const hi = to.getTime();
  const inRange = (t: number) => t >= lo && t < hi;
  const buckets: JobRunBucket[] = [];
  const records: JobRecord[] = [];
  const influencers: JobRunInfluencer[] = [];
  const hitsByValue = new Map<string, Hit[]>();
  let bucketsProcessed = 0;
  let lastProcessed = -Infinity;
  const fullPlan = { ...plan, from: new Date(historyFrom), to };
  for await (const event of streamJobChunks(pool, fullPlan, sizedChunks(pool, spanMs))) {
    if (signal?.aborted) {
      throw cancelled();
    }
    if (event.kind !== 'bucket') {
      continue;
    }
    const result = engine.process(event.input);
    bucketsProcessed++;
    lastProcessed = result.time;
    for (const [value, score] of bucketHits(result, spec, groupFieldName, threshold)) {
      const list = hitsByValue.get(value);
      if (list) {
        list.push({ time: result.time, score });
      } else {
        hitsByValue.set(value, [{ time: result.time, score }]);
      }
    }
    if (!inRange(result.time)) {
      continue;
    }
    const { time, score, rawScore, probability, eventCount } = result;
    buckets.push({ time, score, rawScore, probability, eventCount });
    records.push(...result.records);
    for (const inf of result.influencers ?? []) {
      influencers.push({ time, field: inf.field, value: inf.value, score: inf.score, probability: inf.probability });
    }
  }

  // Consecutive anomalous buckets of one value form a group; a bucket without anomaly (or without data) ends it.
  const spans: OpenGroup[] = [];
  for (const [value, hits] of hitsByValue) {
    let current: OpenGroup | undefined;
    for (const h of hits) {
      if (!current || current.end !== h.time) {
        current = { value, start: h.time, end: h.time, maxScore: 0 };
        spans.push(current);
      }
      current.end = h.time + spanMs;
      current.maxScore = Math.max(current.maxScore, h.score);
    }
  }
  const reported = spans
    .filter((g) => g.end > lo && g.start < hi)
    .sort((a, b) => a.start - b.start || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const counts = await groupSpanStats(
    pool,
    { ...plan, field: resolved.groupField },
    reported.map((g) => ({ value: g.value, from: new Date(g.start), to: new Date(g.end) })),
  );
  const groups: JobRunGroup[] = reported.map((g, i) => {
    const c = counts[i];
    return {
      id: groupId(resolved.key, g.value, g.start),
      entity: g.value,
      field: groupFieldName,
      start: g.start,
      end: g.end,
      startingAt: c.minId,
      endingAt: c.maxId,
      maxScore: g.maxScore,
      severity: severityOf(g.maxScore).name,
      requests: c.requests,
      successful: c.successful,
      unsuccessful: c.requests - c.successful,
      explanation: '',
      open: g.end > lastProcessed,
    };
  });

  // By value, so finding a record's group costs that value's few groups, not every group of the run.
  const groupsOf = new Map<string, JobRunGroup[]>();
  for (const g of groups) {
    const list = groupsOf.get(g.entity);
    if (list) {
      list.push(g);
    } else {
      groupsOf.set(g.entity, [g]);
    }
  }
  const groupOf = (value: string, time: number) => groupsOf.get(value)?.find((g) => g.start <= time && time < g.end);
  const outRecords = records.map((r): JobRunRecord => {
    let group: JobRunGroup | undefined;
    for (const v of groupValues(r, spec, groupFieldName)) {
      group = groupOf(v, r.time);
      if (group) {
        break;
      }
    }
    return {
      time: r.time,
      score: r.score,
      probability: r.probability,
      detector: r.detector,
      function: r.function,
      by: r.by,
      over: r.over,
      partition: r.partition,
      typical: r.typical,
      actual: r.actual,
      count: r.count,
      influencers: (r.influencers ?? []).map((x) => ({ field: x.field, value: x.value, influence: x.influence })),
      explanation: r.explanation.text,
      groupId: group?.id ?? null,
    };
  });
  // A group says why through its strongest record; without one in range, through its score.
  for (const g of groups) {
    let best: JobRunRecord | undefined;
    for (const r of outRecords) {
      if (r.groupId === g.id && (!best || r.score > best.score)) {
        best = r;
      }
    }
    g.explanation = best?.explanation ?? `${groupFieldName} ${g.entity}: anomalous, score ${g.maxScore.toFixed(1)}`;
  }

  return {
    job: request.job,
    table: plan.table.qualified,
    groupField: groupFieldName,
    from,
    to,
    buckets: fillEmpty(buckets, lo, hi, spanMs),
    records: outRecords,
    influencers,
    groups,
    stats: { historyFrom: extent.from, bucketsProcessed, models: engine.modelCount },
  };
}

/** Elastic writes a result for every bucket; buckets of [lo, end) without data score 0. */
function fillEmpty(withData: JobRunBucket[], lo: number, end: number, spanMs: number): JobRunBucket[] {
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
