import { describe, expect, it } from 'vitest';
import { RareInTimeModel } from '../../pkg-backend/src/engine/model/rareInTime.ts';
import { bucket, expectClose, tuple } from './helpers.ts';

const HOUR = 3600;

/** Elastic's CEventRateModelTest::testRare: one event per value per bucket. */
function runTestRare(decay: number) {
  const model = new RareInTimeModel(decay);
  let i = 0;
  for (let b = 0; b < 10; b++) {
    model.addBucket(bucket(i++, HOUR, []).start, [tuple('p1'), tuple('p2')]);
  }
  for (let b = 0; b < 40; b++) {
    model.addBucket(
      bucket(i++, HOUR, []).start,
      ['p1', 'p2', 'p3', 'p4'].map((v) => tuple(v)),
    );
  }
  const last = model.addBucket(
    bucket(i++, HOUR, []).start,
    ['p1', 'p2', 'p3', 'p4', 'p5'].map((v) => tuple(v)),
  );
  const p = Object.fromEntries(last.map((o) => [o.entity, o.probability]));
  return { model, p, last };
}

describe('rare in time (CEventRateModel)', () => {
  it('reproduces testRare orderings (E) and values (R) without decay', () => {
    const { p } = runTestRare(0);
    expect(p.p1).toBeCloseTo(p.p2, 12);
    expect(p.p2).toBeGreaterThan(p.p3);
    expect(p.p3).toBeCloseTo(p.p4, 12);
    expect(p.p4).toBeGreaterThan(50 * p.p5);
    expectClose(p.p1, 0.92145);
    expectClose(p.p3, 0.61928);
    expectClose(p.p5, 0.00797);
  });

  it('reproduces testRare values (R) with the default decay 0.0005', () => {
    const { p } = runTestRare(0.0005);
    expectClose(p.p1, 0.9198);
    expectClose(p.p3, 0.6207);
    expectClose(p.p5, 0.00806);
  });

  it('reproduces testRareWithInfluence probabilities (R)', () => {
    const model = new RareInTimeModel(0);
    for (let b = 0; b < 50; b++) {
      model.addBucket(
        bucket(b, HOUR, []).start,
        ['p1', 'p2', 'p3', 'p4'].map((v) => tuple(v)),
      );
    }
    const last = model.addBucket(
      bucket(50, HOUR, []).start,
      ['p1', 'p2', 'p3', 'p4', 'p5'].map((v) => tuple(v)),
    );
    const p = Object.fromEntries(last.map((o) => [o.entity, o.probability]));
    for (const v of ['p1', 'p2', 'p3']) {
      expect(p[v]).toBeCloseTo(p.p4, 12);
    }
    expect(p.p4).toBeGreaterThan(50 * p.p5);
    expectClose(p.p1, 0.97078);
    expectClose(p.p5, 0.01119);
  });

  it('counts presence per bucket, not volume', () => {
    const a = new RareInTimeModel(0);
    const b = new RareInTimeModel(0);
    for (let i = 0; i < 30; i++) {
      a.addBucket(bucket(i, HOUR, []).start, [tuple('x', null, 1), tuple('y', null, 1)]);
      b.addBucket(bucket(i, HOUR, []).start, [tuple('x', null, 500), tuple('y', null, 1)]);
    }
    const pa = a.addBucket(bucket(30, HOUR, []).start, [tuple('z')]);
    const pb = b.addBucket(bucket(30, HOUR, []).start, [tuple('z')]);
    expect(pa[0].probability).toBe(pb[0].probability);
  });

  it.each([
    [10, 0.0994, 0.0907],
    [20, 0.051, 0.0486],
    [30, 0.0343, 0.0332],
    [100, 0.0104, 0.0103],
  ])('learning curve (R): a new value after %i buckets of one value', (n, alone, withOld) => {
    for (const [includeOld, expected] of [
      [false, alone],
      [true, withOld],
    ] as const) {
      const model = new RareInTimeModel(0);
      for (let b = 0; b < n; b++) {
        model.addBucket(bucket(b, HOUR, []).start, [tuple('old')]);
      }
      const tuples = includeOld ? [tuple('old'), tuple('new')] : [tuple('new')];
      const obs = model.addBucket(bucket(n, HOUR, []).start, tuples);
      const fresh = obs.find((o) => o.entity === 'new')!;
      expectClose(fresh.probability, expected);
      expect(fresh.firstOccurrence).toBe(true);
    }
  });

  it('explains relative rarity as median count over the value count', () => {
    const model = new RareInTimeModel(0);
    for (let b = 0; b < 9; b++) {
      model.addBucket(bucket(b, HOUR, []).start, [tuple('a'), tuple('b'), tuple('c')]);
    }
    const obs = model.addBucket(bucket(9, HOUR, []).start, [tuple('a'), tuple('b'), tuple('c'), tuple('d')]);
    const d = obs.find((o) => o.entity === 'd')!;
    expect(d.relativeRarity).toBeCloseTo(10 / 1, 12); // counts {10,10,10,1}: median 10
    expect(obs.find((o) => o.entity === 'a')!.firstOccurrence).toBe(false);
  });

  it('round-trips its state through JSON exactly', () => {
    const { model } = runTestRare(0.0005);
    const restored = RareInTimeModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    const next = ['p1', 'p6'].map((v) => tuple(v));
    const t = bucket(60, HOUR, []).start;
    expect(restored.addBucket(t, next)).toEqual(model.addBucket(t, next));
  });
});
