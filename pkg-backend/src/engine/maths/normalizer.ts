// Normalisation of raw anomaly scores to 0–100 against their own history
// (ml-cpp CAnomalyScore::CNormalizer). The history is two bounded q-digests of discretised raw
// scores (all scores, and a finer one of those above the 90th percentile) plus a decaying
// maximum per scope, so memory stays constant however long detection runs.

import { QDigest, type QDigestState, UINT32_MAX, cdfQuantile, cdfQuantileFloor } from './qdigest.ts';
import { inverseAnomalyScore, LARGEST_SIGNIFICANT_PROBABILITY, rawAnomalyScore, SMALL_PROBABILITY } from './score.ts';
import { clamp } from './tools.ts';

/** Elastic's knot points from percentile to normalised score (DEFAULT_NORMALIZED_SCORE_KNOT_POINTS). */
const DEFAULT_KNOT_POINTS: ReadonlyArray<readonly [number, number]> = Object.freeze([
  [0, 0],
  [70, 1],
  [85, 1.2],
  [90, 1.5],
  [95, 3],
  [97, 20],
  [99, 50],
  [99.9, 90],
  [100, 100],
] as const);

/** CAnomalyDetectorModelConfig::STANDARD_BUCKET_LENGTH, seconds. */
export const STANDARD_BUCKET_LENGTH = 1800;
/** CAnomalyDetectorModelConfig::DEFAULT_DECAY_RATE, per standard bucket. */
export const DEFAULT_DECAY_RATE = 0.0005;

export interface NormalizerConfig {
  /** bucket span in seconds (default 1800, ml-cpp's standard bucket) */
  bucketLength?: number;
  /** model decay rate per bucket; default 0.0005 · min(1, bucketLength / 1800) */
  decayRate?: number;
  noisePercentile?: number;
  noiseMultiplier?: number;
  knotPoints?: ReadonlyArray<readonly [number, number]>;
}

interface ResolvedConfig {
  bucketLength: number;
  decayRate: number;
  noisePercentile: number;
  noiseMultiplier: number;
  knotPoints: Array<[number, number]>;
}

interface MaxScore {
  score: number;
  timeSinceLastScore: number;
}

export interface ScoreNormalizerState {
  version: 1;
  config: ResolvedConfig;
  highPercentileScore: number;
  highPercentileCount: number;
  timeToQuantileDecay: number;
  maxScores: Array<[string, MaxScore]>;
  quantiles: QDigestState;
  highQuantiles: QDigestState;
}

/** Raw scores are stored as round(1000 · s) so they fit an integer digest. */
const DISCRETIZATION_FACTOR = 1000;
/** Scores above this percentile also go to the fine-grained high digest. */
const HIGH_PERCENTILE = 90;
/** Quantiles age only once per this many buckets, i.e. much slower than the models. */
const QUANTILE_DECAY_TIME = 20;
/** A scope's maximum is forgotten after this many buckets without a score. */
const FORGET_MAX_SCORE_INTERVAL = 50;
/** A new maximum this much above the old one is a "big change". */
const BIG_CHANGE_FACTOR = 1.1;
/** Size parameter k of both digests. */
const DIGEST_K = 201;
const MAX_NORMALIZED_SCORE = 100;
/** Estimated heap bytes per digest node or maximum, for memoryBytes. */
const NODE_BYTES = 48;
/** Central confidence (%) of the interval on the percentile used by the knot-point cap. */
const CONFIDENCE_INTERVAL = 70;

// C3 interpolates ln p between p = 0.05 (score 5) and p = 1e−4 (score 100): slope and origin.
const C3_SLOPE =
  (rawAnomalyScore(SMALL_PROBABILITY) - rawAnomalyScore(LARGEST_SIGNIFICANT_PROBABILITY)) /
  (Math.log(SMALL_PROBABILITY) - Math.log(LARGEST_SIGNIFICANT_PROBABILITY));
const C3_ORIGIN = Math.log(LARGEST_SIGNIFICANT_PROBABILITY);

function discrete(raw: number): number {
  return Math.min(Math.floor(DISCRETIZATION_FACTOR * raw + 0.5), UINT32_MAX);
}

