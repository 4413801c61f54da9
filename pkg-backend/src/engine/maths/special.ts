// Special functions the probability calculations rest on. ml-cpp takes these from boost::math
// (lgamma, gamma_p/gamma_q, ibeta, beta quantile, normal quantile); we implement them here with
// enough precision (≈1e-14 relative) that the golden numbers asserted by Elastic's tests hold.

/** Smallest positive normal double (DBL_MIN): ml-cpp's CTools::smallestProbability(). */
export const DBL_MIN = 2.2250738585072014e-308;

const EPS = 2.220446049250313e-16;
const FPMIN = 1e-300;
const LN_SQRT_2PI = 0.9189385332046728;
const SQRT_2PI = 2.5066282746310002;

// Lanczos approximation (g = 7, n = 9): ≈1e-15 relative over the positive reals.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) {
    return x === 0 ? Infinity : NaN;
  }
  if (x < 0.5) {
    // Reflection keeps the Lanczos sum in its accurate range.
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  if (x > 1e7) {
    // Stirling's series; the Lanczos sum loses nothing here but this avoids huge intermediates.
    return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + 1 / (12 * x) - 1 / (360 * x * x * x);
  }
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) {
    sum += LANCZOS[i] / (z + i);
  }
  const t = z + LANCZOS_G + 0.5;
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** log of the prefactor x^a e^-x / Γ(a) shared by the series and the continued fraction. */
function logGammaPrefactor(a: number, x: number): number {
  return a * Math.log(x) - x - logGamma(a);
}

/** Series for P(a, x) / prefactor, convergent and accurate for x < a + 1. */
function gammaSeries(a: number, x: number): number {
  let ap = a;
  let sum = 1 / a;
  let del = sum;
  for (let n = 0; n < 10_000; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * EPS) {
      break;
    }
  }
  return sum;
}

/** Modified Lentz continued fraction for Q(a, x) / prefactor, accurate for x ≥ a + 1. */
function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FPMIN) {
      d = FPMIN;
    }
    c = b + an / c;
    if (Math.abs(c) < FPMIN) {
      c = FPMIN;
    }
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) {
      break;
    }
  }
  return h;
}

/** Upper regularised incomplete gamma Q(a, x) = Γ(a, x) / Γ(a) (boost::math::gamma_q). */
export function regularizedGammaQ(a: number, x: number): number {
  return Math.exp(logRegularizedGammaQ(a, x));
}

/**
 * ln Q(a, x), computed without forming Q so it stays accurate when Q underflows (the χ² joint
 * probability of many tiny probabilities): the continued fraction is evaluated in log space.
 */
export function logRegularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || Number.isNaN(x)) {
    return NaN;
  }
  if (x <= 0) {
    return 0;
  }
  if (x === Infinity) {
    return -Infinity;
  }
  if (x < a + 1) {
    const p = Math.exp(logGammaPrefactor(a, x)) * gammaSeries(a, x);
    return p >= 1 ? -Infinity : Math.log1p(-p);
  }
  return logGammaPrefactor(a, x) + Math.log(gammaContinuedFraction(a, x));
}

/** Continued fraction for the incomplete beta (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < FPMIN) {
    d = FPMIN;
  }
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) {
      d = FPMIN;
    }
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) {
      c = FPMIN;
    }
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) {
      d = FPMIN;
    }
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) {
      c = FPMIN;
    }
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) {
      break;
    }
  }
  return h;
}

export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** Regularised incomplete beta I_x(a, b), i.e. the Beta(a, b) c.d.f. at x (boost::math::ibeta). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0) || Number.isNaN(x)) {
    return NaN;
  }
  return regularizedBetaOf(x, a, b, logBeta(a, b));
}

/** I_x(a, b) for valid a, b with ln B(a, b) already computed, as betaQuantile's iterations reuse it. */
function regularizedBetaOf(x: number, a: number, b: number, lnBeta: number): number {
  if (x <= 0) {
    return 0;
  }
  if (x >= 1) {
    return 1;
  }
  return regularizedBetaInside(x, a, b, a * Math.log(x) + b * Math.log1p(-x) - lnBeta);
}

/** I_x(a, b) for x in (0, 1), given ln(x^a (1 − x)^b / B(a, b)). */
function regularizedBetaInside(x: number, a: number, b: number, logFront: number): number {
  // The continued fraction converges fast on the side of the mean where x lies.
  if (x < (a + 1) / (a + b + 2)) {
    return Math.min(1, (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a);
  }
  return Math.max(0, 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b);
}

/**
 * Φ⁻¹ of the last few probabilities betaQuantile started from: callers ask for the same few p over and over.
 * Sixteen entries, as betaSliceMeans asks for i/7, i/5 and i/3 (twelve values) in turn: a smaller ring would
 * evict each before its next use.
 */
const startCache = { p: new Array<number>(16).fill(NaN), z: new Array<number>(16).fill(NaN), next: 0 };

function startQuantile(p: number): number {
  const { p: ps, z } = startCache;
  for (let i = 0; i < ps.length; i++) {
    if (ps[i] === p) {
      return z[i];
    }
  }
  const i = startCache.next;
  startCache.next = (i + 1) % ps.length;
  ps[i] = p;
  z[i] = normalQuantile(p);
  return z[i];
}

/** A Halley step at most this small relative to x is the last one betaQuantileOf needs. */
const HALLEY_LAST_STEP = 1e-9;

/**
 * Where betaQuantileOf starts. For a, b > 1 the approximation of Abramowitz & Stegun 26.5.22 (as Numerical
 * Recipes' invbetai uses), within a few parts in a thousand even for the skewed Beta of a rare category;
 * otherwise the normal approximation of the Beta. Clamped into the open interval.
 */
function startBetaQuantile(p: number, a: number, b: number): number {
  const mean = a / (a + b);
  let x: number;
  if (a > 1 && b > 1) {
    // The upper-tail normal deviate of p: the Beta's lower quantile p grows with it.
    const z = -startQuantile(p);
    const lambda = (z * z - 3) / 6;
    const h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1));
    const w = (z * Math.sqrt(h + lambda)) / h - (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (lambda + 5 / 6 - 2 / (3 * h));
    x = a / (a + b * Math.exp(2 * w));
  } else {
    const sd = Math.sqrt((a * b) / ((a + b) * (a + b) * (a + b + 1)));
    x = mean + sd * startQuantile(p);
  }
  return x > 0 && x < 1 ? x : mean;
}

