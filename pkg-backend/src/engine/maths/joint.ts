// Aggregating several probabilities into one (ml-cpp lib/maths ProbabilityAggregators):
// the weighted χ² joint probability of less likely samples and the probability of the m most
// extreme of N samples. Both work in logs so probabilities far below DBL_MIN stay ordered.

import { DBL_MIN, logGamma, normalQuantile, regularizedGammaQ } from './special.ts';
import { clamp, logOneMinusX, oneMinusPowOneMinusX, powOneMinusX } from './tools.ts';

const DBL_MAX = Number.MAX_VALUE;
const LOG_DBL_MAX = Math.log(DBL_MAX);
const LOG_DBL_MIN = Math.log(DBL_MIN);

/** A probability as ml-cpp accepts it: floored at DBL_MIN so z-scores and logs stay finite. */
function floorProbability(p: number): number {
  return p < DBL_MIN ? DBL_MIN : p;
}

/** Sufficient statistics of CJointProbabilityOfLessLikelySamples. */
interface JointStatistics {
  /** set when exactly one probability with weight 1 was added: it is its own joint */
  only?: number;
  /** Σ w_i z_i² (the Mahalanobis distance with zero correlation) */
  sumSquares: number;
  /** N = Σ w_i */
  n: number;
}

function validate(ps: readonly number[], weights?: readonly number[]): void {
  if (weights && weights.length !== ps.length) {
    throw new RangeError(`weights has ${weights.length} entries, probabilities ${ps.length}: they must match`);
  }
  ps.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(`probabilities[${i}] = ${p}: must be in [0, 1]`);
    }
  });
  weights?.forEach((w, i) => {
    if (!(w >= 0) || !Number.isFinite(w)) {
      throw new RangeError(`weights[${i}] = ${w}: must be finite and ≥ 0`);
    }
  });
}

function jointStatistics(ps: readonly number[], weights?: readonly number[]): JointStatistics {
  validate(ps, weights);
  const w0 = weights ? weights[0] : 1;
  if (ps.length === 1 && w0 === 1) {
    return { only: floorProbability(ps[0]), sumSquares: 0, n: 1 };
  }
  let sumSquares = 0;
  let n = 0;
  for (let i = 0; i < ps.length; i++) {
    const w = weights ? weights[i] : 1;
    // z = Φ⁻¹(1 − P/2) computed as −Φ⁻¹(P/2), which loses nothing for small P.
    const z = -normalQuantile(floorProbability(ps[i]) / 2);
    sumSquares += w * z * z;
    n += w;
  }
  return { sumSquares, n };
}

/**
 * Weighted joint probability of less likely samples (CJointProbabilityOfLessLikelySamples):
 * z_i = Φ⁻¹(1 − P_i/2), P = Q(N/2, Σ w_i z_i² / 2), N = Σ w_i. A single probability with weight 1
 * is returned as is; no samples, or a negligible distance, give 1.
 */
export function jointProbability(ps: readonly number[], weights?: readonly number[]): number {
  const s = jointStatistics(ps, weights);
  if (s.only !== undefined) {
    return clamp(s.only, 0, 1);
  }
  if (s.n === 0 || s.sumSquares / s.n < 1e-8) {
    return 1;
  }
  return clamp(regularizedGammaQ(s.n / 2, s.sumSquares / 2), 0, 1);
}

/**
 * Upper bound of ln P_joint as CAnomalyScore::compute uses it
 * (CLogJointProbabilityOfLessLikelySamples::calculateUpperBound): the exact value while it is
 * representable, else the closed-form bound on the upper incomplete gamma function,
 * Γ(s, x) ≤ x^(s−1) e^(−x) · min(geometric sum, p!/x^p · e^x) with p = ⌈s − 1⌉.
 */
export function logJointProbabilityUpperBound(ps: readonly number[], weights?: readonly number[]): number {
  const st = jointStatistics(ps, weights);
  if (st.only !== undefined) {
    return Math.min(Math.log(st.only), 0);
  }
  if (st.n === 0 || st.sumSquares === 0) {
    return 0;
  }
  const probability = st.sumSquares / st.n < 1e-8 ? 1 : clamp(regularizedGammaQ(st.n / 2, st.sumSquares / 2), 0, 1);
  if (probability > 10 * DBL_MIN) {
    return Math.log(probability);
  }

  const logDoubleMax = Math.log(0.1 * DBL_MAX);
  const s = st.n / 2;
  const x = st.sumSquares / 2;
  const p = Math.ceil(s - 1);
  let b1: number;
  if ((p + 1) * Math.log(p / x) >= logDoubleMax) {
    b1 = (p + 1) * Math.log(p / x) - Math.log(p / x - 1);
  } else if (p !== x) {
    const r = 1 - p / x;
    b1 = Math.log(oneMinusPowOneMinusX(r, p + 1) / r);
  } else {
    b1 = Math.log(p + 1);
  }
  const b2 = logGamma(p + 1) - p * Math.log(x) + x;
  const bound = (s - 1) * Math.log(x) - x + Math.min(b1, b2) - logGamma(s);
  return Math.min(bound, 0);
}