function resolve(config: NormalizerConfig): ResolvedConfig {
  const bucketLength = config.bucketLength ?? STANDARD_BUCKET_LENGTH;
  if (!(bucketLength > 0)) {
    throw new RangeError(`bucketLength = ${bucketLength}: must be > 0 seconds`);
  }
  const decayRate = config.decayRate ?? DEFAULT_DECAY_RATE * Math.min(1, bucketLength / STANDARD_BUCKET_LENGTH);
  if (!(decayRate >= 0)) {
    throw new RangeError(`decayRate = ${decayRate}: must be ≥ 0`);
  }
  const noisePercentile = config.noisePercentile ?? 50;
  if (!(noisePercentile > 0 && noisePercentile <= 100)) {
    throw new RangeError(`noisePercentile = ${noisePercentile}: must be in (0, 100]`);
  }
  const noiseMultiplier = config.noiseMultiplier ?? 1;
  if (!(noiseMultiplier > 0)) {
    throw new RangeError(`noiseMultiplier = ${noiseMultiplier}: must be > 0`);
  }
  const knotPoints = (config.knotPoints ?? DEFAULT_KNOT_POINTS).map(([x, y]) => [x, y] as [number, number]);
  return { bucketLength, decayRate, noisePercentile, noiseMultiplier, knotPoints };
}

/** Lexicographic std::lower_bound of (x, y) in the knot points. */
function lowerBoundKnot(knots: Array<[number, number]>, x: number, y: number): number {
  let i = 0;
  while (i < knots.length && (knots[i][0] < x || (knots[i][0] === x && knots[i][1] < y))) {
    i++;
  }
  return i;
}

/** Score at percentile `pct` on the knot-point curve (one end of C1). */
function knotScore(knots: Array<[number, number]>, pct: number): number {
  let i = 0;
  while (i < knots.length && knots[i][0] < pct) {
    i++;
  }
  i = Math.max(i, 1);
  if (i >= knots.length) {
    return MAX_NORMALIZED_SCORE;
  }
  const [x0, y0] = knots[i - 1];
  const [x1, y1] = knots[i];
  return y0 + ((y1 - y0) * (pct - x0)) / (x1 - x0);
}

/** The digests' fractions below a score (quantile()), kept apart from the clamp they get. */
interface FractionParts {
  /** Above the 90th percentile the fine digest is read, relative to the share below the percentile. */
  high: boolean;
  lower: number;
  upper: number;
  lowerScale: number;
  upperScale: number;
}

/** CNormalizer::quantile's fractions below a score, given the widened share below the 90th percentile. */
function fractionsBelow(parts: FractionParts, fl: number, fu: number): [number, number] {
  if (!parts.high) {
    return [clamp(parts.lower, 0, fl), clamp(parts.upper, 0, fu)];
  }
  return [fl + ((1 - fl) * parts.lower) / parts.lowerScale, fu + ((1 - fu) * parts.upper) / parts.upperScale];
}

export class ScoreNormalizer {
  private readonly config: ResolvedConfig;
  /** ⌊1000 s⌋ of the approximate 90th percentile raw score */
  private highPercentileScore = UINT32_MAX;
  /** number of scores at or below it */
  private highPercentileCount = 0;
  private timeToQuantileDecay = QUANTILE_DECAY_TIME;
  private readonly maxScores = new Map<string, MaxScore>();
  private quantiles = new QDigest(DIGEST_K);
  private highQuantiles = new QDigest(DIGEST_K);
  /**
   * C0, what C1 reads off the digests, and C1 once computed, by discretised score for the current history:
   * the detector normalises all of a bucket's records between two updates, and these read only the digests
   * and the discretised score.
   */
  private readonly historyCaps = new Map<number, { c0: number; parts: FractionParts; c1: number }>();
  /** The knot curve never falls, so a floor on the percentile is a floor on C1. */
  private readonly monotoneKnots: boolean;
  /** Last inputs and result of the score-independent Beta quantiles of quantile(). */
  private fractionKey: [number, number, number] = [NaN, NaN, NaN];
  private fractionBoundsValue: [number, number] = [NaN, NaN];

