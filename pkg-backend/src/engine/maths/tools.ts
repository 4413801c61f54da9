// Small numerically careful helpers (ml-cpp CTools::powOneMinusX, oneMinusPowOneMinusX,
// logOneMinusX). They use a truncated Taylor series when p·x is small so that (1 − x)^p and its
// complement keep their precision for the tiny probabilities the aggregators see.

const SERIES_LIMIT = 0.1;
// Coefficients of the Taylor series of e^{-y}−1 style expansions: −1, 1/2, −1/6, 1/24, −1/120, 1/720.
const COEFFS = [-1, 1 / 2, -1 / 6, 1 / 24, -1 / 120, 1 / 720];

/** (1 − x)^p. */
export function powOneMinusX(x: number, p: number): number {
  if (x === 1) {
    return 0;
  }
  if (p === 1) {
    return 1 - x;
  }
  const y = p * x;
  if (Math.abs(y) < SERIES_LIMIT) {
    let remainder = 0;
    let ti = 1;
    for (let i = 0; i < COEFFS.length && p !== 0; i++, p -= 1) {
      ti *= p * x;
      remainder += COEFFS[i] * ti;
    }
    return 1 + remainder;
  }
  if (p > 1000) {
    return Math.exp(-y);
  }
  if (x > 1) {
    const sign = Math.trunc(p) % 2 ? -1 : 1;
    return sign * Math.exp(p * Math.log(x - 1));
  }
  return Math.exp(p * Math.log(1 - x));
}

/** 1 − (1 − x)^p, without cancellation when p·x is small. */
export function oneMinusPowOneMinusX(x: number, p: number): number {
  if (x === 1) {
    return 1;
  }
  if (p === 1) {
    return x;
  }
  const y = p * x;
  if (Math.abs(y) < SERIES_LIMIT) {
    let result = 0;
    let ti = 1;
    for (let i = 0; i < COEFFS.length && p !== 0; i++, p -= 1) {
      ti *= p * x;
      result -= COEFFS[i] * ti;
    }
    return result;
  }
  if (p > 1000) {
    return 1 - Math.exp(-y);
  }
  if (x > 1) {
    const sign = Math.trunc(p) % 2 ? -1 : 1;
    return 1 - sign * Math.exp(p * Math.log(x - 1));
  }
  return 1 - Math.exp(p * Math.log(1 - x));
}

/** ln(1 − x). */
export function logOneMinusX(x: number): number {
  if (Math.abs(x) < SERIES_LIMIT) {
    let result = 0;
    let xi = -x;
    for (let i = 0; i < 6; i++, xi *= -x) {
      result += xi / (i + 1);
    }
    return result;
  }
  return Math.log(1 - x);
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
