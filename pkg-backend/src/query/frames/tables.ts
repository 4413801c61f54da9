/**
 * `records`, `groups` and `annotations`: table frames with machine names (common/frames.ts, which the front end
 * reads back) and Grafana display names.
 */
import {
  ANNOTATION_FIELDS as A,
  FRAME_NAMES,
  GROUP_FIELDS as G,
  RECORD_FIELDS as R,
} from '../../../../common/frames.ts';
import type { AnomalyGroup } from '../../../../common/anomalyGroup.ts';
import { severityOf } from '../../../../common/severity.ts';
import type { Field, Frame } from '../contract.ts';
import type { DetectionResult } from '../detection.ts';
import { scoreFieldConfig } from './scoreFieldConfig.ts';

const named = (displayNameFromDS: string) => ({ displayNameFromDS });

/** A record as the records frame shows it; the engine's records and a job's both map to it. */
export interface RecordRow {
  time: number;
  score: number;
  probability: number;
  by: string;
  over: string | null;
  typical: number;
  actual: number;
  count: number;
  explanation: string;
  groupId?: string | null;
}

/** The by and over field names the column headers mention ("By (state)"). */
export interface RecordColumnNames {
  byField: string;
  overField: string | null;
}

export function recordsFrame(
  result: DetectionResult,
  refId: string,
  options: { minScore: number; limit: number },
): Frame {
  const rows = result.records.map((r) => ({ ...r, explanation: r.explanation.text }));
  return recordRowsFrame(rows, refId, options, result.detector);
}

/**
 * The strongest `limit` records at or above minScore, in time order; `extra` adds columns (a job's
 * detector, partition, influencers) computed from the same rows.
 */
export function recordRowsFrame<R extends RecordRow>(
  rows: readonly R[],
  refId: string,
  options: { minScore: number; limit: number },
  d: RecordColumnNames,
  extra: (records: R[]) => Field[] = () => [],
): Frame {
  const records = rows
    .filter((r) => r.score >= options.minScore)
    .sort((a, b) => b.score - a.score || a.time - b.time)
    .slice(0, options.limit)
    .sort((a, b) => a.time - b.time || b.score - a.score);
  const fields: Field[] = [
    { name: R.time, type: 'time', values: records.map((r) => r.time), config: named('Time') },
    { name: R.score, type: 'number', values: records.map((r) => r.score), config: scoreFieldConfig('Record score') },
    {
      name: R.severity,
      type: 'string',
      values: records.map((r) => severityOf(r.score).name),
      config: named('Severity'),
    },
    {
      name: R.probability,
      type: 'number',
      values: records.map((r) => r.probability),
      config: { displayNameFromDS: 'Probability', decimals: 6 },
    },
    { name: R.by, type: 'string', values: records.map((r) => r.by), config: named(`By (${d.byField})`) },
    {
      name: R.over,
      type: 'string',
      values: records.map((r) => r.over),
      nullable: true,
      config: named(d.overField ? `Over (${d.overField})` : 'Over'),
    },
    {
      name: R.typical,
      type: 'number',
      values: records.map((r) => r.typical),
      config: { displayNameFromDS: 'Typical', decimals: 6 },
    },
    { name: R.actual, type: 'number', values: records.map((r) => r.actual), config: named('Actual') },
    { name: R.count, type: 'number', values: records.map((r) => r.count), config: named('Requests') },
    {
      name: R.explanation,
      type: 'string',
      values: records.map((r) => r.explanation),
      config: named('Explanation'),
    },
    {
      name: R.groupId,
      type: 'string',
      values: records.map((r) => r.groupId ?? null),
      nullable: true,
      config: named('Group Id'),
    },
    ...extra(records),
  ];
  return { name: FRAME_NAMES.records, refId, meta: { preferredVisualisationType: 'table' }, fields };
}

/** A group as the groups and annotations frames show it; ids null only when a job's rows were deleted since. */
export type GroupRow = AnomalyGroup<bigint | null>;

export function groupsFrame(
  result: DetectionResult,
  refId: string,
  options: { minScore: number; limit: number },
): Frame {
  return groupRowsFrame(result.groups, refId, options, {
    entityField: result.detector.overField ?? result.detector.byField,
    custom: { detector: result.detector },
  });
}