  constructor(config: NormalizerConfig = {}) {
    this.config = resolve(config);
    this.monotoneKnots = this.config.knotPoints.every(
      ([x, y], i, knots) => i === 0 || (x >= knots[i - 1][0] && y >= knots[i - 1][1]),
    );
  }

  /** Rough heap bytes: the digests' nodes (a Map entry and a number each) and the fixed fields. */
  get memoryBytes(): number {
    return (this.quantiles.size + this.highQuantiles.size) * NODE_BYTES + this.maxScores.size * NODE_BYTES + 1024;
  }

  /** True once at least one score was added. */
  canNormalize(): boolean {
    return this.quantiles.n > 0;
  }

  /** Decay of the per-scope maxima: the model rate, faster for buckets longer than 1800 s. */
  private get maxScoreDecayRate(): number {
    return this.config.decayRate * Math.max(this.config.bucketLength / STANDARD_BUCKET_LENGTH, 1);
  }

  /** Converts a percentile computed per bucket to one per standard (30 min) bucket. */
  private get bucketNormalizationFactor(): number {
    return Math.min(1, this.config.bucketLength / STANDARD_BUCKET_LENGTH);
  }

  /**
   * Add a raw score to the history (CNormalizer::updateQuantiles). `scope` keys the maximum
   * score (ml-cpp keys it by partition and person; one shared scope for population analysis).
   * Returns true when the scope's maximum grew by more than 10 %.
   */
  update(raw: number, scope = ''): boolean {
    if (!(raw >= 0) || !Number.isFinite(raw)) {
      throw new RangeError(`raw score = ${raw}: must be finite and ≥ 0`);
    }
    this.forgetCaps();
    const max = this.maxScores.get(scope);
    const oldMax = max?.score ?? 0;
    const newMax = Math.max(oldMax, raw);
    if (max) {
      max.score = newMax;
      max.timeSinceLastScore = 0;
    } else {
      this.maxScores.set(scope, { score: newMax, timeSinceLastScore: 0 });
    }
    const bigChange = newMax > BIG_CHANGE_FACTOR * oldMax;

    const score = discrete(raw);
    const n = this.quantiles.n;
    const k = this.quantiles.k;

    // Just before the digest first compresses it still holds every distinct value: seed the high
    // digest with everything above the 90th percentile while that resolution is available.
    if (n + 1 === k) {
      const summary = this.quantiles.summary();
      if (summary.length > 0) {
        const target = Math.floor((HIGH_PERCENTILE / 100) * n + 0.5);
        let i = 1;
        this.highPercentileScore = summary[0][0];
        this.highPercentileCount = summary[0][1];
        for (; i < summary.length; i++) {
          if (summary[i][1] > target) {
            this.highPercentileScore = summary[i - 1][0];
            this.highPercentileCount = summary[i - 1][1];
            break;
          }
        }
        this.highPercentileCount = Math.min(this.highPercentileCount, n);
        for (; i < summary.length; i++) {
          this.highQuantiles.add(summary[i][0], summary[i][1] - summary[i - 1][1]);
        }
      }
    }

    this.quantiles.add(score);
    if (score <= this.highPercentileScore) {
      this.highPercentileCount++;
    } else {
      this.highQuantiles.add(score);
    }

    if (n + 1 > k && (n + 1) % k === 0) {
      this.refreshHighPercentile(n + 1);
    }
    return bigChange;
  }

  /**
   * `times` calls of update(raw, scope): most of a bucket's records score 0, one after another. Only an
   * update that brings the count to a multiple of k seeds or refreshes the high digest or changes the
   * digests' compression; the ones between repeat the first's effect on the maximum and only add counts.
   */
  updateRepeated(raw: number, times: number, scope = ''): void {
    if (!(Number.isInteger(times) && times >= 0)) {
      throw new RangeError(`times = ${times}: must be a non-negative integer`);
    }
    while (times > 0) {
      const k = this.quantiles.k;
      const plain = k - 1 - (this.quantiles.n % k);
      this.update(raw, scope);
      times--;
      const run = Math.min(times, plain - 1);
      if (run <= 0) {
        continue;
      }
      const score = discrete(raw);
      this.quantiles.addRepeated(score, run);
      if (score <= this.highPercentileScore) {
        this.highPercentileCount += run;
      } else {
        this.highQuantiles.addRepeated(score, run);
      }
      times -= run;
    }
  }

