/**
 * The shortcuts the detector's hot path takes must give, to the bit, what the general functions give:
 * one probability scored without the aggregators' arrays, and the smoothed tail curve read per category
 * from counts sorted elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { SmoothedTailCurve, smoothedTailProbabilities } from '../../pkg-backend/src/engine/maths/multinomial.ts';
import {
  ATTRIBUTES_AGGREGATION,
  DETECTORS_AGGREGATION,
  MAX_ANOMALOUS_PROBABILITY,
  PEOPLE_AGGREGATION,
  computeScore,
  scoreOfProbability,
} from '../../pkg-backend/src/engine/maths/score.ts';
import { DBL_MIN } from '../../pkg-backend/src/engine/maths/special.ts';
import { mulberry32 } from './maths-rng.ts';

const STYLES = [PEOPLE_AGGREGATION, DETECTORS_AGGREGATION, ATTRIBUTES_AGGREGATION].map((style) => ({
  ...style,
  maxAnomalousP: MAX_ANOMALOUS_PROBABILITY,
}));

function probabilities(): number[] {
  const rand = mulberry32(11);
  const ps = [0, DBL_MIN, DBL_MIN / 4, 1e-320, 1e-50, 1e-4, 0.035, 0.0350000001, 0.05, 0.5, 1];
  for (let i = 0; i < 2000; i++) {
    ps.push(Math.pow(10, -rand() * 320));
  }
  return ps;
}

describe('one probability', () => {
  it('computeScore takes the same value as its general path (an out-of-range entry is dropped there)', () => {
    for (const style of STYLES) {
      for (const p of probabilities()) {
        expect(computeScore(style, [p])).toEqual(computeScore(style, [p, 2]));
      }
    }
  });

  it('scoreOfProbability is computeScore(…, [p]).score, also for probabilities outside [0, 1]', () => {
    for (const style of STYLES) {
      for (const p of [...probabilities(), -0.5, 1.5, NaN]) {
        expect(scoreOfProbability(style, p)).toBe(computeScore(style, [p, 2]).score);
      }
    }
  });
});

describe('SmoothedTailCurve', () => {
  it('reads each category as smoothedTailProbabilities does, from counts sorted elsewhere with ties in any order', () => {
    const rand = mulberry32(5);
    for (let round = 0; round < 40; round++) {
      const k = 1 + Math.floor(rand() * 60);
      const integers = round % 2 === 0;
      const counts = Array.from({ length: k }, () =>
        integers ? Math.floor(rand() * 8) : rand() < 0.2 ? 1.5 : Math.pow(rand(), 3) * 50,
      );
      const expected = smoothedTailProbabilities(counts);
      // Sorted by count with ties reversed, unlike the curve's own sort would leave them.
      const order = Int32Array.from(counts.keys()).sort((a, b) => counts[a] - counts[b] || b - a);
      const curve = new SmoothedTailCurve();
      curve.reset(counts, k, order);
      const sorted = [...counts].sort((a, b) => a - b);
      const mid = k >> 1;
      expect(curve.median()).toBe(k % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2);
      // Backwards, so no category is read in the order the curve was built.
      for (let i = k - 1; i >= 0; i--) {
        expect(curve.probability(i)).toBe(expected[i]);
      }
    }
  });

  it('gives 1 everywhere without counts and reuses its buffers across resets', () => {
    const curve = new SmoothedTailCurve();
    curve.reset([0, 0, 0]);
    expect([0, 1, 2].map((i) => curve.probability(i))).toEqual([1, 1, 1]);
    curve.reset([3, 1, 2, 9, 9, 4]);
    expect([0, 1, 2, 3, 4, 5].map((i) => curve.probability(i))).toEqual(
      Array.from(smoothedTailProbabilities([3, 1, 2, 9, 9, 4])),
    );
    curve.reset([5, 1]);
    expect([curve.probability(0), curve.probability(1)]).toEqual(Array.from(smoothedTailProbabilities([5, 1])));
  });
});
