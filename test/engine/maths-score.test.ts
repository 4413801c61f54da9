import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTES_AGGREGATION,
  DETECTORS_AGGREGATION,
  MAX_ANOMALOUS_PROBABILITY,
  PEOPLE_AGGREGATION,
  computeScore,
  inverseAnomalyScore,
  rawAnomalyScore,
} from '../../pkg-backend/src/engine/maths/score.ts';
import { DBL_MIN } from '../../pkg-backend/src/engine/maths/special.ts';
import { mulberry32 } from './maths-rng.ts';

describe('rawAnomalyScore (CTools::anomalyScore)', () => {
  it('piecewise knots: 0 at 0.05, 1 at 1e−4, 50 at 1e−50, 100 at DBL_MIN', () => {
    expect(rawAnomalyScore(0.05)).toBe(0);
    expect(rawAnomalyScore(0.5)).toBe(0);
    expect(rawAnomalyScore(1e-4)).toBeCloseTo(1, 12);
    expect(rawAnomalyScore(1e-50)).toBeCloseTo(50, 10);
    expect(rawAnomalyScore(DBL_MIN)).toBeCloseTo(100, 10);
    expect(rawAnomalyScore(0)).toBeCloseTo(100, 10);
    expect(rawAnomalyScore(0.001)).toBeCloseTo((1000 - 20) / 9980, 14);
  });
  it('(E) CToolsTest::testAnomalyScore: p = inverse(score(p)) within 1e−3·p from 0.04 down 305 decades', () => {
    let p = 0.04;
    for (let i = 0; i < 305; i++, p *= 0.1) {
      expect(Math.abs(inverseAnomalyScore(rawAnomalyScore(p)) - p)).toBeLessThanOrEqual(1e-3 * p);
    }
  });
  it('inverse of 0 is 0.525 (midpoint of [0.05, 1])', () => {
    expect(inverseAnomalyScore(0)).toBe(0.525);
  });
});

describe('computeScore (CAnomalyScore::compute), (E) CAnomalyScoreTest::testComputeScores', () => {
  const config = { jointWeight: 0.5, extremeWeight: 0.5, minExtreme: 1, maxExtreme: 5, maxAnomalousP: 0.05 };
  const cases: Array<[string, number[], number]> = [
    ['[0.001]', [0.001], 0.078557],
    ['[0.02]', [0.02], 0.002405],
    ['[0.1]', [0.1], 0],
    ['low anomalousness', [0.21, 0.52, 0.13, 0.67, 0.89, 0.32, 0.46, 0.222, 0.35, 0.93], 0],
    [
      'many slightly anomalous',
      [0.11, 0.13, 0.12, 0.22, 0.14, 0.09, 0.01, 0.13, 0.15, 0.14, 0.11, 0.13, 0.12, 0.22, 0.09, 0.01],
      0.318231,
    ],
    [
      'one very anomalous',
      [0.21, 0.52, 0.13, 0.67, 0.89, 0.32, 0.46, 0.222, 0.35, 0.93, 0.89, 0.32, 0.46, 0.000021],
      0.137591,
    ],
    [
      'a few mid anomalous',
      [0.21, 0.52, 0.0058, 0.13, 0.67, 0.89, 0.32, 0.03, 0.46, 0.222, 0.35, 0.93, 0.01, 0.89, 0.32, 0.46, 0.0021],
      0.029413,
    ],
    ['underflow', [1e-100, 1.7e-20, 1.6e-150, 2.2e-150, 1.3e-180, 1.35e-95, 1.7e-180, 1.21e-300], 86.995953],
  ];
  for (const [name, ps, expected] of cases) {
    it(`${name} → ${expected} (±5e−7)`, () => {
      expect(Math.abs(computeScore(config, ps).score - expected)).toBeLessThanOrEqual(5e-7);
    });
  }
  it('probability inverts the score when it is positive, else combines P_J and P_E', () => {
    const r = computeScore(config, [0.001]);
    expect(r.probability).toBeCloseTo(0.001, 12);
    const zero = computeScore(config, [0.1]);
    expect(zero.score).toBe(0);
    expect(zero.probability).toBeCloseTo(0.1, 12);
    expect(computeScore(config, [])).toEqual({ score: 0, probability: 1 });
  });
  it('one by-field rare record: extreme only, bucket raw = 0.8 · S(P)', () => {
    const r = computeScore({ ...PEOPLE_AGGREGATION, maxAnomalousP: MAX_ANOMALOUS_PROBABILITY }, [0.002]);
    expect(r.score).toBeCloseTo(0.8 * rawAnomalyScore(0.002), 14);
  });
  it('property: scores in [0, 100], probabilities in (0, 1] (seeded)', () => {
    const rng = mulberry32(3);
    for (let t = 0; t < 150; t++) {
      const ps = Array.from({ length: 1 + Math.floor(rng() * 10) }, () => Math.pow(rng(), 1 + rng() * 200));
      const style = [PEOPLE_AGGREGATION, ATTRIBUTES_AGGREGATION, DETECTORS_AGGREGATION][t % 3];
      const r = computeScore({ ...style, maxAnomalousP: MAX_ANOMALOUS_PROBABILITY }, ps);
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(100);
      expect(r.probability).toBeGreaterThan(0);
      expect(r.probability).toBeLessThanOrEqual(1);
    }
  });
  it("Elastic's default aggregation styles and maxAnomalousP", () => {
    expect(PEOPLE_AGGREGATION).toEqual({ jointWeight: 0, extremeWeight: 1, minExtreme: 1, maxExtreme: 1 });
    expect(ATTRIBUTES_AGGREGATION).toEqual({ jointWeight: 0.5, extremeWeight: 0.5, minExtreme: 1, maxExtreme: 5 });
    expect(DETECTORS_AGGREGATION).toEqual({ jointWeight: 0.5, extremeWeight: 0.5, minExtreme: 1, maxExtreme: 1 });
    expect(MAX_ANOMALOUS_PROBABILITY).toBe(0.035);
  });
});
