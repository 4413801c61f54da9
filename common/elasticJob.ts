/**
 * Elastic anomaly-detection jobs read and written in Elastic's own JSON (docs/jobs.md): the body of
 * `PUT _ml/anomaly_detectors/<job_id>`, that request as Kibana's console writes it, or the response of
 * `GET _ml/anomaly_detectors/<job_id>` holding one job. Every problem is reported at once, each naming its
 * place; settings Rarity does not apply come back as warnings saying what they change.
 */
import { formatSeconds } from './duration.ts';
import { readBucketSpan, readDetectors, readGroupField, readInfluencers, readMemoryLimit } from './elastic/analysis.ts';
import { Reader, isObject, show, type JobProblem, type Obj } from './elastic/reader.ts';
import {
  ANALYSIS_CONFIG,
  ANALYSIS_LIMITS,
  DATA_DESCRIPTION,
  JOB,
  MIB,
  jobIdProblem,
  type ElasticDetector,
  type ElasticJobBody,
} from './elastic/vocabulary.ts';
import { warnAnalysisConfig, warnJob } from './elastic/warnings.ts';
import { elasticFieldOfReference } from './fieldName.ts';
import type { JobDefinition } from './jobModel.ts';
import { JsonTextError, parseJsonText } from './jsonText.ts';

export type { ElasticDetector, ElasticJobBody } from './elastic/vocabulary.ts';
export { ELASTIC_DEFAULT_BUCKET_SPAN, defaultDetectorDescription } from './elastic/vocabulary.ts';
export type { JobProblem } from './elastic/reader.ts';

export class ElasticJobError extends Error {
  constructor(readonly problems: JobProblem[]) {
    super(problems.map((p) => p.message).join('\n'));
    this.name = 'ElasticJobError';
  }
}

export interface CheckedJob {
  /** Present exactly when there are no problems. */
  job?: JobDefinition;
  problems: JobProblem[];
}

/** Reads an Elastic job (its JSON text, or the value JSON.parse made of it); throws ElasticJobError naming every problem. */
export function parseElasticJob(input: string | unknown): JobDefinition {
  const { job, problems } = checkElasticJob(input);
  if (!job) {
    throw new ElasticJobError(problems);
  }
  return job;
}

/** Every problem of an Elastic job, and the job itself when there are none (for an editor that lists them all). */
export function checkElasticJob(input: string | unknown): CheckedJob {
  const r = new Reader();
  const { body, urlJobId } = unwrap(input, r);
  if (r.problems.length > 0) {
    return { problems: r.problems };
  }
  if (!isObject(body)) {
    r.problem('', `An Elastic job is a JSON object with analysis_config in it, got ${show(body)}`);
    return { problems: r.problems };
  }
  const job = readJob(body, urlJobId, r);
  return r.problems.length > 0 ? { problems: r.problems } : { job, problems: [] };
}

const REQUEST_LINE = /^(GET|PUT|POST|DELETE|HEAD)[ \t]+(\S+)[ \t]*$/i;
const JOB_PATH = /^\/?_ml\/anomaly_detectors\/([^/?\s]+)\/?(?:\?\S*)?$/;

/** The job object inside what was pasted: a console request, a GET response or the body itself. */
function unwrap(input: unknown, r: Reader): { body?: unknown; urlJobId?: string } {
  let value = input;
  let urlJobId: string | undefined;
  if (typeof input === 'string') {
    const text = input.replace(/^\uFEFF/, '');
    const first = /^\s*/.exec(text)![0].length;
    if (first === text.length) {
      r.problem('', 'The text is empty: paste the JSON of an Elastic anomaly detection job');
      return {};
    }
    let start = first;
    const lineEnd = text.indexOf('\n', first);
    const line = text.slice(first, lineEnd < 0 ? text.length : lineEnd).trim();
    const request = REQUEST_LINE.exec(line);
    if (request) {
      const path = JOB_PATH.exec(request[2]);
      if (!path || !['PUT', 'POST'].includes(request[1].toUpperCase())) {
        r.problem(
          '',
          `The request "${line}" does not create an anomaly detection job; paste the body of PUT _ml/anomaly_detectors/<job_id>, or that request with its body`,
        );
        return {};
      }
      if (path[1] !== '_validate') {
        urlJobId = decodeURIComponent(path[1]);
      }
      start = lineEnd < 0 ? text.length : lineEnd + 1;
      if (/^\s*$/.test(text.slice(start))) {
        r.problem('', `The request "${line}" has no body: the job's JSON follows it on the next line`);
        return {};
      }
    }
    try {
      value = parseJsonText(text, start);
    } catch (err) {
      if (err instanceof JsonTextError) {
        r.problem('', err.message);
        return {};
      }
      throw err;
    }
  }
  if (isObject(value) && Array.isArray(value.jobs) && !('analysis_config' in value)) {
    const jobs: unknown[] = value.jobs;
    if (jobs.length !== 1) {
      const ids = jobs.map((j) => (isObject(j) && typeof j.job_id === 'string' ? j.job_id : '?'));
      r.problem(
        'jobs',
        jobs.length === 0
          ? 'The response holds no jobs'
          : `The response holds ${jobs.length} jobs (${ids.join(', ')}); Rarity reads one job at a time, so keep one`,
      );
      return {};
    }
    return { body: jobs[0], urlJobId };
  }
  return { body: value, urlJobId };
}

