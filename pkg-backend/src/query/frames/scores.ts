/**
 * `scores`: data-plane timeseries-multi frames (one frame per series, typeVersion [0,1]) so Grafana alert
 * rules can reduce and threshold them: the bucket score `{score="bucket"}` and, per entity, its max record
 * score per bucket `{by=…}` or `{over=…}`. Label sets are unique across the response.
 */
import type { Frame } from '../../plugin/frames.ts';
import type { DetectionResult } from '../detection.ts';
import { scoreFieldConfig } from './severity.ts';

const META = { type: 'timeseries-multi', typeVersion: [0, 1] as [number, number] };

export function scoresFrames(result: DetectionResult, refId: string, options: { minScore: number; limit: number; executedQueryString?: string }): Frame[] {
  const meta = { ...META, executedQueryString: options.executedQueryString };
  const frames: Frame[] = [
    {
      name: 'bucket',
      refId,
      meta,
      fields: [
        { name: 'time', type: 'time', values: result.buckets.map((b) => b.time) },
        { name: 'score', type: 'number', values: result.buckets.map((b) => b.score), labels: { score: 'bucket' }, config: scoreFieldConfig('bucket score') },
      ],
    },
  ];

  const labelKey = result.detector.overField ? 'over' : 'by';
  const series = new Map<string, { max: number; points: Map<number, number> }>();
  for (const r of result.records) {
    let s = series.get(r.entity);
    if (!s) series.set(r.entity, (s = { max: 0, points: new Map() }));
    s.points.set(r.time, Math.max(s.points.get(r.time) ?? 0, r.score));
    if (r.score > s.max) s.max = r.score;
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
        { name: 'time', type: 'time', values: times },
        { name: 'score', type: 'number', values: times.map((t) => s.points.get(t)!), labels: { [labelKey]: entity }, config: scoreFieldConfig(entity) },
      ],
    });
  }
  return frames;
}
