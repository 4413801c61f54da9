/**
 * Frames of a job query: adapters from runJob's result to the single-detector frame builders (scores.ts,
 * tables.ts), so panels and alert rules read a job's frames as they read a detector's. A job's records carry
 * which detector, function and partition found them and their influencers; its groups the field they are of.
 */
import { SCORE_LABELS } from '../../../../common/frames.ts';
import type { Field, Frame } from '../contract.ts';
import type { JobRunGroup, JobRunRecord, JobRunResult } from '../jobRun.ts';
import { seriesFrames, type SeriesPoint } from './scores.ts';
import { groupRegionsFrame, groupRowsFrame, recordRowsFrame, type GroupRow } from './tables.ts';

/**
 * Columns a job's records and groups add to the single-detector ones. Not in common/frames.ts yet because the
 * front end does not read them back; move them there when it does.
 */
export const JOB_RECORD_FIELDS = {
  detector: 'detector',
  function: 'function',
  partition: 'partition',
  influencers: 'influencers',
} as const;
export const JOB_GROUP_FIELDS = { field: 'field' } as const;
/** Label of a job's score series: the detector's index in the job (Elastic's detector_index). */
export const JOB_SCORE_LABELS = { detector: 'detector', partition: 'partition' } as const;

type Options = { minScore: number; limit: number };

const named = (displayNameFromDS: string) => ({ displayNameFromDS });

function distinct(values: Array<string | undefined>): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined))];
}

/** What every frame of a job says about it in meta.custom.job. */
export function jobSummary(result: JobRunResult) {
  const { job } = result;
  return {
    table: result.table,
    bucketSpan: job.bucketSpan,
    detectors: job.detectors.map((d) => d.description),
    influencers: job.influencers,
    groupField: result.groupField,
  };
}

/** "key=ABC (1.00), ip=1.2.3.4 (0.55)": a record's influencers, the strongest first as the engine lists them. */
export function influencersText(record: Pick<JobRunRecord, 'influencers'>): string {
  return record.influencers.map((i) => `${i.field}=${i.value} (${i.influence.toFixed(2)})`).join(', ');
}

/**
 * The bucket score `{score="bucket"}` and, per detector, partition and entity, its max record score per
 * bucket `{detector="0", by=…}` or `{detector="1", partition=…, over=…}`.
 */
export function jobScoresFrames(result: JobRunResult, refId: string, options: Options): Frame[] {
  const points = result.records.map((r): SeriesPoint => {
    const d = result.job.detectors[r.detector];
    const entity = r.over ?? r.by;
    const labels: Record<string, string> = { [JOB_SCORE_LABELS.detector]: String(r.detector) };
    if (r.partition !== null) {
      labels[JOB_SCORE_LABELS.partition] = r.partition;
    }
    labels[d.overField !== undefined ? SCORE_LABELS.over : SCORE_LABELS.by] = entity;
    const partition = r.partition === null ? '' : ` [${r.partition}]`;
    return { time: r.time, score: r.score, name: `${d.description}${partition}: ${entity}`, labels };
  });
  return seriesFrames(result.buckets, points, refId, options);
}

/**
 * One series per influencer value, `{<field>=<value>}` (e.g. `{key="ABC"}`), of its 0–100 influencer score per
 * bucket: an alert rule on it fires one instance per key, address or machine. No bucket score series.
 */
export function jobInfluencersFrames(result: JobRunResult, refId: string, options: Options): Frame[] {
  const points = result.influencers.map((i): SeriesPoint => ({
    time: i.time,
    score: i.score,
    name: `${i.field}=${i.value}`,
    labels: { [i.field]: i.value },
  }));
  return seriesFrames(null, points, refId, options);
}

export function jobRecordsFrame(result: JobRunResult, refId: string, options: Options): Frame {
  const { detectors } = result.job;
  const overFields = distinct(detectors.map((d) => d.overField));
  const columns = {
    byField: distinct(detectors.map((d) => d.byField)).join(', '),
    overField: overFields.length > 0 ? overFields.join(', ') : null,
  };
  const extra = (records: JobRunRecord[]): Field[] => [
    {
      name: JOB_RECORD_FIELDS.detector,
      type: 'string',
      values: records.map((r) => detectors[r.detector].description),
      config: named('Detector'),
    },
    {
      name: JOB_RECORD_FIELDS.function,
      type: 'string',
      values: records.map((r) => r.function),
      config: named('Function'),
    },
    {
      name: JOB_RECORD_FIELDS.partition,
      type: 'string',
      values: records.map((r) => r.partition),
      nullable: true,
      config: named('Partition'),
    },
    {
      name: JOB_RECORD_FIELDS.influencers,
      type: 'string',
      values: records.map(influencersText),
      config: named('Influencers'),
    },
  ];
  return recordRowsFrame(result.records, refId, options, columns, extra);
}

type JobGroupRow = GroupRow & Pick<JobRunGroup, 'field'>;

/** A job's groups with their log ids as bigints, as the engine's are; null where the rows were deleted since. */
export function jobGroupRows(result: JobRunResult): JobGroupRow[] {
  const id = (text: string | null) => (text === null ? null : BigInt(text));
  return result.groups.map((g) => ({
    id: g.id,
    entity: g.entity,
    field: g.field,
    start: g.start,
    end: g.end,
    startingAt: id(g.startingAt),
    endingAt: id(g.endingAt),
    maxScore: g.maxScore,
    requests: g.requests,
    successful: g.successful,
    unsuccessful: g.unsuccessful,
    explanation: g.explanation,
    open: g.open,
  }));
}

export function jobGroupsFrame(result: JobRunResult, refId: string, options: Options): Frame {
  const extra = (groups: JobGroupRow[]): Field[] => [
    { name: JOB_GROUP_FIELDS.field, type: 'string', values: groups.map((g) => g.field), config: named('Field') },
  ];
  return groupRowsFrame(
    jobGroupRows(result),
    refId,
    options,
    { entityField: result.groupField, custom: { job: jobSummary(result) } },
    extra,
  );
}

export function jobAnnotationsFrame(result: JobRunResult, refId: string, options: Options): Frame {
  return groupRegionsFrame(jobGroupRows(result), refId, options, {
    entityField: result.groupField,
    functions: distinct(result.job.detectors.map((d) => d.function)),
  });
}
