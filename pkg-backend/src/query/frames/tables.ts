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
import { severityOf } from '../../../../common/severity.ts';
import type { Field, Frame } from '../contract.ts';
import type { DetectionResult } from '../detection.ts';
import { scoreFieldConfig } from './scoreFieldConfig.ts';

const named = (displayNameFromDS: string) => ({ displayNameFromDS });

export function recordsFrame(
  result: DetectionResult,
  refId: string,
  options: { minScore: number; limit: number },
): Frame {
  const records = result.records
    .filter((r) => r.score >= options.minScore)
    .sort((a, b) => b.score - a.score || a.time - b.time)
    .slice(0, options.limit)
    .sort((a, b) => a.time - b.time || b.score - a.score);
  const d = result.detector;
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
      values: records.map((r) => r.explanation.text),
      config: named('Explanation'),
    },
    {
      name: R.groupId,
      type: 'string',
      values: records.map((r) => r.groupId ?? null),
      nullable: true,
      config: named('Group Id'),
    },
  ];
  return { name: FRAME_NAMES.records, refId, meta: { preferredVisualisationType: 'table' }, fields };
}

export function groupsFrame(
  result: DetectionResult,
  refId: string,
  options: { minScore: number; limit: number },
): Frame {
  const groups = result.groups
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
      config: named(`Entity (${result.detector.overField ?? result.detector.byField})`),
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
  ];
  return {
    name: FRAME_NAMES.groups,
    refId,
    meta: { preferredVisualisationType: 'table', custom: { detector: result.detector } },
    fields,
  };
}

export function annotationsFrame(
  result: DetectionResult,
  refId: string,
  options: { minScore: number; limit: number },
): Frame {
  const groups = result.groups
    .filter((g) => g.maxScore >= options.minScore)
    .sort((a, b) => b.maxScore - a.maxScore)
    .slice(0, options.limit)
    .sort((a, b) => a.start - b.start);
  const d = result.detector;
  const entityField = d.overField ?? d.byField;
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
          d.function,
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