// 3-point Gauss–Legendre rule (CIntegration::OrderThree).
const GL_ABSCISSAS = [-Math.sqrt(3 / 5), 0, Math.sqrt(3 / 5)];
const GL_WEIGHTS = [5 / 9, 8 / 9, 5 / 9];

/** ln ∫_a^b e^{f(x)} dx by Gauss–Legendre, renormalised so tiny integrands don't underflow. */
function logGaussLegendre(f: (x: number) => number, a: number, b: number): number {
  if (b <= a) {
    [a, b] = [b, a];
  }
  const centre = (a + b) / 2;
  const range = (b - a) / 2;
  const fx = GL_ABSCISSAS.map((t) => f(centre + range * t));
  const fmax = Math.max(...fx);
  let sum = 0;
  for (let i = 0; i < fx.length; i++) {
    sum += GL_WEIGHTS[i] * Math.exp(fx[i] - fmax);
  }
  return Math.log(sum * range) + fmax;
}

const MAX_NUMERICAL_DIMENSION = 10;
const NUMERICAL_CUTOFF = [1e32, 1e16, 1e8, 1e4, 100];

/**
 * Fallback for the m-from-N extreme probability when the series cancels
 * (CNumericalLogProbabilityOfMFromNExtremeSamples): the nested integral
 * N!/(N−m)! ∫_0^{P_m} ∫_{t_m}^{P_{m−1}} … (1 − t_1)^{N−m} dt_1 … dt_m.
 */
function numericalLogProbabilityOfMFromN(sortedMins: readonly number[], n: number): number {
  const limits: number[] = [];
  const corrections: number[] = [];
  const cutoff = n >= NUMERICAL_CUTOFF.length ? 100 : NUMERICAL_CUTOFF[n];
  if (sortedMins.length > 0) {
    limits.push(sortedMins[0]);
    corrections.push(0);
    for (let i = 1; i < Math.min(sortedMins.length, MAX_NUMERICAL_DIMENSION); i++) {
      // For large N the integral is dominated near the smallest probability: truncating the
      // wider limits keeps the 3-point rule accurate, and the log-ratio corrects the volume.
      limits.push(Math.min(sortedMins[i], cutoff * limits[i - 1]));
      corrections.push(
        sortedMins[i] === sortedMins[i - 1]
          ? 0
          : Math.log(sortedMins[i] - sortedMins[i - 1]) - Math.log(limits[i] - limits[i - 1]),
      );
    }
  }
  const m = limits.length;
  const integrand =
    (level: number) =>
    (x: number): number => {
      if (level === m) {
        return (n - m) * logOneMinusX(x);
      }
      return logGaussLegendre(integrand(level + 1), x, limits[level]) + corrections[level];
    };
  return logGaussLegendre(integrand(1), 0, limits[0]) + logGamma(n + 1) - logGamma(n - m + 1);
}

/** ml-cpp's tolerance before the series result is judged to have lost its precision. */
const PRECISION = 1e6;

/**
 * ln of the probability that the m most extreme of N samples are at least as extreme as the m
 * smallest of `ps` (CLogProbabilityOfMFromNExtremeSamples::calculate). Expanded as
 * 1 − (1 − p_M)^N plus a series in (1 − p_M/2)^i whose coefficients follow a recurrence; they are
 * kept normalised (largest = 1) with the log scale tracked separately, as ml-cpp does.
 */
