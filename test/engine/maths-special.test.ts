// Closed forms and reference values (scipy 1.17 / mpmath at 30 digits) for the special functions.
import { describe, expect, it } from 'vitest';
import {
  DBL_MIN,
  betaQuantile,
  logGamma,
  logRegularizedGammaQ,
  normalCdf,
  normalQuantile,
  regularizedBeta,
  regularizedGammaQ,
} from '../../pkg-backend/src/engine/maths/special.ts';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('logGamma', () => {
  it('matches factorials and Γ(1/2) = √π', () => {
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(6)).toBeCloseTo(Math.log(120), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
  });
  it('matches reference values', () => {
    expect(rel(logGamma(0.1), 2.252712651734206)).toBeLessThan(1e-13);
    expect(rel(logGamma(3.5), 1.2009736023470743)).toBeLessThan(1e-13);
    expect(rel(logGamma(171.3), 708.1149470389971)).toBeLessThan(1e-13);
  });
});

describe('regularised incomplete gamma', () => {
  it('Q(1, x) = e^−x', () => {
    for (const x of [0.01, 0.5, 1, 3, 20, 200]) {
      expect(rel(regularizedGammaQ(1, x), Math.exp(-x))).toBeLessThan(1e-13);
    }
  });
  it('Q(a, 0) = 1', () => {
    expect(regularizedGammaQ(3, 0)).toBe(1);
  });
  it('Q(N/2, x/2) is the χ² tail', () => {
    expect(rel(regularizedGammaQ(2, 5), 0.04042768199451279)).toBeLessThan(1e-12);
    expect(rel(regularizedGammaQ(3, 15), 3.930844818448459e-5)).toBeLessThan(1e-12);
    expect(regularizedGammaQ(0.5, 3.84145882069 / 2)).toBeCloseTo(0.05, 11);
  });
  it('below a + 1 (the series branch) 1 − Q matches reference values of P', () => {
    expect(rel(1 - regularizedGammaQ(2.5, 1.5), 0.3000141641213724)).toBeLessThan(1e-12);
    expect(rel(1 - regularizedGammaQ(10, 3), 0.0011024881301154815)).toBeLessThan(1e-12);
  });
  it('log Q stays accurate where Q underflows', () => {
    expect(rel(logRegularizedGammaQ(2, 1000), -993.0912452206848)).toBeLessThan(1e-13);
    expect(rel(logRegularizedGammaQ(0.5, 700), -703.8486181251224)).toBeLessThan(1e-13);
    expect(regularizedGammaQ(2, 1000)).toBe(0);
  });
});

describe('regularised incomplete beta and its quantile', () => {
  it('closed forms: I_x(1, 1) = x, I_x(a, 1) = x^a', () => {
    expect(regularizedBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    expect(regularizedBeta(0.6, 3, 1)).toBeCloseTo(0.216, 14);
  });
  it('matches reference values', () => {
    expect(rel(regularizedBeta(0.25, 3, 4), 0.16943359375)).toBeLessThan(1e-12);
    expect(rel(regularizedBeta(0.1, 0.5, 0.5), 0.20483276469913345)).toBeLessThan(1e-12);
    expect(rel(regularizedBeta(0.4, 50, 70), 0.3591346088344945)).toBeLessThan(1e-11);
  });
  it('betaQuantile inverts the c.d.f.', () => {
    expect(rel(betaQuantile(0.15, 30.33, 70.33), 0.25408733057890454)).toBeLessThan(1e-10);
    expect(rel(betaQuantile(0.85, 1 / 3, 500.33), 0.0013980635357354423)).toBeLessThan(1e-9);
    for (const [p, a, b] of [
      [0.01, 2, 5],
      [0.5, 0.7, 3],
      [0.99, 40, 2],
      [1 / 7, 3, 97],
    ]) {
      expect(regularizedBeta(betaQuantile(p, a, b), a, b)).toBeCloseTo(p, 12);
    }
  });
});

describe('normal distribution', () => {
  it('Φ⁻¹ at known quantiles', () => {
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(rel(normalQuantile(0.001), -3.090232306167813)).toBeLessThan(1e-13);
    expect(rel(normalQuantile(0.3), -0.5244005127080409)).toBeLessThan(1e-13);
    expect(rel(normalQuantile(1e-20), -9.262340089798409)).toBeLessThan(1e-13);
  });
  it('Φ⁻¹ is accurate in the far tail (1e−300, DBL_MIN)', () => {
    expect(rel(normalQuantile(1e-300), -37.0470962993612)).toBeLessThan(1e-13);
    expect(rel(normalQuantile(DBL_MIN), -37.5193793471445)).toBeLessThan(1e-13);
    expect(rel(normalCdf(normalQuantile(1e-300)), 1e-300)).toBeLessThan(1e-12);
  });
  it('Φ keeps relative precision in the tails', () => {
    expect(rel(normalCdf(-10), 7.61985302416047e-24)).toBeLessThan(1e-12);
    expect(rel(normalCdf(-37), 5.725571222524577e-300)).toBeLessThan(1e-12);
    expect(normalCdf(1.5)).toBeCloseTo(0.9331927987311419, 14);
  });
  it('edge cases', () => {
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
  });
});
