/** The two renderings of a detection: JSON for machines (ids as strings: bigint has no JSON form) and a table for people. */
import { severityOf } from '../../../common/severity.ts';
import type { DetectionResult } from '../query/detection.ts';

const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const iso = (ms: number) => new Date(ms).toISOString();

export function detectionJson(result: DetectionResult) {
  return {
    detector: { ...result.detector, from: result.from.toISOString(), to: result.to.toISOString() },
    buckets: result.buckets.map((b) => ({ time: iso(b.time), score: round(b.score) })),
    records: result.records.map((r) => ({
      time: iso(r.time),
      score: round(r.score),
      probability: r.probability,
      by: r.by,
      over: r.over,
      typical: r.typical,
      actual: r.actual,
      count: r.count,
      explanation: r.explanation.text,
      causes: r.causes.map((c) => ({ by: c.by, probability: c.probability, count: c.count })),
      groupId: r.groupId ?? null,
    })),
    groups: result.groups.map((g) => ({
      id: g.id,
      entity: g.entity,
      start: iso(g.start),
      end: iso(g.end),
      startingAt: g.startingAt.toString(),
      endingAt: g.endingAt.toString(),
      maxScore: round(g.maxScore),
      severity: severityOf(g.maxScore).name,
      requests: g.requests,
      successful: g.successful,
      unsuccessful: g.unsuccessful,
      explanation: g.explanation,
      open: g.open,
    })),
    stats: {
      historyFrom: result.stats.historyFrom?.toISOString() ?? null,
      bucketsProcessed: result.stats.bucketsProcessed,
      tuples: result.stats.tuples,
      rowsInRange: result.stats.rows,
    },
  };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function renderTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => pad(c, widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function detectionTable(result: DetectionResult): string {
  const d = result.detector;
  const over = d.overField ? ` over ${d.overField}` : '';
  const lines = [
    `${d.function} by ${d.byField}${over} on ${d.table}, bucket span ${d.bucketSpan}, learning ${d.learningBuckets} buckets`,
    `range ${result.from.toISOString()} – ${result.to.toISOString()}: ${result.stats.rows} requests, ${result.buckets.length} buckets, ${result.records.length} records, ${result.groups.length} anomaly groups`,
    '',
  ];
  if (result.groups.length === 0) {
    return [...lines, 'No anomaly groups.'].join('\n');
  }
  const top = [...result.groups].sort((a, b) => b.maxScore - a.maxScore).slice(0, 50);
  const rows = [
    [
      'group id',
      'entity',
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
  for (const g of top) {
    rows.push([
      g.id,
      g.entity,
      iso(g.start).slice(0, 16).replace('T', ' '),
      iso(g.end).slice(0, 16).replace('T', ' '),
      g.startingAt.toString(),
      g.endingAt.toString(),
      g.maxScore.toFixed(1),
      severityOf(g.maxScore).name,
      String(g.requests),
      `${g.successful}/${g.unsuccessful}`,
      g.explanation,
    ]);
  }
  const more =
    result.groups.length > top.length ? `\n… and ${result.groups.length - top.length} more (lower scores)` : '';
  return lines.join('\n') + renderTable(rows) + more;
}
