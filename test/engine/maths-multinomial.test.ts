import { describe, expect, it } from 'vitest';
import {
  betaSliceMeans,
  numberPriorSamples,
  smoothedTailProbabilities,
  tailProbabilities,
} from '../../pkg-backend/src/engine/maths/multinomial.ts';
import { mulberry32 } from './maths-rng.ts';
import { betaQuantile, regularizedBeta } from '../../pkg-backend/src/engine/maths/special.ts';

const COUNTS = [10000, 12000, 29000, 39000, 4000, 6000];

describe('tailProbabilities (CMultinomialConjugate::probabilityOfLessLikelySamples)', () => {
  it('(E) CMultinomialConjugateTest: {10000, 12000, 29000, 39000, 4000, 6000} → {0.2, 0.32, 0.61, 1, 0.04, 0.1}', () => {
    const expected = [0.2, 0.32, 0.61, 1.0, 0.04, 0.1];
    const actual = tailProbabilities(COUNTS);
    expected.forEach((e, i) => expect(Math.abs(actual[i] - e)).toBeLessThan(1e-10));
  });
  it('includes ties in the tail', () => {
    expect(Array.from(tailProbabilities([1, 1, 2]))).toEqual([0.5, 0.5, 1]);
  });
  it('no data: all ones; rejects negative counts', () => {
    expect(Array.from(tailProbabilities([0, 0]))).toEqual([1, 1]);
    expect(() => tailProbabilities([1, -1])).toThrow(/counts\[1\]/);
  });
});

describe('smoothedTailProbabilities (CCategoryProbabilityCache)', () => {
  const cases: Array<[number, number[]]> = [
    [1, [0.23, 0.330235, 0.66655, 1.0, 0.046, 0.1075]],
    [0.01, [0.236, 0.323, 0.669, 0.998, 0.049, 0.107]],
    [0.001, [0.235, 0.298, 0.694, 0.955, 0.058, 0.11]],
  ];
  for (const [scale, expected] of cases) {
    it(`(R) same shares at Σc = ${1e5 * scale} (1 % tolerance)`, () => {
      const actual = smoothedTailProbabilities(COUNTS.map((c) => c * scale));
      expected.forEach((e, i) => expect(Math.abs(actual[i] - e) / e).toBeLessThan(0.01));
    });
  }
  it('number of marginal samples follows the ≤ 100 / 1000 / 10⁴ thresholds', () => {
    expect([100, 100.5, 1000, 1001, 10000, 10001].map(numberPriorSamples)).toEqual([7, 5, 5, 3, 3, 1]);
  });
  it('slice means of Beta(a, b) average to its mean and increase', () => {
    const s = betaSliceMeans(3, 97, 7);
    expect(s).toHaveLength(7);
    expect(s.reduce((x, y) => x + y) / 7).toBeCloseTo(0.03, 12);
    for (let i = 1; i < s.length; i++) {
      expect(s[i]).toBeGreaterThan(s[i - 1]);
    }
  });
  it('(E) CMultinomialConjugateTest Dirichlet check: within 0.1 of Monte Carlo, total error < 0.7', () => {
    const probs = [
      0.02, 0.05, 0.01, 0.2, 0.001, 0.03, 0.02, 0.005, 0.1, 0.03, 0.04, 0.01, 0.001, 0.006, 0.02, 0.05, 0.001, 0.001,
      0.01, 0.01, 0.2, 0.01, 0.02, 0.07, 0.01, 0.002, 0.01, 0.02, 0.03, 0.013,
    ];
    const conc = probs.map((p) => p * 100);
    const rng = mulberry32(42);
    const expected = new Array(conc.length).fill(0);
    const samples = 4000;
    for (let s = 0; s < samples; s++) {
      const g = conc.map((a) => gammaSample(a, rng));
      const total = g.reduce((x, y) => x + y);
      const idx = g.map((_, i) => i).sort((i, j) => g[i] - g[j]);
      // As Elastic's test: the category at sorted position j is credited the cumulative mass
      // up to and including position j + 1 (1 for the largest).
      const cum: number[] = [];
      let acc = 0;
      for (const i of idx) {
        cum.push((acc += g[i] / total));
      }
      cum.push(1);
      idx.forEach((i, j) => (expected[i] += cum[j + 1] / samples));
    }
    const actual = smoothedTailProbabilities(conc);
    let totalError = 0;
    for (let i = 0; i < conc.length; i++) {
      expect(Math.abs(actual[i] - expected[i])).toBeLessThan(0.1);
      totalError += Math.abs(actual[i] - expected[i]);
    }
    expect(totalError).toBeLessThan(0.7);
  });
  it('property: P in [0, 1], monotone non-decreasing in the count share (seeded)', () => {
    const rng = mulberry32(7);
    for (let trial = 0; trial < 60; trial++) {
      const k = 1 + Math.floor(rng() * 40);
      const scale = [0.05, 1, 30, 500][trial % 4];
      const counts = Array.from({ length: k }, () => Math.floor(rng() * 20) * scale * rng());
      if (!counts.some((c) => c > 0)) {
        counts[0] = 1;
      }
      const p = smoothedTailProbabilities(counts);
      const order = counts.map((_, i) => i).sort((i, j) => counts[i] - counts[j]);
      for (let i = 0; i < k; i++) {
        expect(p[i]).toBeGreaterThanOrEqual(0);
        expect(p[i]).toBeLessThanOrEqual(1);
      }
      for (let i = 1; i < k; i++) {
        expect(p[order[i]]).toBeGreaterThanOrEqual(p[order[i - 1]] - 1e-12);
      }
    }
  });
  it('handles tens of thousands of categories (its speed is in `npm run bench`)', () => {
    const counts = Array.from({ length: 30000 }, (_, i) => 1 + (i % 997) * 0.37);
    const p = smoothedTailProbabilities(counts);
    expect(p).toHaveLength(30000);
    // Equal counts share one evaluation: they must get the same probability.
    expect(p[5]).toBe(p[5 + 997]);
    expect(p[996]).toBeGreaterThan(p[0]);
  });
});

/** Marsaglia–Tsang gamma sampler (shape a, scale 1). */
function gammaSample(a: number, rng: () => number): number {
  if (a < 1) {
    return gammaSample(a + 1, rng) * Math.pow(rng(), 1 / a);
  }
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      const u1 = rng() || 1e-300;
      const u2 = rng();
      x = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
      return d * v;
    }
  }
}

describe('betaSliceMeans', () => {
  it('equals the slices computed with a second incomplete beta (the recurrence it uses instead)', () => {
    for (const a of [0.3, 1, 2.5, 17, 180, 4000]) {
      for (const b of [0.7, 3, 42, 900, 9000]) {
        for (const m of [3, 5, 7]) {
          const direct: number[] = [];
          let f = 0;
          for (let i = 1; i < m; i++) {
            const fq = regularizedBeta(betaQuantile(i / m, a, b), a + 1, b);
            direct.push(m * (a / (a + b)) * (fq - f));
            f = fq;
          }
          direct.push(m * (a / (a + b)) * (1 - f));
          const got = betaSliceMeans(a, b, m);
          got.forEach((s, i) => expect(Math.abs(s - direct[i])).toBeLessThanOrEqual(1e-9 * Math.max(direct[i], 1e-12)));
        }
      }
    }
  });
});