/** The strongest `limit` groups at or above minScore, in time order; `extra` adds columns from the same rows. */
export function groupRowsFrame<G extends GroupRow>(
  rows: readonly G[],
  refId: string,
  options: { minScore: number; limit: number },
  about: { entityField: string; custom: Record<string, unknown> },
  extra: (groups: G[]) => Field[] = () => [],
): Frame {
  const groups = rows
    .filter((g) => g.maxScore >= options.minScore)
    .sort((a, b) => b.maxScore - a.maxScore || a.start - b.start)
    .slice(0, options.limit)
    .sort((a, b) => a.start - b.start || b.maxScore - a.maxScore);
  const fields: Field[] = [
    { name: G.id, type: 'string', values: groups.map((g) => g.id), config: named('Group Id') },
    {
      name: G.entity,
      type: 'string',
      values: groups.map((g) => g.entity),
      config: named(`Entity (${about.entityField})`),
    },
    { name: G.start, type: 'time', values: groups.map((g) => g.start), config: named('Start') },
    { name: G.end, type: 'time', values: groups.map((g) => g.end), config: named('End') },
    { name: G.startingAt, type: 'int64', values: groups.map((g) => g.startingAt), config: named('Starting At') },
    { name: G.endingAt, type: 'int64', values: groups.map((g) => g.endingAt), config: named('Ending At') },
    { name: G.maxScore, type: 'number', values: groups.map((g) => g.maxScore), config: scoreFieldConfig('Max score') },
    {
      name: G.severity,
      type: 'string',
      values: groups.map((g) => severityOf(g.maxScore).name),
      config: named('Severity'),
    },
    { name: G.requests, type: 'number', values: groups.map((g) => g.requests), config: named('Requests') },
    { name: G.successful, type: 'number', values: groups.map((g) => g.successful), config: named('Successful') },
    { name: G.unsuccessful, type: 'number', values: groups.map((g) => g.unsuccessful), config: named('Unsuccessful') },
    { name: G.explanation, type: 'string', values: groups.map((g) => g.explanation), config: named('Explanation') },
    { name: G.open, type: 'boolean', values: groups.map((g) => g.open), config: named('Ongoing') },
    ...extra(groups),
  ];
  return {
    name: FRAME_NAMES.groups,
    refId,
    meta: { preferredVisualisationType: 'table', custom: about.custom },
    fields,
  };
}

export function annotationsFrame(
  result: DetectionResult,
  refId: string,
  options: { minScore: number; limit: number },
): Frame {
  const d = result.detector;
  return groupRegionsFrame(result.groups, refId, options, {
    entityField: d.overField ?? d.byField,
    functions: [d.function],
  });
}

/** One region per group, the strongest `limit` at or above minScore; tagged with the detectors' functions. */
export function groupRegionsFrame(
  rows: readonly GroupRow[],
  refId: string,
  options: { minScore: number; limit: number },
  about: { entityField: string; functions: string[] },
): Frame {
  const groups = rows
    .filter((g) => g.maxScore >= options.minScore)
    .sort((a, b) => b.maxScore - a.maxScore)
    .slice(0, options.limit)
    .sort((a, b) => a.start - b.start);
  const { entityField } = about;
  return {
    name: FRAME_NAMES.annotations,
    refId,
    fields: [
      { name: A.time, type: 'time', values: groups.map((g) => g.start) },
      { name: A.timeEnd, type: 'time', values: groups.map((g) => g.end) },
      {
        name: A.title,
        type: 'string',
        values: groups.map((g) => `${severityOf(g.maxScore).name} anomaly: ${entityField} ${g.entity}`),
      },
      {
        name: A.text,
        type: 'string',
        values: groups.map(
          (g) =>
            `${g.explanation}. Group ${g.id}, score ${g.maxScore.toFixed(1)}, log ids ${g.startingAt}–${g.endingAt}, ${g.requests} requests (${g.successful} successful, ${g.unsuccessful} unsuccessful)`,
        ),
      },
      {
        name: A.tags,
        type: 'json',
        values: groups.map((g) => [
          'rarity',
          ...about.functions,
          `severity:${severityOf(g.maxScore).name}`,
          `${entityField}:${g.entity}`,
        ]),
      },
      // No colour field: the front end colours each region from the score's band (common/severity.ts).
      { name: A.score, type: 'number', values: groups.map((g) => g.maxScore), config: scoreFieldConfig('Max score') },
      { name: A.id, type: 'string', values: groups.map((g) => g.id) },
    ],
  };
}
