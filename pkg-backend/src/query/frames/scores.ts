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

  interface Series {
    name: string;
    labels: Record<string, string>;
    max: number;
    points: Map<number, number>;
  }
  const series = new Map<string, Series>();
  for (const p of points) {
    const key = JSON.stringify(Object.entries(p.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let s = series.get(key);
    if (!s) {
      series.set(key, (s = { name: p.name, labels: p.labels, max: 0, points: new Map() }));
    }
    s.points.set(p.time, Math.max(s.points.get(p.time) ?? 0, p.score));
    if (p.score > s.max) {
      s.max = p.score;
    }
  }
  const strongest = [...series.entries()]
    .filter(([, s]) => s.max >= options.minScore && s.max > 0)
    .sort((a, b) => b[1].max - a[1].max || a[1].name.localeCompare(b[1].name) || a[0].localeCompare(b[0]))
    .slice(0, options.limit);
  for (const [, s] of strongest) {
    const times = [...s.points.keys()].sort((a, b) => a - b);
    frames.push({
      name: s.name,
      refId,
      meta,
      fields: [
        { name: F.time, type: 'time', values: times },
        {
          name: F.score,
          type: 'number',
          values: times.map((t) => s.points.get(t)!),
          labels: s.labels,
          config: scoreFieldConfig(s.name),
        },
      ],
    });
  }
  return frames;
}