function readJob(body: Obj, urlJobId: string | undefined, r: Reader): JobDefinition | undefined {
  r.keys(body, JOB, '');
  const bodyJobId = r.text(body, 'job_id', '');
  if (urlJobId !== undefined && bodyJobId !== undefined && urlJobId !== bodyJobId) {
    r.problem(
      'job_id',
      `job_id "${bodyJobId}" in the body differs from "${urlJobId}" in the request; Elastic refuses that too`,
    );
  }
  const jobId = bodyJobId ?? urlJobId;
  const idProblem = jobId === undefined ? undefined : jobIdProblem(jobId);
  if (idProblem) {
    r.problem('job_id', idProblem);
  }
  const description = r.text(body, 'description', '');

  const config = r.object(body, 'analysis_config', '');
  if (!config) {
    if (body.analysis_config === undefined || body.analysis_config === null) {
      r.problem(
        'analysis_config',
        'analysis_config is missing: it holds the bucket span, the detectors and the influencers',
      );
    }
    return undefined;
  }
  r.keys(config, ANALYSIS_CONFIG, 'analysis_config');
  const bucketSpanSeconds = readBucketSpan(config, r);
  const detectors = readDetectors(config, r);
  const influencers = readInfluencers(config, r);
  warnAnalysisConfig(config, r);

  const limits = r.object(body, 'analysis_limits', '');
  if (limits) {
    r.keys(limits, ANALYSIS_LIMITS, 'analysis_limits');
  }
  const modelMemoryLimitBytes = limits ? readMemoryLimit(limits, r) : undefined;

  const data = r.object(body, 'data_description', '');
  if (data) {
    r.keys(data, DATA_DESCRIPTION, 'data_description');
  }
  const timeName = data ? r.text(data, 'time_field', 'data_description') : undefined;
  const timeField = timeName === undefined ? undefined : r.field(timeName, 'data_description.time_field', 'time_field');

  const groupField = readGroupField(body, detectors, influencers, r);
  warnJob(body, r);
  if (r.unused.length > 0) {
    r.warnings.push(`Ignored, as they do not change detection in Rarity: ${r.unused.join(', ')}`);
  }

  // Only the settings given, so a job equals what toElasticJob's output reads back as.
  return {
    ...(jobId !== undefined && { jobId }),
    ...(description !== undefined && { description }),
    bucketSpan: formatSeconds(bucketSpanSeconds),
    bucketSpanSeconds,
    detectors,
    influencers,
    ...(groupField !== undefined && { groupField }),
    ...(modelMemoryLimitBytes !== undefined && { modelMemoryLimitBytes }),
    ...(timeField !== undefined && { timeField }),
    warnings: r.warnings,
  };
}

/** The job in Elastic's JSON, a body for PUT _ml/anomaly_detectors/<job_id>; parseElasticJob reads it back as the same job. */
export function toElasticJob(job: JobDefinition): ElasticJobBody {
  const name = elasticFieldOfReference;
  const detectors = job.detectors.map((d): ElasticDetector => ({
    detector_description: d.description,
    function: d.function,
    by_field_name: name(d.byField),
    ...(d.overField !== undefined && { over_field_name: name(d.overField) }),
    ...(d.partitionField !== undefined && { partition_field_name: name(d.partitionField) }),
  }));
  return {
    ...(job.jobId !== undefined && { job_id: job.jobId }),
    ...(job.description !== undefined && { description: job.description }),
    analysis_config: {
      bucket_span: formatSeconds(job.bucketSpanSeconds),
      detectors,
      influencers: job.influencers.map(name),
    },
    ...(job.modelMemoryLimitBytes !== undefined && {
      analysis_limits: { model_memory_limit: `${Math.floor(job.modelMemoryLimitBytes / MIB)}mb` },
    }),
    // Elastic requires data_description; without a time_field it reads a field named "time".
    data_description: job.timeField === undefined ? {} : { time_field: name(job.timeField) },
    ...(job.groupField !== undefined && { custom_settings: { rarity: { group_field: name(job.groupField) } } }),
  };
}