export function logProbabilityOfMFromNExtremeSamples(ps: readonly number[], m: number): number {
  const n = ps.length;
  if (n === 0) {
    return 0;
  }
  const mins = [...ps]
    .sort((a, b) => a - b)
    .slice(0, Math.max(1, Math.min(m, n)))
    .map((p) => clamp(p, DBL_MIN, 1));
  const M = mins.length;

  let logc = 0;
  let logLargestCoeff = 0;
  const coeffs: number[] = [];
  for (let k = 1; k < M; k++) {
    const p = mins[M - k];
    logc -= Math.log(2 * (n - M + k));
    let sum = 0;
    // Coefficients are stored in reverse order of their power.
    for (let i = 0; i < coeffs.length; i++) {
      const index = coeffs.length - i;
      coeffs[i] /= index;
      sum += coeffs[i] * powOneMinusX(p / 2, index);
    }
    const q = clamp(powOneMinusX(p, n - M + k), 0, 1);
    coeffs.push(-sum - q * Math.exp(logc - logLargestCoeff));
    let cmax = 0;
    for (const c of coeffs) {
      if (Math.abs(c) > 1 / DBL_MAX) {
        cmax = Math.max(cmax, Math.abs(c));
      }
    }
    if (cmax > 0) {
      for (let i = 0; i < coeffs.length; i++) {
        coeffs[i] /= cmax;
      }
      logLargestCoeff += Math.log(cmax);
    }
  }
  let cmax = 0;
  for (const c of coeffs) {
    cmax = Math.max(cmax, Math.abs(c));
  }
  if (cmax > 0 && cmax < 1 / DBL_MAX) {
    logLargestCoeff = Math.log(cmax);
    for (let i = 0; i < coeffs.length; i++) {
      coeffs[i] /= cmax;
    }
  }

  const pM = mins[0];
  let pMin = oneMinusPowOneMinusX(pM, n);
  let result: number;
  if (M > 1) {
    const logScale = M * Math.LN2 + logGamma(n + 1) - logGamma(n - M + 1) + logLargestCoeff;
    const terms: number[] = [];
    let sum = 0;
    for (let i = 0; i < coeffs.length; i++) {
      const index = coeffs.length - i;
      const term = (coeffs[i] / index) * oneMinusPowOneMinusX(pM / 2, index);
      terms.push(term);
      sum += Math.abs(term);
    }
    if (sum === 0) {
      result = Math.log(pMin);
    } else {
      const logPMin = Math.log(pMin);
      if (logPMin - logScale > LOG_DBL_MAX) {
        let total = 0;
        for (const t of terms) {
          total += Math.abs(t);
        }
        result = Math.log((total * pMin) / sum);
      } else {
        // Add pMin inside the loop, spread over the terms, to limit cancellation.
        let acc = 0;
        let condition = 0;
        if (logPMin - logScale < LOG_DBL_MIN) {
          for (const t of terms) {
            acc += t;
            condition = Math.max(condition, Math.abs(t));
          }
        } else {
          pMin /= Math.exp(logScale);
          for (const t of terms) {
            const share = (Math.abs(t) * pMin) / sum;
            const remainder = share + t;
            acc += remainder;
            condition = Math.max(condition, Math.abs(t), Math.abs(share), Math.abs(remainder));
          }
        }
        result =
          acc <= 0 || condition > PRECISION * acc ? numericalLogProbabilityOfMFromN(mins, n) : logScale + Math.log(acc);
      }
    }
  } else {
    result = Math.log(pMin);
  }
  for (let attempt = 0; attempt < 2 && !(result < 0.001); attempt++) {
    result = numericalLogProbabilityOfMFromN(mins, n);
  }
  if (!(result < 0.001)) {
    result = 0;
  }
  return Math.min(result, 0);
}

/**
 * The same, calibrated as CAnomalyScore uses it (CLogProbabilityOfMFromNExtremeSamples::calibrated):
 * the log probability shrinks systematically with min(m, N), so it is divided by
 * 1 + ln(min(m, N)) / 2.1 (ml-cpp's Monte-Carlo fit).
 */
function calibratedLogProbabilityOfMFromN(ps: readonly number[], m: number): number {
  const result = logProbabilityOfMFromNExtremeSamples(ps, m);
  const k = Math.min(Math.max(1, Math.min(m, ps.length)), ps.length);
  if (k === 0) {
    return result;
  }
  return result / (1 + Math.log(k) / 2.1);
}

/**
 * ln of the extreme probability used by CAnomalyScore::compute (CProbabilityOfExtremeSample): the
 * smallest calibrated m-from-N probability over m ∈ [minExtreme, min(N, maxExtreme)]. With
 * maxExtreme = 1 it is ln(1 − (1 − p_min)^N); 0 for no samples.
 */
export function logExtremeProbability(ps: readonly number[], minExtreme: number, maxExtreme: number): number {
  validate(ps);
  const n = Math.min(ps.length, maxExtreme);
  let result = 0;
  for (let m = clamp(minExtreme, 1, n); m <= n; m++) {
    result = Math.min(result, calibratedLogProbabilityOfMFromN(ps, m));
  }
  return result;
}