/**
 * Quantile of Beta(a, b): the x with I_x(a, b) = p (boost::math::quantile(beta_distribution)).
 * Halley steps from an approximate start, safeguarded by bisection on a shrinking bracket.
 */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0) || !(p >= 0 && p <= 1)) {
    return NaN;
  }
  return betaQuantileOf(p, a, b, logBeta(a, b));
}

/** betaQuantile for valid a, b with ln B(a, b) already computed, as a caller asking for several quantiles has. */
export function betaQuantileOf(p: number, a: number, b: number, lnBeta: number): number {
  if (!(a > 0) || !(b > 0) || !(p >= 0 && p <= 1)) {
    return NaN;
  }
  if (p === 0) {
    return 0;
  }
  if (p === 1) {
    return 1;
  }
  let lo = 0;
  let hi = 1;
  let x = startBetaQuantile(p, a, b);
  for (let i = 0; i < 200; i++) {
    // x stays inside (0, 1), where I_x and the density share ln x and ln(1 − x).
    const lnX = Math.log(x);
    const ln1mX = Math.log1p(-x);
    const f = regularizedBetaInside(x, a, b, a * lnX + b * ln1mX - lnBeta) - p;
    if (f === 0) {
      return x;
    }
    if (f < 0) {
      lo = x;
    } else {
      hi = x;
    }
    const dens = Math.exp((a - 1) * lnX + (b - 1) * ln1mX - lnBeta);
    // Halley's step: the density's own derivative, dens · ((a − 1)/x − (b − 1)/(1 − x)), comes for free
    // and makes the convergence cubic. Far from the root the correction can shrink the step to nothing,
    // which would pass for convergence, so it is only taken while it changes the Newton step by less than
    // a factor of two.
    const newton = f / dens;
    const halley = 1 - 0.5 * newton * ((a - 1) / x - (b - 1) / (1 - x));
    const cubic = halley > 0.5 && halley < 2;
    let next = dens > 0 && Number.isFinite(dens) ? x - (cubic ? newton / halley : newton) : NaN;
    if (!(next > lo && next < hi)) {
      next = 0.5 * (lo + hi);
    } else if (cubic && Math.abs(next - x) <= HALLEY_LAST_STEP * Math.min(x, 1 - x)) {
      // The error left after a cubic step of relative size s (relative to the nearer end of the interval, which
      // is what I_x is sensitive to) is of order s³: far below what I_x resolves,
      // so the steps that follow would only chase the rounding of the continued fraction.
      return next;
    }
    if (Math.abs(next - x) <= 1e-15 * Math.max(x, 1e-300) || hi - lo <= 1e-16 * hi) {
      return next;
    }
    x = next;
  }
  return x;
}

/** Standard normal c.d.f. Φ(z), accurate in relative terms in both tails (via Q(1/2, z²/2) = erfc). */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) {
    return NaN;
  }
  if (z === -Infinity) {
    return 0;
  }
  if (z === Infinity) {
    return 1;
  }
  const tail = 0.5 * regularizedGammaQ(0.5, 0.5 * z * z);
  return z < 0 ? tail : 1 - tail;
}

// Acklam's rational approximation of Φ⁻¹ (relative error < 1.15e-9), refined below.
const ACK_A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
];
const ACK_B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const ACK_C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const ACK_D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

function acklam(p: number): number {
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((ACK_C[0] * q + ACK_C[1]) * q + ACK_C[2]) * q + ACK_C[3]) * q + ACK_C[4]) * q + ACK_C[5]) /
      ((((ACK_D[0] * q + ACK_D[1]) * q + ACK_D[2]) * q + ACK_D[3]) * q + 1)
    );
  }
  if (p <= 1 - P_LOW) {
    const q = p - 0.5;
    const r = q * q;
    return (
      ((((((ACK_A[0] * r + ACK_A[1]) * r + ACK_A[2]) * r + ACK_A[3]) * r + ACK_A[4]) * r + ACK_A[5]) * q) /
      (((((ACK_B[0] * r + ACK_B[1]) * r + ACK_B[2]) * r + ACK_B[3]) * r + ACK_B[4]) * r + 1)
    );
  }
  return -acklam(1 - p);
}

/**
 * Φ⁻¹(p): Acklam's approximation plus Halley refinement against the accurate Φ, so the far lower
 * tail (p down to DBL_MIN, which the χ² aggregation feeds it) keeps full relative precision.
 * The upper half is obtained by symmetry from the lower one, where 1 − p loses nothing.
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) {
    return NaN;
  }
  if (p === 0) {
    return -Infinity;
  }
  if (p === 1) {
    return Infinity;
  }
  if (p > 0.5) {
    return -normalQuantile(1 - p);
  }
  let x = acklam(p);
  for (let i = 0; i < 3; i++) {
    const e = normalCdf(x) - p;
    const u = e * SQRT_2PI * Math.exp(0.5 * x * x);
    const step = u / (1 + 0.5 * x * u);
    x -= step;
    if (Math.abs(step) <= 1e-15 * Math.abs(x)) {
      break;
    }
  }
  return x;
}
