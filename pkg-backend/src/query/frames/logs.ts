/**
 * The `log-lines` frame Grafana's logs panel and Explore read: timestamp, body, severity, id, labels.
 * Entries of anomalous groups carry groupId / startingAt / endingAt and a severity from the group's score.
 */
import { FRAME_NAMES, LOG_FIELDS as F, LOG_LABELS as L } from '../../../../common/frames.ts';
import { severityOf, type SeverityName } from '../../../../common/severity.ts';
import type { Frame } from '../contract.ts';
import type { AnnotatedLogRow } from '../logs.ts';

/** Kibana severity → Grafana log level, so the logs panel colours anomalous entries. */
const LEVEL: Record<SeverityName, string> = {
  critical: 'critical',
  major: 'error',
  minor: 'warning',
  warning: 'info',
  low: 'info',
};

function text(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

export function renderBody(row: AnnotatedLogRow, timeColumn: string, idColumn: string): string {
  if (row.message !== null && row.message !== undefined) {
    return row.message;
  }
  return Object.entries(row.values)
    .filter(([k]) => k !== timeColumn && k !== idColumn)
    .map(([k, v]) => `${k}=${text(v)}`)
    .join(' ');
}

export function logsFrame(
  rows: AnnotatedLogRow[],
  refId: string,
  columns: { timeColumn: string; idColumn: string },
): Frame {
  const labels = rows.map((row) => {
    const l: Record<string, string> = {};
    for (const [k, v] of Object.entries(row.values)) {
      if (k !== columns.timeColumn && k !== columns.idColumn && v !== null) {
        l[k] = text(v);
      }
    }
    if (row.successful !== null) {
      l[L.successful] = String(row.successful);
    }
    if (row.group) {
      l[L.groupId] = row.group.id;
      l[L.startingAt] = row.group.startingAt.toString();
      l[L.endingAt] = row.group.endingAt.toString();
      l[L.anomalyScore] = row.group.maxScore.toFixed(1);
      l[L.anomalySeverity] = severityOf(row.group.maxScore).name;
    }
    return l;
  });
  return {
    name: FRAME_NAMES.logs,
    refId,
    meta: { type: 'log-lines', typeVersion: [0, 0], preferredVisualisationType: 'logs' },
    fields: [
      { name: F.timestamp, type: 'time', values: rows.map((r) => r.time) },
      { name: F.body, type: 'string', values: rows.map((r) => renderBody(r, columns.timeColumn, columns.idColumn)) },
      {
        name: F.severity,
        type: 'string',
        values: rows.map((r) => (r.group ? LEVEL[severityOf(r.group.maxScore).name] : 'info')),
      },
      { name: F.id, type: 'string', values: rows.map((r) => r.id.toString()) },
      { name: F.labels, type: 'json', values: labels },
    ],
  };
}
