// Probability of less likely categories under a multinomial with a Dirichlet prior whose
// concentrations are the (possibly decayed) category counts: ml-cpp CMultinomialConjugate.

import { betaQuantile, regularizedBeta } from './special.ts';

/** Categories sorted by expected probability, with the raw tail sum of each (ties included). */
interface SortedCategories {
  /** indices into the caller's counts, in ascending order of p */
  order: Int32Array;
  /** p of order[i] */
  p: Float64Array;
  /** Σ p_y over all y with p_y ≤ p of order[i] */
  tail: Float64Array;
}

function sortCategories(counts: ArrayLike<number>, total: number): SortedCategories {
  const k = counts.length;
  const order = new Int32Array(k);
  for (let i = 0; i < k; i++) {
    order[i] = i;
  }
  order.sort((x, y) => counts[x] - counts[y]);
  const p = new Float64Array(k);
  const tail = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    p[i] = counts[order[i]] / total;
  }
  // Equal probabilities share one tail sum that includes all of them (ml-cpp's equal-range loop).
  let cumulative = 0;
  for (let i = 0; i < k;) {
    let j = i;
    while (j < k && p[j] === p[i]) {
      cumulative += p[j++];
    }
    for (; i < j; i++) {
      tail[i] = cumulative;
    }
  }
  return { order, p, tail };
}

function validTotal(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (!(c >= 0) || !Number.isFinite(c)) {
      throw new RangeError(`counts[${i}] = ${c}: counts must be finite and ≥ 0`);
    }
    total += c;
  }
  return total;
}

/**
 * Raw two-sided probability of a less likely category for each category: P(x) = Σ p_y over all y
 * with p_y ≤ p_x, p = c / Σc (CMultinomialConjugate::probabilityOfLessLikelySamples, E_TwoSided,
 * when the prior is large enough that it takes a single marginal sample).
 * Returns an array aligned with `counts`; all ones when Σc = 0.
 */
export function tailProbabilities(counts: ArrayLike<number>): Float64Array {
  const total = validTotal(counts);
  const result = new Float64Array(counts.length).fill(1);
  if (total <= 0) {
    return result;
  }
  const { order, tail } = sortCategories(counts, total);
  for (let i = 0; i < order.length; i++) {
    result[order[i]] = Math.min(1, tail[i]);
  }
  return result;
}

/**
 * Number of marginal samples, by total concentration (numberPriorSamples in
 * CMultinomialConjugate.cc: thresholds 100, 1000, 10000 with lower_bound, so "≤").
 */
export function numberPriorSamples(totalConcentration: number): number {
  if (totalConcentration <= 100) {
    return 7;
  }
  if (totalConcentration <= 1000) {
    return 5;
  }
  if (totalConcentration <= 10_000) {
    return 3;
  }
  return 1;
}

/**
 * Means of m equal-probability slices of Beta(a, b) (generateBetaSamples): slice i spans the
 * quantiles [(i−1)/m, i/m] and its mean is m·E[p]·(F_{a+1,b}(x_i) − F_{a+1,b}(x_{i−1})), using
 * x·f_{a,b}(x) = E[p]·f_{a+1,b}(x).
 */
export function betaSliceMeans(a: number, b: number, m: number): number[] {
  const mean = a / (a + b);
  if (m === 1 || a === 0 || b === 0) {
    return [mean];
  }
  const samples: number[] = [];
  let f = 0;
  for (let i = 1; i < m; i++) {
    const xq = betaQuantile(i / m, a, b);
    const fq = regularizedBeta(xq, a + 1, b);
    samples.push(m * mean * (fq - f));
    f = fq;
  }
  samples.push(m * mean * (1 - f));
  if (samples.some((s) => !Number.isFinite(s))) {
    return [mean];
  }
  return samples;
}

/** Relative widening of each sampled p, so near-equal p get near-equal P (ml-cpp's 1.05). */
const SAMPLE_SCALE = 1.05;

/** Index of the first sorted p ≥ x (std::lower_bound), or p.length. */
function lowerBound(p: Float64Array, x: number): number {
  let lo = 0;
  let hi = p.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (p[mid] < x) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/** P at probability x, linearly interpolated on the sorted (p, P) curve anchored at (0, 0). */
function interpolateTail(sorted: SortedCategories, x: number): number {
  const { p, tail } = sorted;
  const r = Math.min(lowerBound(p, x), p.length - 1);
  const fl = r > 0 ? p[r - 1] : 0;
  const fr = p[r];
  const pl = r > 0 ? tail[r - 1] : 0;
  const pr = tail[r];
  const alpha = Math.min(fr - fl === 0 ? 0 : (x - fl) / (fr - fl), 1);
  return (1 - alpha) * pl + alpha * pr;
}

/**
 * What Elastic's rare models use as P(category): CModelTools::CCategoryProbabilityCache, built
 * from CMultinomialConjugate::probabilitiesOfLessLikelyCategories(E_TwoSided). For each category
 * the raw tail-sum curve is averaged over m slice means of the category's marginal
 * Beta(c_x, Σc − c_x), each scaled by 1.05. Categories with equal counts share one evaluation.
 * O(k log k + d·m·log k) for k categories with d distinct counts.
 *
 * ml-cpp adds P(U) = Σ(1/k − p_i) for overflowed category sets; that is 0 (up to rounding)
 * when every category is counted, as here, so it is omitted.
 */
export function smoothedTailProbabilities(counts: ArrayLike<number>): Float64Array {
  const total = validTotal(counts);
  const k = counts.length;
  const result = new Float64Array(k).fill(1);
  if (total <= 0) {
    return result;
  }
  const sorted = sortCategories(counts, total);
  const m = numberPriorSamples(total);
  let lastP = NaN;
  let lastValue = 1;
  for (let i = 0; i < k; i++) {
    const index = sorted.order[i];
    if (sorted.p[i] !== lastP) {
      const a = counts[index];
      const samples = betaSliceMeans(a, total - a, m);
      let sum = 0;
      for (const s of samples) {
        sum += interpolateTail(sorted, SAMPLE_SCALE * s);
      }
      lastValue = Math.min(1, Math.max(0, sum / samples.length));
      lastP = sorted.p[i];
    }
    result[index] = lastValue;
  }
  return result;
}
