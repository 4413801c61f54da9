/** `records` and `groups`: table frames with machine names and Grafana display names. */
import type { Field, Frame } from '../../plugin/frames.ts';
import { severityOf } from '../../engine/maths/index.ts';
import type { DetectionResult } from '../detection.ts';
import { scoreFieldConfig } from './severity.ts';

const named = (displayNameFromDS: string) => ({ displayNameFromDS });

export function recordsFrame(result: DetectionResult, refId: string, options: { minScore: number; limit: number }): Frame {
  const records = result.records
    .filter((r) => r.score >= options.minScore)
    .sort((a, b) => b.score - a.score || a.time - b.time)
    .slice(0, options.limit)
    .sort((a, b) => a.time - b.time || b.score - a.score);
  const d = result.detector;
  const fields: Field[] = [
    { name: 'time', type: 'time', values: records.map((r) => r.time), config: named('Time') },
    { name: 'score', type: 'number', values: records.map((r) => r.score), config: scoreFieldConfig('Record score') },
    { name: 'severity', type: 'string', values: records.map((r) => severityOf(r.score).name), config: named('Severity') },
    { name: 'probability', type: 'number', values: records.map((r) => r.probability), config: { displayNameFromDS: 'Probability', decimals: 6 } },
    { name: 'by', type: 'string', values: records.map((r) => r.by), config: named(`By (${d.byField})`) },
    { name: 'over', type: 'string', values: records.map((r) => r.over), nullable: true, config: named(d.overField ? `Over (${d.overField})` : 'Over') },
    { name: 'typical', type: 'number', values: records.map((r) => r.typical), config: { displayNameFromDS: 'Typical', decimals: 6 } },
    { name: 'actual', type: 'number', values: records.map((r) => r.actual), config: named('Actual') },
    { name: 'count', type: 'number', values: records.map((r) => r.count), config: named('Requests') },
    { name: 'explanation', type: 'string', values: records.map((r) => r.explanation.text), config: named('Explanation') },
    { name: 'groupId', type: 'string', values: records.map((r) => r.groupId ?? null), nullable: true, config: named('Group Id') },
  ];
  return { name: 'records', refId, meta: { preferredVisualisationType: 'table' }, fields };
}

export function groupsFrame(result: DetectionResult, refId: string, options: { minScore: number; limit: number }): Frame {
  const groups = result.groups
    .filter((g) => g.maxScore >= options.minScore)
    .sort((a, b) => b.maxScore - a.maxScore || a.start - b.start)
    .slice(0, options.limit)
    .sort((a, b) => a.start - b.start || b.maxScore - a.maxScore);
  const fields: Field[] = [
    { name: 'groupId', type: 'string', values: groups.map((g) => g.id), config: named('Group Id') },
    { name: 'entity', type: 'string', values: groups.map((g) => g.entity), config: named(`Entity (${result.detector.overField ?? result.detector.byField})`) },
    { name: 'start', type: 'time', values: groups.map((g) => g.start), config: named('Start') },
    { name: 'end', type: 'time', values: groups.map((g) => g.end), config: named('End') },
    { name: 'startingAt', type: 'int64', values: groups.map((g) => g.startingAt), config: named('Starting At') },
    { name: 'endingAt', type: 'int64', values: groups.map((g) => g.endingAt), config: named('Ending At') },
    { name: 'maxScore', type: 'number', values: groups.map((g) => g.maxScore), config: scoreFieldConfig('Max score') },
    { name: 'severity', type: 'string', values: groups.map((g) => severityOf(g.maxScore).name), config: named('Severity') },
    { name: 'requests', type: 'number', values: groups.map((g) => g.requests), config: named('Requests') },
    { name: 'successful', type: 'number', values: groups.map((g) => g.successful), config: named('Successful') },
    { name: 'unsuccessful', type: 'number', values: groups.map((g) => g.unsuccessful), config: named('Unsuccessful') },
    { name: 'explanation', type: 'string', values: groups.map((g) => g.explanation), config: named('Explanation') },
    { name: 'open', type: 'boolean', values: groups.map((g) => g.open), config: named('Ongoing') },
  ];
  return { name: 'groups', refId, meta: { preferredVisualisationType: 'table', custom: { detector: result.detector } }, fields };
}

export function annotationsFrame(result: DetectionResult, refId: string, options: { minScore: number; limit: number }): Frame {
  const groups = result.groups
    .filter((g) => g.maxScore >= options.minScore)
    .sort((a, b) => b.maxScore - a.maxScore)
    .slice(0, options.limit)
    .sort((a, b) => a.start - b.start);
  const d = result.detector;
  const entityField = d.overField ?? d.byField;
  return {
    name: 'annotations',
    refId,
    fields: [
      { name: 'time', type: 'time', values: groups.map((g) => g.start) },
      { name: 'timeEnd', type: 'time', values: groups.map((g) => g.end) },
      { name: 'title', type: 'string', values: groups.map((g) => `${severityOf(g.maxScore).name} anomaly: ${entityField} ${g.entity}`) },
      {
        name: 'text',
        type: 'string',
        values: groups.map(
          (g) =>
            `${g.explanation}. Group ${g.id}, score ${g.maxScore.toFixed(1)}, log ids ${g.startingAt}–${g.endingAt}, ${g.requests} requests (${g.successful} successful, ${g.unsuccessful} unsuccessful)`,
        ),
      },
      { name: 'tags', type: 'json', values: groups.map((g) => ['rarity', d.function, `severity:${severityOf(g.maxScore).name}`, `${entityField}:${g.entity}`]) },
      { name: 'score', type: 'number', values: groups.map((g) => g.maxScore), config: scoreFieldConfig('Max score') },
      { name: 'color', type: 'string', values: groups.map((g) => severityOf(g.maxScore).color) },
      { name: 'id', type: 'string', values: groups.map((g) => g.id) },
    ],
  };
}
