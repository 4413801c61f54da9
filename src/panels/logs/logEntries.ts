/**
 * Turns `log-lines` frames (fields and labels named in common/frames.ts: timestamp, body, severity, id, labels) into
 * the rows the logs panel lists, with the Cryptolens properties of the entry's anomaly group, and answers the
 * questions the toolbar asks: which rows start a group, where the previous / next group is.
 */
import { FieldType, type DataFrame, type Field } from '@grafana/data';

import { LOG_FIELDS, LOG_LABELS as L } from '../../../common/frames.ts';
import { severityName, type SeverityName } from '../common/severity.ts';

export interface EntryGroup {
  id: string;
  startingAt: string;
  endingAt: string;
  score: number;
  severity: SeverityName;
}

export interface LogEntry {
  key: string;
  time: number;
  body: string;
  id: string;
  /** From the datasource's success rule; null when the datasource has none. */
  successful: boolean | null;
  group?: EntryGroup;
  /** This entry is its group's Starting At (first), Ending At (last) or both. */
  mark?: 'first' | 'last' | 'only';
}

function fieldNamed(frame: DataFrame, names: string[], type?: FieldType): Field | undefined {
  return (
    frame.fields.find((f) => names.includes(f.name)) ?? (type ? frame.fields.find((f) => f.type === type) : undefined)
  );
}

export function isLogsFrame(frame: DataFrame): boolean {
  if (frame.meta?.type === 'log-lines') {
    return true;
  }
  return Boolean(fieldNamed(frame, [LOG_FIELDS.timestamp]) && fieldNamed(frame, [LOG_FIELDS.body]));
}

/** Labels arrive as objects (Grafana decoded the JSON) or as JSON text. */
function labelsOf(value: unknown): Record<string, string> {
  if (value && typeof value === 'object') {
    return value as Record<string, string>;
  }
  if (typeof value === 'string' && value.startsWith('{')) {
    try {
      return JSON.parse(value) as Record<string, string>;
    } catch {
      return {};
    }
  }
  return {};
}

function successOf(text: string | undefined): boolean | null {
  if (text === 'true') {
    return true;
  }
  if (text === 'false') {
    return false;
  }
  return null;
}

function markOf(id: string, group: EntryGroup): LogEntry['mark'] {
  const first = id === group.startingAt;
  const last = id === group.endingAt;
  return first && last ? 'only' : first ? 'first' : last ? 'last' : undefined;
}

/** Log ids are int64 as text: compare by length, then digits, so "10" sorts after "9". */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

export function readLogEntries(series: readonly DataFrame[], order: 'asc' | 'desc' = 'asc'): LogEntry[] {
  const entries: LogEntry[] = [];
  series.filter(isLogsFrame).forEach((frame, frameIdx) => {
    // Other datasources' log frames name their fields differently; ours come first.
    const time = fieldNamed(frame, [LOG_FIELDS.timestamp, 'time', 'ts'], FieldType.time);
    const body = fieldNamed(frame, [LOG_FIELDS.body, 'message', 'line']);
    const id = fieldNamed(frame, [LOG_FIELDS.id]);
    const labels = fieldNamed(frame, [LOG_FIELDS.labels]);
    if (!time) {
      return;
    }
    for (let row = 0; row < frame.length; row++) {
      const l = labelsOf(labels?.values[row]);
      const entryId = id ? String(id.values[row] ?? '') : '';
      const entry: LogEntry = {
        key: `${frameIdx}:${entryId || row}`,
        time: Number(time.values[row]),
        body: body ? String(body.values[row] ?? '') : '',
        id: entryId,
        successful: successOf(l[L.successful]),
      };
      if (l[L.groupId]) {
        const score = Number(l[L.anomalyScore]);
        const group: EntryGroup = {
          id: l[L.groupId],
          startingAt: l[L.startingAt] ?? '',
          endingAt: l[L.endingAt] ?? '',
          score: Number.isFinite(score) ? score : 0,
          severity: (l[L.anomalySeverity] as SeverityName) || severityName(Number.isFinite(score) ? score : 0),
        };
        entry.group = group;
        entry.mark = markOf(entryId, group);
      }
      entries.push(entry);
    }
  });
  const sign = order === 'desc' ? -1 : 1;
  return entries.sort((a, b) => sign * (a.time - b.time || compareIds(a.id, b.id)));
}

export function filterEntries(
  entries: readonly LogEntry[],
  options: { onlyAnomalous: boolean; groupId?: string },
): LogEntry[] {
  if (options.groupId) {
    return entries.filter((e) => e.group?.id === options.groupId);
  }
  if (options.onlyAnomalous) {
    return entries.filter((e) => e.group !== undefined);
  }
  return entries.slice();
}

/** Indices of rows that begin a run of one group (where "previous / next group" jumps to). */
export function groupStarts(entries: readonly LogEntry[]): number[] {
  const starts: number[] = [];
  for (let i = 0; i < entries.length; i++) {
    const id = entries[i].group?.id;
    if (id !== undefined && entries[i - 1]?.group?.id !== id) {
      starts.push(i);
    }
  }
  return starts;
}

/** The group start after (direction 1) or before (-1) the row at `current`; undefined at either end. */
export function adjacentGroup(starts: readonly number[], current: number, direction: 1 | -1): number | undefined {
  if (direction === 1) {
    return starts.find((s) => s > current);
  }
  for (let i = starts.length - 1; i >= 0; i--) {
    if (starts[i] < current) {
      return starts[i];
    }
  }
  return undefined;
}
