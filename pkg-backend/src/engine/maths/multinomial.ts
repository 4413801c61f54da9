// Probability of less likely categories under a multinomial with a Dirichlet prior whose
// concentrations are the (possibly decayed) category counts: ml-cpp CMultinomialConjugate.

import { betaQuantileOf, logBeta, regularizedBeta } from './special.ts';

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

function validTotal(counts: ArrayLike<number>, k = counts.length): number {
  let total = 0;
  for (let i = 0; i < k; i++) {
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
  const lnBeta = logBeta(a, b);
  let f = 0;
  for (let i = 1; i < m; i++) {
    const q = i / m;
    const xq = betaQuantileOf(q, a, b, lnBeta);
    // I_x(a + 1, b) = I_x(a, b) − x^a (1 − x)^b / (a B(a, b)), and I_xq(a, b) = q at the quantile: one
    // exponential instead of a second continued fraction (most of the cost of a partition's small model).
    // Where the difference would cancel most of its digits, the continued fraction is evaluated instead.
    const shifted = q - Math.exp(a * Math.log(xq) + b * Math.log1p(-xq) - lnBeta) / a;
    const fq = shifted > 1e-3 * q ? shifted : regularizedBeta(xq, a + 1, b);
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

/**
 * What Elastic's rare models use as P(category): CModelTools::CCategoryProbabilityCache, built
 * from CMultinomialConjugate::probabilitiesOfLessLikelyCategories(E_TwoSided). For each category
 * the raw tail-sum curve is averaged over m slice means of the category's marginal
 * Beta(c_x, Σc − c_x), each scaled by 1.05. Categories with equal p share one evaluation.
 *
 * The curve is built in O(k) from counts already sorted (O(k log k) when it sorts them itself), and a
 * category's P is evaluated only when asked for: a bucket reads a handful of categories out of thousands,
 * and each evaluation costs m Beta quantiles. The buffers are kept from one reset to the next, so a model
 * that rebuilds the curve every bucket allocates nothing.
 *
 * ml-cpp adds P(U) = Σ(1/k − p_i) for overflowed category sets; that is 0 (up to rounding)
 * when every category is counted, as here, so it is omitted.
 */
export class SmoothedTailCurve {
  private k = 0;
  private total = 0;
  private samples = 1;
  private counts: ArrayLike<number> = [];
  private ownOrder = new Int32Array(0);
  /** category indices in ascending order of count */
  private order: Int32Array = this.ownOrder;
  /** category index → its position in `order` */
  private position = new Int32Array(0);
  /** p of order[i] */
  private p = new Float64Array(0);
  /** Σ p_y over all y with p_y ≤ p of order[i] (ties included) */
  private tail = new Float64Array(0);
  /** first position of the run of equal p that position i belongs to */
  private groupStart = new Int32Array(0);
  /** P of the run starting at a position; NaN until evaluated */
  private value = new Float64Array(0);

  /**
   * Takes counts[0..k). `order`, when given, must hold 0..k−1 sorted by ascending count (ties in any
   * order); the curve keeps a reference to it and to `counts` until the next reset. `total`, when given,
   * must be Σ counts[0..k) summed in index order, from counts known to be finite and ≥ 0: a model that
   * has just decayed every count has it for free, and the check would cost one more pass.
   */
  reset(counts: ArrayLike<number>, k = counts.length, order?: Int32Array, total = validTotal(counts, k)): void {
    this.k = k;
    this.total = total;
    this.counts = counts;
    if (k > this.p.length) {
      const capacity = Math.max(k, 2 * this.p.length, 16);
      this.position = new Int32Array(capacity);
      this.p = new Float64Array(capacity);
      this.tail = new Float64Array(capacity);
      this.groupStart = new Int32Array(capacity);
      this.value = new Float64Array(capacity);
    }
    if (order) {
      this.order = order;
    } else {
      if (k > this.ownOrder.length) {
        this.ownOrder = new Int32Array(Math.max(k, 2 * this.ownOrder.length, 16));
      }
      const own = this.ownOrder.subarray(0, k);
      for (let i = 0; i < k; i++) {
        own[i] = i;
      }
      own.sort((x, y) => counts[x] - counts[y]);
      this.order = this.ownOrder;
    }
    if (total <= 0) {
      return;
    }
    this.samples = numberPriorSamples(total);
    const { p, tail, position, groupStart, value } = this;
    const sorted = this.order;
    // One pass over the sorted categories: equal probabilities share one tail sum that includes all of
    // them (ml-cpp's equal-range loop), and one evaluation, stored at the run's first position.
    let cumulative = 0;
    for (let i = 0; i < k;) {
      const pi = counts[sorted[i]] / total;
      let j = i;
      for (let pj = pi; pj === pi; pj = j < k ? counts[sorted[j]] / total : NaN) {
        p[j] = pj;
        position[sorted[j]] = j;
        cumulative += pj;
        j++;
      }
      value[i] = NaN;
      for (const start = i; i < j; i++) {
        tail[i] = cumulative;
        groupStart[i] = start;
      }
    }
  }

  /** Smoothed P of category `index` (1 for every category when Σc = 0). */
  probability(index: number): number {
    if (this.total <= 0) {
      return 1;
    }
    const start = this.groupStart[this.position[index]];
    const cached = this.value[start];
    if (cached === cached) {
      return cached;
    }
    // A run's P is that of its first category, as the loop over sorted categories computes it.
    const a = this.counts[this.order[start]];
    const b = this.total - a;
    let result: number;
    if (this.samples === 1 || a === 0 || b === 0) {
      // betaSliceMeans' single slice, the mean, without its array: most buckets have Σc > 10⁴.
      result = Math.min(1, Math.max(0, this.interpolate(SAMPLE_SCALE * (a / (a + b)), start) / 1));
    } else {
      const slices = betaSliceMeans(a, b, this.samples);
      let sum = 0;
      for (const s of slices) {
        sum += this.interpolate(SAMPLE_SCALE * s, start);
      }
      result = Math.min(1, Math.max(0, sum / slices.length));
    }
    this.value[start] = result;
    return result;
  }

  /** Median of the counts (0 when there are none). */
  median(): number {
    const k = this.k;
    if (k === 0) {
      return 0;
    }
    const mid = k >> 1;
    const upper = this.counts[this.order[mid]];
    return k % 2 ? upper : (this.counts[this.order[mid - 1]] + upper) / 2;
  }

  /**
   * P at probability x, linearly interpolated on the sorted (p, P) curve anchored at (0, 0). x is near the
   * p at position `hint` (a category's own share, widened by 5 %), so the search gallops out from there:
   * a few steps instead of log₂ k, and the same index as a search of the whole curve.
   */
  private interpolate(x: number, hint: number): number {
    const { p, tail, k } = this;
    // Index of the first sorted p ≥ x (std::lower_bound), or k: it lies in [lo, hi].
    let lo: number;
    let hi: number;
    if (p[hint] < x) {
      lo = hint + 1;
      let probe = lo;
      for (let step = 1; probe < k && p[probe] < x; step *= 2) {
        lo = probe + 1;
        probe = lo + step;
      }
      hi = Math.min(probe, k);
    } else {
      hi = hint;
      let probe = hi - 1;
      for (let step = 2; probe >= 0 && p[probe] >= x; step *= 2) {
        hi = probe;
        probe = hi - step;
      }
      lo = Math.max(probe + 1, 0);
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (p[mid] < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    const r = Math.min(lo, k - 1);
    const fl = r > 0 ? p[r - 1] : 0;
    const fr = p[r];
    const pl = r > 0 ? tail[r - 1] : 0;
    const pr = tail[r];
    const alpha = Math.min(fr - fl === 0 ? 0 : (x - fl) / (fr - fl), 1);
    return (1 - alpha) * pl + alpha * pr;
  }
}

/**
 * Every category's smoothed P (see SmoothedTailCurve). O(k log k + d·m·log k) for k categories with d
 * distinct counts.
 */
export function smoothedTailProbabilities(counts: ArrayLike<number>): Float64Array {
  const curve = new SmoothedTailCurve();
  curve.reset(counts);
  const result = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) {
    result[i] = curve.probability(i);
  }
  return result;
}
