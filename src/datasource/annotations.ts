/**
 * Turns the frames of an `annotations` query (time, timeEnd, title, text, tags, score) into region
 * annotation events. Grafana's default frame→event mapping would also find time/timeEnd/text, but it cannot
 * colour a region by severity or accept tags sent as a JSON/comma string, so the mapping is explicit.
 */
import type { AnnotationEvent, DataFrame, Field } from '@grafana/data';

// The region's colour comes from the score's band (common/severity.ts); the frame carries no colour of its own.
import { ANNOTATION_FIELDS as F } from '../../common/frames.ts';
import { severityOf } from '../../common/severity.ts';

function fieldNamed(frame: DataFrame, name: string): Field | undefined {
  return frame.fields.find((field) => field.name === name);
}

function toMillis(value: unknown): number | undefined {
  if (value === null || value === undefined) {
    return undefined;
  }
  if (typeof value === 'number') {
    return value;
  }
  if (typeof value === 'bigint') {
    return Number(value);
  }
  if (value instanceof Date) {
    return value.getTime();
  }
  const parsed = Date.parse(String(value));
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** Tags may arrive as a string array, a JSON array text or a comma-separated text. */
function toTags(value: unknown): string[] {
  if (Array.isArray(value)) {
    return value.map(String);
  }
  if (typeof value !== 'string' || value.trim() === '') {
    return [];
  }
  const text = value.trim();
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) {
        return parsed.map(String);
      }
    } catch {
      // not JSON: fall through to the comma form
    }
  }
  return text
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
}

export function framesToAnnotationEvents(frames: readonly DataFrame[]): AnnotationEvent[] {
  const events: AnnotationEvent[] = [];
  for (const frame of frames) {
    const time = fieldNamed(frame, F.time);
    if (!time) {
      continue;
    }
    const timeEnd = fieldNamed(frame, F.timeEnd);
    const text = fieldNamed(frame, F.text);
    const title = fieldNamed(frame, F.title);
    const tags = fieldNamed(frame, F.tags);
    const score = fieldNamed(frame, F.score);
    const id = fieldNamed(frame, F.id);
    for (let row = 0; row < frame.length; row++) {
      const start = toMillis(time.values[row]);
      if (start === undefined) {
        continue;
      }
      const end = toMillis(timeEnd?.values[row]) ?? start;
      const rowScore = score ? Number(score.values[row]) : undefined;
      const event: AnnotationEvent = {
        time: start,
        timeEnd: end,
        isRegion: end > start,
        text: text ? String(text.values[row] ?? '') : '',
        tags: tags ? toTags(tags.values[row]) : [],
      };
      if (title) {
        event.title = String(title.values[row] ?? '');
      }
      if (id && id.values[row] !== null && id.values[row] !== undefined) {
        event.id = String(id.values[row]);
      }
      if (rowScore !== undefined && Number.isFinite(rowScore)) {
        event.color = severityOf(rowScore).color;
      }
      events.push(event);
    }
  }
  return events;
}
