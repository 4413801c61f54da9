import { describe, expect, it } from 'vitest';
import {
  jointProbability,
  logExtremeProbability,
  logJointProbabilityUpperBound,
  logProbabilityOfMFromNExtremeSamples,
} from '../../pkg-backend/src/engine/maths/joint.ts';
import { DBL_MIN, logRegularizedGammaQ, normalQuantile } from '../../pkg-backend/src/engine/maths/special.ts';
import { mulberry32 } from './maths-rng.ts';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const extremeProbability = (ps: number[], minExtreme: number, maxExtreme: number) =>
  Math.exp(logExtremeProbability(ps, minExtreme, maxExtreme));

describe('jointProbability (weighted χ², CJointProbabilityOfLessLikelySamples)', () => {
  it('one probability is its own joint', () => {
    expect(jointProbability([0.037])).toBe(0.037);
    expect(jointProbability([])).toBe(1);
  });
  it('matches scipy: chi2.sf(Σ z², N)', () => {
    expect(rel(jointProbability([0.01, 0.2, 0.5]), 0.03307158544317722)).toBeLessThan(1e-10);
  });
  it('weights: Q(Σw/2, Σ w z² / 2)', () => {
    expect(rel(jointProbability([0.01, 0.2], [0.5, 2]), 0.05828681428954706)).toBeLessThan(1e-10);
  });
  it('n equal probabilities of 1 give 1; a single p with weight 1 in a pair of 1s stays below it', () => {
    expect(jointProbability([1, 1, 1])).toBe(1);
    expect(jointProbability([0.001, 1])).toBeGreaterThan(0.001);
  });
  it('works in logs where the joint underflows; floors inputs at DBL_MIN', () => {
    const ps = [1e-200, 1e-250, 1e-300, 0];
    expect(jointProbability(ps)).toBe(0);
    // The exact ln of the χ² joint: ln Q(N/2, Σ z²/2), z = Φ⁻¹(P/2) with P floored at DBL_MIN.
    const sumSquares = ps.reduce((sum, p) => sum + normalQuantile(Math.max(p, DBL_MIN) / 2) ** 2, 0);
    const logP = logRegularizedGammaQ(ps.length / 2, sumSquares / 2);
    expect(Number.isFinite(logP)).toBe(true);
    expect(logP).toBeLessThan(-700);
    expect(logJointProbabilityUpperBound(ps)).toBeGreaterThanOrEqual(logP);
    expect(logJointProbabilityUpperBound(ps) - logP).toBeLessThan(10);
  });
  it('rejects invalid input with the field named', () => {
    expect(() => jointProbability([0.5, 1.2])).toThrow(/probabilities\[1\]/);
    expect(() => jointProbability([0.5], [1, 2])).toThrow(/weights/);
  });
  it('property: in (0, 1] and no larger than the smallest input times N (seeded)', () => {
    const rng = mulberry32(11);
    for (let t = 0; t < 200; t++) {
      const n = 1 + Math.floor(rng() * 12);
      const ps = Array.from({ length: n }, () => Math.pow(rng(), 1 + rng() * 30));
      const p = jointProbability(ps);
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThanOrEqual(1);
    }
  });
});

describe('extremeProbability (CProbabilityOfExtremeSample / CLogProbabilityOfMFromNExtremeSamples)', () => {
  it('maxExtreme = 1 is 1 − (1 − p_min)^N', () => {
    const ps = [0.3, 0.01, 0.5, 0.2];
    expect(extremeProbability(ps, 1, 1)).toBeCloseTo(1 - Math.pow(0.99, 4), 14);
    expect(extremeProbability([0.01], 1, 5)).toBeCloseTo(0.01, 15);
  });
  it('two of two: P(both ≤ their values) has the closed form 2·p1·p2 − p1² for p1 ≤ p2', () => {
    // P(min ≤ p1 and max ≤ p2) with ordered uniforms: 2·p1·p2 − p1².
    const [p1, p2] = [0.01, 0.05];
    expect(rel(Math.exp(logProbabilityOfMFromNExtremeSamples([p2, p1], 2)), 2 * p1 * p2 - p1 * p1)).toBeLessThan(1e-9);
  });
  it('keeps extreme values apart in logs without underflow', () => {
    const l1 = logExtremeProbability([1e-300, 0.5], 1, 2);
    const l2 = logExtremeProbability([1e-200, 0.5], 1, 2);
    expect(Number.isFinite(l1)).toBe(true);
    expect(l1).toBeLessThan(l2);
  });
  it('property: in (0, 1] (seeded)', () => {
    const rng = mulberry32(5);
    for (let t = 0; t < 200; t++) {
      const n = 1 + Math.floor(rng() * 20);
      const ps = Array.from({ length: n }, () => Math.pow(rng(), 1 + rng() * 10));
      const p = extremeProbability(ps, 1, 5);
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThanOrEqual(1);
    }
  });
});
