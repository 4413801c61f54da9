/**
 * `scores`: data-plane timeseries-multi frames (one frame per series, typeVersion [0,1]) so Grafana alert
 * rules can reduce and threshold them: the bucket score `{score="bucket"}` and, per entity, its max record
 * score per bucket `{by=…}` or `{over=…}`. Label sets are unique across the response.
 */
import { BUCKET_SCORE_LABEL_VALUE, FRAME_NAMES, SCORE_FIELDS as F, SCORE_LABELS } from '../../../../common/frames.ts';
import type { Frame } from '../contract.ts';
import type { DetectionResult } from '../detection.ts';
import { scoreFieldConfig } from './scoreFieldConfig.ts';

const META = { type: 'timeseries-multi', typeVersion: [0, 1] as [number, number] };

/** One record's score as a point of its entity's series; `labels` tell the series apart across the response. */
export interface SeriesPoint {
  time: number;
  score: number;
  /** The frame name and the display name of the series. */
  name: string;
  labels: Record<string, string>;
}

export function scoresFrames(
  result: DetectionResult,
  refId: string,
  options: { minScore: number; limit: number },
): Frame[] {
  const labelKey = result.detector.overField ? SCORE_LABELS.over : SCORE_LABELS.by;
  const points = result.records.map((r) => ({
    time: r.time,
    score: r.score,
    name: r.entity,
    labels: { [labelKey]: r.entity },
  }));
  return seriesFrames(result.buckets, points, refId, options);
}

/**
 * The bucket score series and, per label set, its max score per bucket: the strongest `limit` series whose
 * max reaches minScore.
 */
export function seriesFrames(
  buckets: ReadonlyArray<{ time: number; score: number }> | null,
  points: readonly SeriesPoint[],
  refId: string,
  options: { minScore: number; limit: number },
): Frame[] {
  const meta = { ...META };
  // Without buckets (influencer series) there is no bucket score series: an alert rule then has one instance
  // per series it is about, not an extra one for the bucket.
  const frames: Frame[] =
    buckets === null
      ? []
      : [
          {
            name: FRAME_NAMES.bucketScores,
            refId,
            meta,
            fields: [
              { name: F.time, type: 'time', values: buckets.map((b) => b.time) },
              {
                name: F.score,
                type: 'number',
                values: buckets.map((b) => b.score),
                labels: { [SCORE_LABELS.bucket]: BUCKET_SCORE_LABEL_VALUE },
                config: scoreFieldConfig('bucket score'),
              },
            ],
          },
        ];

  // Every series' max first, then the points of the strongest `limit` only: at a million entities a month has
  // tens of thousands of series, and a map of points for each was most of what answering cost.
  const ids = new Map<string, number>();
  const firstPoint: number[] = [];
  const max: number[] = [];
  const seriesOf = new Int32Array(points.length);
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    const key = JSON.stringify(Object.entries(p.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let id = ids.get(key);
    if (id === undefined) {
      id = firstPoint.length;
      ids.set(key, id);
      firstPoint.push(i);
      max.push(0);
    }
    seriesOf[i] = id;
    if (p.score > max[id]) {
      max[id] = p.score;
    }
  }
  const keys = [...ids.keys()];
  const nameOf = (id: number) => points[firstPoint[id]].name;
  const strongest = keys
    .map((_, id) => id)
    .filter((id) => max[id] >= options.minScore && max[id] > 0)
    .sort((a, b) => max[b] - max[a] || nameOf(a).localeCompare(nameOf(b)) || keys[a].localeCompare(keys[b]))
    .slice(0, options.limit);
  const rank = new Int32Array(keys.length).fill(-1);
  strongest.forEach((id, r) => (rank[id] = r));
  const kept = strongest.map(() => new Map<number, number>());
  for (let i = 0; i < points.length; i++) {
    const r = rank[seriesOf[i]];
    if (r >= 0) {
      const p = points[i];
      kept[r].set(p.time, Math.max(kept[r].get(p.time) ?? 0, p.score));
    }
  }
  strongest.forEach((id, r) => {
    const first = points[firstPoint[id]];
    const times = [...kept[r].keys()].sort((a, b) => a - b);
    frames.push({
      name: first.name,
      refId,
      meta,
      fields: [
        { name: F.time, type: 'time', values: times },
        {
          name: F.score,
          type: 'number',
          values: times.map((t) => kept[r].get(t)!),
          labels: first.labels,
          config: scoreFieldConfig(first.name),
        },
      ],
    });
  });
  return frames;
}
