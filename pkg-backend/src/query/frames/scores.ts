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

export function scoresFrames(
  result: DetectionResult,
  refId: string,
  options: { minScore: number; limit: number },
): Frame[] {
  const meta = { ...META };
  const frames: Frame[] = [
    {
      name: FRAME_NAMES.bucketScores,
      refId,
      meta,
      fields: [
        { name: F.time, type: 'time', values: result.buckets.map((b) => b.time) },
        {
          name: F.score,
          type: 'number',
          values: result.buckets.map((b) => b.score),
          labels: { [SCORE_LABELS.bucket]: BUCKET_SCORE_LABEL_VALUE },
          config: scoreFieldConfig('bucket score'),
        },
      ],
    },
  ];

  const labelKey = result.detector.overField ? SCORE_LABELS.over : SCORE_LABELS.by;
  const series = new Map<string, { max: number; points: Map<number, number> }>();
  for (const r of result.records) {
    let s = series.get(r.entity);
    if (!s) {
      series.set(r.entity, (s = { max: 0, points: new Map() }));
    }
    s.points.set(r.time, Math.max(s.points.get(r.time) ?? 0, r.score));
    if (r.score > s.max) {
      s.max = r.score;
    }
  }
  const entities = [...series.entries()]
    .filter(([, s]) => s.max >= options.minScore && s.max > 0)
    .sort((a, b) => b[1].max - a[1].max || a[0].localeCompare(b[0]))
    .slice(0, options.limit);
  for (const [entity, s] of entities) {
    const times = [...s.points.keys()].sort((a, b) => a - b);
    frames.push({
      name: entity,
      refId,
      meta,
      fields: [
        { name: F.time, type: 'time', values: times },
        {
          name: F.score,
          type: 'number',
          values: times.map((t) => s.points.get(t)!),
          labels: { [labelKey]: entity },
          config: scoreFieldConfig(entity),
        },
      ],
    });
  }
  return frames;
}