  /** Periodically move the 90th percentile cut and re-populate the high digest (updateQuantiles). */
  private refreshHighPercentile(n: number): void {
    const target = Math.floor((HIGH_PERCENTILE / 100) * n + 0.5);
    if (this.highPercentileCount > target) {
      const low = this.quantiles.summary();
      const high = this.highQuantiles.summary();
      let i0 = 0;
      while (i0 < low.length && low[i0][1] < target) {
        i0++;
      }
      i0 = Math.min(i0, low.length - 1);
      let j = 0;
      while (j < high.length && high[j][0] <= low[i0][0]) {
        j++;
      }
      j = Math.min(j, high.length - 1);
      let r = low[i0][1];
      for (let i = i0 + 1; i < low.length && low[i0][1] + this.highQuantiles.n < n; i++) {
        for (; j < high.length && high[j][0] <= low[i][0]; j++) {
          r += high[j][1] - (j === 0 ? 0 : high[j - 1][1]);
        }
        const m = r < low[i][1] ? low[i][1] - r : 0;
        r += m;
        if (m > 0) {
          this.highQuantiles.add(low[i][0], m);
        }
      }
      this.highPercentileScore = low[i0][0];
      this.highPercentileCount = low[i0][1] > n ? n - 1 : low[i0][1];
    } else {
      this.highPercentileScore = this.quantiles.quantile(HIGH_PERCENTILE / 100);
      const [lower] = this.quantiles.cdf(this.highPercentileScore);
      this.highPercentileCount = Math.floor(n * lower + 0.5);
    }
  }

  /**
   * Interval on the fraction of history strictly below `raw`, widened to `confidence` % by the
   * finite-sample Beta posterior (CNormalizer::quantile).
   */
  quantile(raw: number, confidence: number): [number, number] {
    const n = this.quantiles.n;
    const lowerQ = (100 - confidence) / 200;
    const upperQ = (100 + confidence) / 200;
    const [fl, fu] = this.fractionBounds(confidence);
    const [lower, upper] = fractionsBelow(this.fractionParts(discrete(raw)), fl, fu);
    return [cdfQuantile(n, lower, lowerQ), cdfQuantile(n, upper, upperQ)];
  }

  /** The 90th percentile's share of the history, widened to `confidence` %: what quantile() clamps to. */
  private fractionBounds(confidence: number): [number, number] {
    const n = this.quantiles.n;
    const f = this.highPercentileCount / n;
    const key = this.fractionKey;
    if (key[0] !== n || key[1] !== f || key[2] !== confidence) {
      this.fractionKey = [n, f, confidence];
      this.fractionBoundsValue = [
        cdfQuantile(n, f, (100 - confidence) / 200),
        cdfQuantile(n, f, (100 + confidence) / 200),
      ];
    }
    return this.fractionBoundsValue;
  }

  /** What quantile() reads off the digests for a discretised score, before the clamps of fractionsBelow. */
  private fractionParts(score: number): FractionParts {
    if (score <= this.highPercentileScore || this.highQuantiles.n === 0) {
      const [cl, cu] = this.quantiles.cdf(score);
      const [pl, pu] = this.quantiles.pdf(score);
      return { high: false, lower: cl - pu, upper: cu - pl, lowerScale: 1, upperScale: 1 };
    }
    const [cl, cu] = this.highQuantiles.cdf(score);
    const [cutoffL, cutoffU] = this.highQuantiles.cdf(this.highPercentileScore);
    const [pl, pu] = this.highQuantiles.pdf(score);
    return {
      high: true,
      lower: Math.max(cl - cutoffU - pu, 0),
      upper: Math.max(cu - cutoffL - pl, 0),
      lowerScale: Math.max(1 - cutoffU, Number.EPSILON),
      upperScale: Math.max(1 - cutoffL, Number.EPSILON),
    };
  }

