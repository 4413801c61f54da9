import { describe, expect, it } from 'vitest';
import { ScoreNormalizer } from '../../pkg-backend/src/engine/maths/normalizer.ts';
import { QDigest } from '../../pkg-backend/src/engine/maths/qdigest.ts';
import { mulberry32 } from './maths-rng.ts';

/** CContainerPrinter prints doubles with 7 significant digits. */
const print = (xs: number[]) => `[${xs.map((x) => Number(x.toPrecision(7))).join(', ')}]`;

describe('ScoreNormalizer, (E) CAnomalyScoreTest::testNormalizeScoresNearZero', () => {
  const anomalyTimes = [50, 110, 190, 220, 290];
  const anomalies = [0.02, 0.01, 0.006, 0.01, 0.015];
  const cases: Array<[number, string]> = [
    [0, '[41.62776, 32.36435, 26.16873, 32.36435, 37.68726]'],
    [100, '[41.62776, 32.36435, 26.16873, 32.36435, 37.68726]'],
    [200, '[41.62776, 32.36435, 17.74216, 32.36435, 37.68726]'],
    [249, '[41.62776, 32.36435, 11.1645, 32.36435, 37.68726]'],
    [251, '[41.62776, 32.36435, 11.05937, 32.36435, 37.68726]'],
    [300, '[41.62776, 32.36435, 8.523397, 32.36435, 37.68726]'],
    [400, '[1.14, 1.04, 1, 1.04, 1.09]'],
    [450, '[1.14, 1.04, 1, 1.04, 1.09]'],
  ];
  for (const [nonZero, expected] of cases) {
    it(`${nonZero} noise scores of 0.0055 → ${expected}`, () => {
      const samples = new Array(500).fill(0);
      for (let j = 0; j < nonZero; j++) {
        if (!anomalyTimes.includes(j)) {
          samples[j] += 0.0055;
        }
      }
      anomalyTimes.forEach((t, i) => (samples[t] += anomalies[i]));
      // As Elastic's test: update with all 500 raws first, then normalise the five anomalies.
      const normalizer = new ScoreNormalizer({ bucketLength: 1800 });
      for (const s of samples) {
        normalizer.update(s);
      }
      expect(print(anomalyTimes.map((t) => normalizer.normalize(samples[t])))).toBe(expected);
    });
  }
});

