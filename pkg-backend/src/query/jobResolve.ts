/**
 * A job request resolved against the log table's catalogue: every field a column (or the derived
 * `successful`), the pushdown plan, the engine's spec, the group field and the key that names the job's
 * results. Errors name the detector by its place in the query model (detectors[i]) and its description.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { JobDefinition } from '../../../common/jobModel.ts';
import { MAX_SCORE, MIN_LEARNING_BUCKETS, MIN_SCORE } from '../../../common/limits.ts';
import type { QueryFilter, SuccessRule } from '../../../common/queryModel.ts';
import type { JobSpec } from '../engine/job.ts';
import { DEFAULT_GROUP_THRESHOLD } from '../engine/model/config.ts';
import {
  StoreError,
  describeTable,
  jobFieldName,
  resolveColumn,
  resolveJobField,
  type JobField,
  type JobPushdownPlan,
} from '../store/index.ts';
import { QueryError } from './queryError.ts';

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

export interface ResolvedJob {
  plan: Omit<JobPushdownPlan, 'from' | 'to'>;
  spec: JobSpec;
  groupField: JobField;
  groupFieldName: string;
  /** Names the job in the state store and in its groups' ids: every setting that changes a result is in it. */
  key: string;
  groupThreshold: number;
}

export async function resolveJob(pool: pg.Pool, request: JobRequest): Promise<ResolvedJob> {
  const { job } = request;
  checkTuning(request);
  const table = await describeTable(pool, request.table);
  const rule = request.successRule;
  // The query model's own names (validateQuery says detectors[0] too), with the description people recognise.
  const where = (i: number) => `detectors[${i}] ("${job.detectors[i].description}")`;
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
    partition:
      d.partitionField === undefined ? undefined : field(d.partitionField, 'by', `${where(i)} partition field`),
  }));
  const influencers = job.influencers.map((f) => field(f, 'by', `influencer ${f}`));
  // Two spellings of one column ("a.b" quoted and a.b as the catalogue writes it) pass the model's checks;
  // resolved, they are the same field, which the engine cannot take twice.
  detectors.forEach((d, i) => {
    const used = [d.by, d.over, d.partition].filter((f): f is JobField => f !== undefined).map(jobFieldName);
    if (new Set(used).size < used.length) {
      throw new QueryError(
        `${where(i)}: by, over and partition name the same column (${used.join(', ')}); choose different fields`,
        `detectors.${i}`,
      );
    }
  });
  const influencerNames = influencers.map(jobFieldName);
  if (new Set(influencerNames).size < influencerNames.length) {
    throw new QueryError(
      `influencers name the same column more than once (${influencerNames.join(', ')}); name each once`,
      'influencers',
    );
  }
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
  return {
    plan,
    spec,
    groupField,
    groupFieldName,
    key,
    groupThreshold: request.groupThreshold ?? DEFAULT_GROUP_THRESHOLD,
  };
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