  /**
   * Normalised score in [0, 100] of a raw score (CNormalizer::normalize): the minimum of
   * C0 noise cap, C1 percentile knot curve, C2 ratio to the scope's maximum, C3 probability cap.
   * 0 for a raw score of 0 or an empty history.
   */
  normalize(raw: number, scope = ''): number {
    if (!(raw >= 0) || !Number.isFinite(raw)) {
      throw new RangeError(`raw score = ${raw}: must be finite and ≥ 0`);
    }
    if (raw === 0 || !this.canNormalize()) {
      return 0;
    }
    const score = discrete(raw);
    let caps = this.historyCaps.get(score);
    if (!caps) {
      caps = { c0: this.noiseCap(score), parts: this.fractionParts(score), c1: NaN };
      this.historyCaps.set(score, caps);
    }

    // C2: the highest raw score in the scope gets the highest normalised score.
    let c2 = MAX_NORMALIZED_SCORE;
    const max = this.maxScores.get(scope)?.score ?? 0;
    if (max !== 0) {
      const ratio = raw / max;
      c2 = MAX_NORMALIZED_SCORE * Math.min(1.5 * ratio, 0.5 + 0.5 * ratio);
    }

    // C3: moderately small probabilities can't score high however rare they are in history.
    const c3 = MAX_NORMALIZED_SCORE * (0.95 * C3_SLOPE * (Math.log(inverseAnomalyScore(raw)) - C3_ORIGIN) + 0.05);

    const others = Math.min(caps.c0, c2, c3, MAX_NORMALIZED_SCORE);
    if (caps.c1 !== caps.c1) {
      const n = this.quantiles.n;
      const lowerQ = (100 - CONFIDENCE_INTERVAL) / 200;
      const upperQ = (100 + CONFIDENCE_INTERVAL) / 200;
      // C1 costs Beta quantiles as large as the history, and it seldom binds: when a floor on it, from the
      // Beta's mean and variance, already clears the other caps, the minimum is theirs whatever C1 is.
      // Every step from the quantiles to C1 is non-decreasing, so floors all the way give a floor.
      if (this.monotoneKnots) {
        const f = this.highPercentileCount / n;
        const [lowerFloor, upperFloor] = fractionsBelow(
          caps.parts,
          cdfQuantileFloor(n, f, lowerQ),
          cdfQuantileFloor(n, f, upperQ),
        );
        const floor = this.percentileCap(
          cdfQuantileFloor(n, lowerFloor, lowerQ),
          cdfQuantileFloor(n, upperFloor, upperQ),
        );
        if (others < floor - 1e-9) {
          return clamp(others, 0, MAX_NORMALIZED_SCORE);
        }
      }
      const [fl, fu] = this.fractionBounds(CONFIDENCE_INTERVAL);
      const [lower, upper] = fractionsBelow(caps.parts, fl, fu);
      caps.c1 = this.percentileCap(cdfQuantile(n, lower, lowerQ), cdfQuantile(n, upper, upperQ));
    }
    return clamp(Math.min(caps.c0, caps.c1, c2, c3, MAX_NORMALIZED_SCORE), 0, MAX_NORMALIZED_SCORE);
  }

  /**
   * C0: signal strength over the noise (median) score; the second term lifts the cap away when most
   * history is exactly zero, since then the noise level is unknown.
   */
  private noiseCap(score: number): number {
    const { noisePercentile, noiseMultiplier, knotPoints } = this.config;
    const noiseScore = this.quantiles.quantile(noisePercentile / 100);
    const noiseKnot = knotPoints[Math.min(lowerBoundKnot(knotPoints, noisePercentile, 0), knotPoints.length - 1)];
    const signalStrength = ((noiseMultiplier * 10) / DISCRETIZATION_FACTOR) * (score - noiseScore);
    const [l0, u0] = this.quantiles.cdf(0);
    return (
      noiseKnot[1] * Math.max(1 + signalStrength, 0) +
      MAX_NORMALIZED_SCORE * Math.max(2 * Math.min((50 * (l0 + u0)) / noisePercentile, 1) - 1, 0)
    );
  }