describe('ScoreNormalizer behaviour', () => {
  it('empty history or a zero raw score normalise to 0', () => {
    const n = new ScoreNormalizer();
    expect(n.canNormalize()).toBe(false);
    expect(n.normalize(3)).toBe(0);
    n.update(1);
    expect(n.normalize(0)).toBe(0);
  });
  it('(E) testNormalizeScoresLargeScore shape: the largest raw score gets the largest normalised score', () => {
    const rng = mulberry32(1);
    const samples = Array.from({ length: 500 }, () => rng() * 0.1);
    const times = [50, 110, 190, 220, 290];
    [2, 4, 4, 5, 20].forEach((a, i) => (samples[times[i]] += a));
    const n = new ScoreNormalizer();
    for (const s of samples) {
      n.update(s);
    }
    const scores = times.map((t) => n.normalize(samples[t]));
    expect(Math.max(...scores)).toBe(scores[4]);
    expect(scores[4]).toBeGreaterThan(90);
    for (const s of samples) {
      const v = n.normalize(s);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(100);
    }
  });
  it('property: normalised scores are ordered like raw scores (within 0.01, testNormalizeScoresOrdering)', () => {
    const rng = mulberry32(9);
    const raws = Array.from({ length: 1200 }, () => rng() * 50);
    const n = new ScoreNormalizer({ bucketLength: 300 });
    for (const r of raws) {
      n.update(r);
    }
    const sorted = [...raws].sort((a, b) => a - b);
    const normalised = sorted.map((r) => n.normalize(r));
    for (let i = 1; i < normalised.length; i++) {
      expect(normalised[i] - normalised[i - 1]).toBeGreaterThan(-0.01);
    }
  });
  it('keeps a bounded history however many scores it sees', () => {
    const rng = mulberry32(4);
    const n = new ScoreNormalizer();
    for (let i = 0; i < 50_000; i++) {
      n.update(-Math.log(rng() + 1e-12) * 3);
    }
    const state = n.toJSON();
    expect(state.quantiles.n).toBe(50_000);
    expect(state.quantiles.nodes.length).toBeLessThan(3 * 201 + 2);
    expect(state.highQuantiles.nodes.length).toBeLessThan(3 * 201 + 2);
  });
  it('decay: the scope maximum decays per bucket and is forgotten after 50 idle buckets', () => {
    const n = new ScoreNormalizer({ bucketLength: 1800 });
    n.update(10, 'a');
    n.age(1);
    expect(n.maxScore('a')).toBeCloseTo(10 * Math.exp(-2 * 0.0005), 12);
    n.age(49);
    expect(n.maxScore('a')).toBeDefined();
    n.age(1);
    expect(n.maxScore('a')).toBeUndefined();
  });
  it('decay: quantile counts age every 20 buckets', () => {
    const n = new ScoreNormalizer({ decayRate: 0.05 });
    for (let i = 0; i < 1000; i++) {
      n.update(i % 7);
    }
    n.age(19);
    expect(n.toJSON().quantiles.n).toBe(1000);
    n.age(1);
    const aged = n.toJSON().quantiles.n;
    expect(aged).toBeLessThan(1000);
    expect(aged).toBeGreaterThan(900);
  });
  it('JSON round trip is exact: identical state and identical normalised scores', () => {
    const rng = mulberry32(21);
    const n = new ScoreNormalizer({ bucketLength: 600 });
    for (let i = 0; i < 3000; i++) {
      n.update(rng() < 0.95 ? rng() * 0.5 : rng() * 40, i % 3 === 0 ? 'x' : '');
      if (i % 10 === 0) {
        n.age(1);
      }
    }
    const json = JSON.stringify(n.toJSON());
    const restored = ScoreNormalizer.fromJSON(JSON.parse(json));
    expect(JSON.stringify(restored.toJSON())).toBe(json);
    for (let i = 0; i < 200; i++) {
      const raw = rng() * 60;
      expect(restored.normalize(raw)).toBe(n.normalize(raw));
      expect(restored.normalize(raw, 'x')).toBe(n.normalize(raw, 'x'));
    }
    // and they keep evolving identically
    n.update(55);
    restored.update(55);
    expect(restored.normalize(30)).toBe(n.normalize(30));
  });
  it('rejects invalid input, naming the value', () => {
    expect(() => new ScoreNormalizer().update(-1)).toThrow(/raw score = -1/);
    expect(() => ScoreNormalizer.fromJSON({ version: 2 } as never)).toThrow(/version 2/);
  });
});

describe('QDigest', () => {
  it('exact while n < k: cdf bounds coincide and quantiles are exact', () => {
    const d = new QDigest(201);
    for (let v = 1; v <= 100; v++) {
      d.add(v);
    }
    expect(d.cdf(50)).toEqual([0.5, 0.5]);
    expect(d.quantile(0.5)).toBe(50);
    expect(d.quantile(0.9)).toBe(90);
  });
  it('bounds bracket the true c.d.f. after compression (seeded)', () => {
    const rng = mulberry32(8);
    const d = new QDigest(20);
    const values = Array.from({ length: 5000 }, () => Math.floor(rng() * rng() * 1000));
    for (const v of values) {
      d.add(v);
    }
    expect(d.size).toBeLessThanOrEqual(3 * 20 + 2);
    for (const x of [0, 10, 100, 300, 999]) {
      const truth = values.filter((v) => v <= x).length / values.length;
      const [lo, hi] = d.cdf(x);
      expect(lo).toBeLessThanOrEqual(truth + 1e-12);
      expect(hi).toBeGreaterThanOrEqual(truth - 1e-12);
    }
  });
});
