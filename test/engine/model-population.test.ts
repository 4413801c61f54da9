import { describe, expect, it } from 'vitest';
import { PopulationModel } from '../../pkg-backend/src/engine/model/population.ts';
import type { BucketTuple } from '../../pkg-backend/src/engine/types.ts';
import { bucket, expectClose, tuple } from './helpers.ts';

const SPAN = 300;

function entities(prefix: string, n: number, value: string): BucketTuple[] {
  return Array.from({ length: n }, (_, i) => tuple(value, `${prefix}${i}`));
}

/** Population where, once entity X has been added, spreads are 200 → 20, 404 → 10, 503 → 1. */
function scoreX(frequencyWeighted: boolean, history: BucketTuple[], x: BucketTuple[]) {
  const model = new PopulationModel(frequencyWeighted, 0, SPAN * 1000);
  model.addBucket(bucket(0, SPAN, []).start, history);
  const obs = model.addBucket(bucket(1, SPAN, []).start, x);
  return { model, x: obs.find((o) => o.entity === 'X')! };
}

describe('population rare and freq_rare (CEventRatePopulationModel)', () => {
  it('scores single attributes from the spread of distinct entities (R)', () => {
    const model = new PopulationModel(false, 0, SPAN * 1000);
    model.addBucket(bucket(0, SPAN, []).start, [...entities('a', 19, '200'), ...entities('b', 9, '404')]);
    const obs = model.addBucket(bucket(1, SPAN, []).start, [tuple('200', 'p'), tuple('404', 'q'), tuple('503', 'r')]);
    const p = Object.fromEntries(obs.map((o) => [o.entity, o.probability]));
    expectClose(p.p, 0.95657);
    expectClose(p.q, 0.41112);
    expectClose(p.r, 0.0353);
  });

  it('joins several attributes with the χ² joint (R): {200, 503} and {200, 404}', () => {
    const a = scoreX(
      false,
      [...entities('a', 19, '200'), ...entities('b', 10, '404')],
      [tuple('200', 'X'), tuple('503', 'X')],
    );
    expectClose(a.x.probability, 0.10895);
    expect(a.x.causes[0].by).toBe('503');
    const b = scoreX(
      false,
      [...entities('a', 19, '200'), ...entities('b', 9, '404'), tuple('503', 'c0')],
      [tuple('200', 'X'), tuple('404', 'X')],
    );
    expectClose(b.x.probability, 0.7123);
  });

  it('weights attributes by their share of the entity requests for freq_rare (R)', () => {
    const history = [...entities('a', 19, '200'), ...entities('b', 10, '404')];
    const mostly200 = scoreX(true, history, [tuple('200', 'X', 100), tuple('503', 'X', 1)]);
    expectClose(mostly200.x.probability, 0.77103);
    const mostly503 = scoreX(true, history, [tuple('200', 'X', 1), tuple('503', 'X', 100)]);
    expectClose(mostly503.x.probability, 0.03637);
    expect(mostly503.x.count).toBe(101);
  });

  it('rare ignores volume, freq_rare does not', () => {
    const history = [...entities('a', 19, '200'), ...entities('b', 10, '404')];
    const rare1 = scoreX(false, history, [tuple('200', 'X', 100), tuple('503', 'X', 1)]).x.probability;
    const rare2 = scoreX(false, history, [tuple('200', 'X', 1), tuple('503', 'X', 100)]).x.probability;
    expect(rare1).toBeCloseTo(rare2, 12);
  });

  it('lists causes with P ≤ max(1.1 · min P, 0.05), strongest first', () => {
    const { x } = scoreX(
      false,
      [...entities('a', 19, '200'), ...entities('b', 10, '404')],
      [tuple('200', 'X'), tuple('503', 'X')],
    );
    expect(x.causes.map((c) => c.by)).toEqual(['503']);
    expect(x.firstOccurrence).toBe(true);
  });

  it('forgets entities idle for longer than 4 / decay buckets', () => {
    const decay = 0.05; // window = 80 buckets
    const model = new PopulationModel(false, decay, SPAN * 1000);
    model.addBucket(bucket(0, SPAN, []).start, entities('old', 50, 'v'));
    for (let b = 1; b < 200; b++) {
      model.addBucket(bucket(b, SPAN, []).start, [tuple('w', 'fresh')]);
    }
    expect(model.pairCount).toBe(1);
  });

  it('round-trips its state through JSON exactly', () => {
    const { model } = scoreX(
      true,
      [...entities('a', 19, '200'), ...entities('b', 10, '404')],
      [tuple('200', 'X', 3), tuple('503', 'X')],
    );
    const restored = PopulationModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    const t = bucket(5, SPAN, []).start;
    const next = [tuple('404', 'Y', 2), tuple('503', 'Y', 1), tuple('200', 'Z', 1)];
    expect(restored.addBucket(t, next)).toEqual(model.addBucket(t, next));
  });
});

describe('bucket scratch arrays', () => {
  it('scores every entity of a bucket that fills the arrays exactly, as a model restored from its state does', () => {
    const live = new PopulationModel(true, 0.0005, 300_000);
    live.addBucket(0, [tuple('1', 'a', 1), tuple('1', 'b', 1)]);
    // 16 entities: the arrays' first capacity, which once left no room for the last entity's attribute range.
    const full = Array.from({ length: 16 }, (_, i) => tuple(i % 5 === 0 ? '2' : '1', `e${i}`, 1));
    const restored = PopulationModel.fromJSON(JSON.parse(JSON.stringify(live.toJSON())));
    const a = live.addBucket(300_000, full);
    const b = restored.addBucket(300_000, full);
    expect(a.every((o) => o.causes.length > 0)).toBe(true);
    expect(a).toEqual(b);
  });
});
