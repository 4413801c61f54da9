/**
 * Reads anomaly groups out of the `groups` table frame the backend returns (fields named in
 * common/frames.ts, GROUP_FIELDS). Any panel query may hold it, so it is found by refId or by its shape.
 */
import type { DataFrame, Field } from '@grafana/data';

import type { AnomalyGroup as SharedAnomalyGroup } from '../../../common/anomalyGroup.ts';
import { GROUP_FIELDS as F } from '../../../common/frames.ts';
import { severityName, type SeverityName } from './severity.ts';

/** A group as the panels draw it: log ids as text, and the band of its score. */
export interface AnomalyGroup extends SharedAnomalyGroup<string> {
  severity: SeverityName;
}

const REQUIRED = [F.id, F.start, F.end, F.maxScore];

function field(frame: DataFrame, name: string): Field | undefined {
  return frame.fields.find((f) => f.name === name);
}

export function isGroupsFrame(frame: DataFrame): boolean {
  return REQUIRED.every((name) => field(frame, name) !== undefined);
}

/** The frame holding groups: the one from `refId` when given, else the first frame shaped like groups. */
export function findGroupsFrames(series: readonly DataFrame[], refId?: string): DataFrame[] {
  const wanted = refId?.trim();
  return series.filter((frame) => isGroupsFrame(frame) && (!wanted || frame.refId === wanted));
}

function millis(value: unknown): number {
  if (typeof value === 'number') {
    return value;
  }
  if (typeof value === 'bigint') {
    return Number(value);
  }
  if (value instanceof Date) {
    return value.getTime();
  }
  return Date.parse(String(value));
}

function numberOr(value: unknown, fallback: number): number {
  const n = typeof value === 'bigint' ? Number(value) : Number(value);
  return Number.isFinite(n) ? n : fallback;
}

/** Int64 ids arrive as numbers (JSON frames) or bigints (Arrow); they are shown, never computed with. */
function idText(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

export function readGroups(frames: readonly DataFrame[]): AnomalyGroup[] {
  const groups: AnomalyGroup[] = [];
  for (const frame of frames) {
    const get = (name: string) => field(frame, name)?.values;
    const [ids, starts, ends, scores] = REQUIRED.map((name) => get(name)!);
    const entity = get(F.entity);
    const startingAt = get(F.startingAt);
    const endingAt = get(F.endingAt);
    const requests = get(F.requests);
    const successful = get(F.successful);
    const unsuccessful = get(F.unsuccessful);
    const explanation = get(F.explanation);
    const open = get(F.open);
    for (let i = 0; i < frame.length; i++) {
      const start = millis(starts[i]);
      const end = millis(ends[i]);
      if (!Number.isFinite(start) || !Number.isFinite(end)) {
        continue;
      }
      const maxScore = numberOr(scores[i], 0);
      groups.push({
        id: String(ids[i]),
        entity: entity ? String(entity[i] ?? '') : '',
        start,
        end: Math.max(start, end),
        startingAt: idText(startingAt?.[i]),
        endingAt: idText(endingAt?.[i]),
        maxScore,
        severity: severityName(maxScore),
        requests: numberOr(requests?.[i], 0),
        successful: numberOr(successful?.[i], 0),
        unsuccessful: numberOr(unsuccessful?.[i], 0),
        explanation: explanation ? String(explanation[i] ?? '') : '',
        open: open ? Boolean(open[i]) : false,
      });
    }
  }
  return groups;
}