  /**
   * C1 from the two ends of the 70 % interval on the fraction below the score: the percentile (per
   * standard bucket) mapped through the knot points, averaged over the two ends.
   */
  private percentileCap(lb: number, ub: number): number {
    const exponent = 1 / this.bucketNormalizationFactor;
    let lowerPct = 100 * Math.pow(lb, exponent);
    let upperPct = 100 * Math.pow(ub, exponent);
    if (lowerPct > upperPct) {
      [lowerPct, upperPct] = [upperPct, lowerPct];
    }
    lowerPct = clamp(lowerPct, 0, 100);
    upperPct = clamp(upperPct, 0, 100);
    const { knotPoints } = this.config;
    return (knotScore(knotPoints, lowerPct) + knotScore(knotPoints, upperPct)) / 2;
  }

  private forgetCaps(): void {
    if (this.historyCaps.size > 0) {
      this.historyCaps.clear();
    }
  }

  /**
   * Age the history by `buckets` buckets (CNormalizer::propagateForwardByTime): maxima decay by
   * e^(−2·d·t) and are forgotten after 50 idle buckets; the digests decay by e^(−d) only once
   * every 20 buckets, so high quantiles stay well estimated.
   */
  age(buckets = 1): void {
    if (!(buckets >= 0)) {
      throw new RangeError(`buckets = ${buckets}: can't age backwards`);
    }
    this.forgetCaps();
    const alpha = Math.exp(-2 * this.maxScoreDecayRate * buckets);
    for (const [scope, max] of this.maxScores) {
      max.timeSinceLastScore += buckets;
      if (max.timeSinceLastScore > FORGET_MAX_SCORE_INTERVAL) {
        this.maxScores.delete(scope);
      } else {
        max.score *= alpha;
      }
    }
    this.timeToQuantileDecay -= buckets;
    if (this.timeToQuantileDecay <= 0) {
      const periods = Math.floor((QUANTILE_DECAY_TIME - this.timeToQuantileDecay) / QUANTILE_DECAY_TIME);
      const n = this.quantiles.n;
      const factor = Math.exp(-this.config.decayRate * periods);
      this.quantiles.age(factor);
      this.highQuantiles.age(factor);
      if (n > 0) {
        this.highPercentileCount = Math.floor((this.quantiles.n / n) * this.highPercentileCount + 0.5);
      }
      this.timeToQuantileDecay += QUANTILE_DECAY_TIME + Math.floor(-this.timeToQuantileDecay / QUANTILE_DECAY_TIME);
    }
  }

  /** Largest raw score seen (decayed) in a scope, or undefined. */
  maxScore(scope = ''): number | undefined {
    return this.maxScores.get(scope)?.score;
  }

  toJSON(): ScoreNormalizerState {
    return {
      version: 1,
      config: { ...this.config, knotPoints: this.config.knotPoints.map(([x, y]) => [x, y]) },
      highPercentileScore: this.highPercentileScore,
      highPercentileCount: this.highPercentileCount,
      timeToQuantileDecay: this.timeToQuantileDecay,
      maxScores: [...this.maxScores].map(([scope, max]) => [scope, { ...max }]),
      quantiles: this.quantiles.toJSON(),
      highQuantiles: this.highQuantiles.toJSON(),
    };
  }

  static fromJSON(state: ScoreNormalizerState): ScoreNormalizer {
    if (!state || state.version !== 1) {
      throw new RangeError(`normalizer state version ${state?.version}: expected 1`);
    }
    const normalizer = new ScoreNormalizer(state.config);
    normalizer.highPercentileScore = state.highPercentileScore;
    normalizer.highPercentileCount = state.highPercentileCount;
    normalizer.timeToQuantileDecay = state.timeToQuantileDecay;
    for (const [scope, max] of state.maxScores) {
      normalizer.maxScores.set(scope, { ...max });
    }
    normalizer.quantiles = QDigest.fromJSON(state.quantiles);
    normalizer.highQuantiles = QDigest.fromJSON(state.highQuantiles);
    return normalizer;
  }
}
