/**
 * Synthetic frames for the draw benchmark (npm run bench, section d): one score series over a week of 5-minute
 * buckets and `count` groups of random length and score, shaped like the backend's groups frame.
 */
import type { DataFrameJSON } from '@grafana/data';

const WEEK = 7 * 86_400_000;
const BUCKET = 300_000;

/** Deterministic, so both runs draw the same picture. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

export function benchFrames(count: number, to: number): { frames: DataFrameJSON[]; from: number; to: number } {
  const from = to - WEEK;
  const rnd = random(42);
  const times: number[] = [];
  const scores: number[] = [];
  for (let t = from; t < to; t += BUCKET) {
    times.push(t);
    scores.push(rnd() < 0.02 ? 30 + rnd() * 70 : rnd() * 8);
  }
  const g = {
    id: [] as string[],
    entity: [] as string[],
    start: [] as number[],
    end: [] as number[],
    startingAt: [] as number[],
    endingAt: [] as number[],
    maxScore: [] as number[],
    requests: [] as number[],
    successful: [] as number[],
    unsuccessful: [] as number[],
    explanation: [] as string[],
  };
  for (let i = 0; i < count; i++) {
    const start = from + Math.floor((rnd() * WEEK) / BUCKET) * BUCKET;
    const requests = 1 + Math.floor(rnd() * 50);
    g.id.push(`g${i.toString(16).padStart(8, '0')}`);
    g.entity.push(`10.0.${i % 256}.0`);
    g.start.push(start);
    g.end.push(start + BUCKET * (1 + Math.floor(rnd() * 12)));
    g.startingAt.push(1000 + i * 100);
    g.endingAt.push(1000 + i * 100 + requests);
    g.maxScore.push(rnd() * 100);
    g.requests.push(requests);
    g.successful.push(Math.floor(requests / 2));
    g.unsuccessful.push(requests - Math.floor(requests / 2));
    g.explanation.push('by_field_first_occurrence');
  }
  const names = Object.keys(g) as Array<keyof typeof g>;
  const types: Record<string, string> = {
    start: 'time',
    end: 'time',
    id: 'string',
    entity: 'string',
    explanation: 'string',
  };
  return {
    from,
    to,
    frames: [
      {
        schema: {
          name: 'bucket',
          refId: 'A',
          meta: { type: 'timeseries-multi' as never, typeVersion: [0, 1] },
          fields: [
            { name: 'time', type: 'time' as never },
            { name: 'score', type: 'number' as never, labels: { score: 'bucket' } },
          ],
        },
        data: { values: [times, scores] },
      },
      {
        schema: {
          name: 'groups',
          refId: 'B',
          fields: names.map((n) => ({ name: n === 'id' ? 'groupId' : n, type: (types[n] ?? 'number') as never })),
        },
        data: { values: names.map((n) => g[n]) },
      },
    ],
  };
}
