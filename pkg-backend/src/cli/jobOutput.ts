/** A job's results for machines (JSON: times as ISO text, ids as decimal text) and for people (tables). */
import type { JobRunResult } from '../query/jobRun.ts';
import { renderTable } from './output.ts';

const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const iso = (ms: number) => new Date(ms).toISOString();
const minute = (ms: number) => iso(ms).slice(0, 16).replace('T', ' ');

/** runJob's results as they are, with times as ISO text and scores rounded for reading. */
export function jobJson(result: JobRunResult) {
  return {
    buckets: result.buckets.map((b) => ({ ...b, time: iso(b.time), score: round(b.score) })),
    records: result.records.map((r) => ({ ...r, time: iso(r.time), score: round(r.score) })),
    influencers: result.influencers.map((i) => ({ ...i, time: iso(i.time), score: round(i.score) })),
    groups: result.groups.map((g) => ({
      ...g,
      start: iso(g.start),
      end: iso(g.end),
      maxScore: round(g.maxScore),
    })),
  };
}

const TOP = 50;

export function jobTable(result: JobRunResult): string {
  const { job } = result;
  const lines = [
    `${job.jobId ?? 'job'} on ${result.table}: ${job.detectors.length} detectors, bucket span ${job.bucketSpan}, groups per ${result.groupField}`,
    ...job.detectors.map((d, i) => `  ${i}: ${d.description}`),
    `range ${result.from.toISOString()} – ${result.to.toISOString()}: ${result.buckets.length} buckets, ${result.records.length} records, ${result.influencers.length} influencer results, ${result.groups.length} anomaly groups`,
    '',
  ];
  const groups = [...result.groups].sort((a, b) => b.maxScore - a.maxScore).slice(0, TOP);
  if (groups.length === 0) {
    lines.push('No anomaly groups.');
  } else {
    const rows = [
      [
        result.groupField,
        'start',
        'end',
        'starting at',
        'ending at',
        'score',
        'severity',
        'requests',
        'ok/failed',
        'explanation',
      ],
    ];
    for (const g of groups) {
      rows.push([
        g.entity,
        minute(g.start),
        minute(g.end),
        g.startingAt ?? '',
        g.endingAt ?? '',
        g.maxScore.toFixed(1),
        g.severity,
        String(g.requests),
        `${g.successful}/${g.unsuccessful}`,
        g.explanation,
      ]);
    }
    lines.push(renderTable(rows));
    if (result.groups.length > groups.length) {
      lines.push(`… and ${result.groups.length - groups.length} more (lower scores)`);
    }
  }
  const records = [...result.records].sort((a, b) => b.score - a.score).slice(0, TOP);
  if (records.length > 0) {
    const rows = [['time', 'score', 'detector', 'partition', 'by', 'over', 'influencers', 'explanation']];
    for (const r of records) {
      rows.push([
        minute(r.time),
        r.score.toFixed(1),
        String(r.detector),
        r.partition ?? '',
        r.by,
        r.over ?? '',
        r.influencers.map((x) => `${x.field}=${x.value}`).join(' '),
        r.explanation,
      ]);
    }
    lines.push('', 'Strongest records:', renderTable(rows));
  }
  return lines.join('\n');
}
