// From probabilities to raw anomaly scores (ml-cpp CTools::anomalyScore and CAnomalyScore::compute).

import { logExtremeProbability, logJointProbabilityUpperBound } from './joint.ts';
import { DBL_MIN } from './special.ts';
import { clamp } from './tools.ts';

/** Probabilities at or above this score 0 (maths::LARGEST_SIGNIFICANT_PROBABILITY). */
export const LARGEST_SIGNIFICANT_PROBABILITY = 0.05;
/** Score 1 boundary (maths::SMALL_PROBABILITY). */
export const SMALL_PROBABILITY = 1e-4;
/** Score 50 boundary (maths::MINUSCULE_PROBABILITY). */
export const MINUSCULE_PROBABILITY = 1e-50;
/** Elastic's default maximum anomalous probability (CAnomalyDetectorModelConfig). */
export const MAX_ANOMALOUS_PROBABILITY = 0.035;

const SMALL_PROBABILITY_SCORE = 1;
const MINUSCULE_PROBABILITY_SCORE = 50;
const MAX_SCORE = 100;
const INV_LARGEST = 1 / LARGEST_SIGNIFICANT_PROBABILITY;
const INV_SMALL = 1 / SMALL_PROBABILITY;
const MINUS_LOG_SMALL = -Math.log(SMALL_PROBABILITY);
const MINUS_LOG_MINUSCULE = -Math.log(MINUSCULE_PROBABILITY);
const MINUS_LOG_SMALLEST = -Math.log(DBL_MIN);

/**
 * Raw score S(p) ∈ [0, 100] (CTools::anomalyScore): 0 for p ≥ 0.05, linear in 1/p up to 1 at
 * p = 1e−4, linear in −ln p up to 50 at 1e−50 and up to 100 at DBL_MIN (p is floored there).
 */
export function rawAnomalyScore(p: number): number {
  const q = Math.max(p, DBL_MIN);
  if (!(q < LARGEST_SIGNIFICANT_PROBABILITY)) {
    return 0;
  }
  if (q >= SMALL_PROBABILITY) {
    return (SMALL_PROBABILITY_SCORE * (1 / q - INV_LARGEST)) / (INV_SMALL - INV_LARGEST);
  }
  if (q >= MINUSCULE_PROBABILITY) {
    return (
      SMALL_PROBABILITY_SCORE +
      ((MINUSCULE_PROBABILITY_SCORE - SMALL_PROBABILITY_SCORE) * (-Math.log(q) - MINUS_LOG_SMALL)) /
        (MINUS_LOG_MINUSCULE - MINUS_LOG_SMALL)
    );
  }
  return (
    MINUSCULE_PROBABILITY_SCORE +
    ((MAX_SCORE - MINUSCULE_PROBABILITY_SCORE) * (-Math.log(q) - MINUS_LOG_MINUSCULE)) /
      (MINUS_LOG_SMALLEST - MINUS_LOG_MINUSCULE)
  );
}

/**
 * Inverse of rawAnomalyScore on (0, 100] (CTools::inverseAnomalyScore). A score of 0 maps to the
 * midpoint of [0.05, 1], 0.525, as ml-cpp does.
 */
export function inverseAnomalyScore(score: number): number {
  const s = clamp(score, 0, MAX_SCORE);
  if (s === 0) {
    return (1 + LARGEST_SIGNIFICANT_PROBABILITY) / 2;
  }
  if (s <= SMALL_PROBABILITY_SCORE) {
    return 1 / (INV_LARGEST + ((INV_SMALL - INV_LARGEST) * s) / SMALL_PROBABILITY_SCORE);
  }
  if (s <= MINUSCULE_PROBABILITY_SCORE) {
    return Math.exp(
      -(
        MINUS_LOG_SMALL +
        ((MINUS_LOG_MINUSCULE - MINUS_LOG_SMALL) * (s - SMALL_PROBABILITY_SCORE)) /
          (MINUSCULE_PROBABILITY_SCORE - SMALL_PROBABILITY_SCORE)
      ),
    );
  }
  return Math.exp(
    -(
      MINUS_LOG_MINUSCULE +
      ((MINUS_LOG_SMALLEST - MINUS_LOG_MINUSCULE) * (s - MINUSCULE_PROBABILITY_SCORE)) /
        (MAX_SCORE - MINUSCULE_PROBABILITY_SCORE)
    ),
  );
}

/** How a level of the results hierarchy combines probabilities (model_t aggregation params). */
export interface AggregationStyle {
  jointWeight: number;
  extremeWeight: number;
  minExtreme: number;
  maxExtreme: number;
}

export interface ScoreConfig extends AggregationStyle {
  maxAnomalousP: number;
}

/** CAnomalyDetectorModelConfig::DEFAULT_AGGREGATION_STYLE_PARAMS, row E_AggregatePeople. */
export const PEOPLE_AGGREGATION: Readonly<AggregationStyle> = Object.freeze({
  jointWeight: 0,
  extremeWeight: 1,
  minExtreme: 1,
  maxExtreme: 1,
});
/** Row E_AggregateAttributes. */
export const ATTRIBUTES_AGGREGATION: Readonly<AggregationStyle> = Object.freeze({
  jointWeight: 0.5,
  extremeWeight: 0.5,
  minExtreme: 1,
  maxExtreme: 5,
});
/** Row E_AggregateDetectors. */
export const DETECTORS_AGGREGATION: Readonly<AggregationStyle> = Object.freeze({
  jointWeight: 0.5,
  extremeWeight: 0.5,
  minExtreme: 1,
  maxExtreme: 1,
});

export interface ScoreResult {
  /** raw (unnormalised) anomaly score */
  score: number;
  /** the aggregate probability that goes with it */
  probability: number;
}

/** Share of the raw score range used by probabilities down to DBL_MIN (ml-cpp's 0.8). */
const NORMAL_RANGE_SCORE_FRACTION = 0.8;
const LOG_SMALLEST_PROBABILITY = Math.log(DBL_MIN);
const SMALLEST_PROBABILITY_DEVIATION = rawAnomalyScore(DBL_MIN);
const SMALLEST_LOG_JOINT_PROBABILITY = -100_000;
const SMALLEST_LOG_EXTREME_PROBABILITY = -1500;

/** The 0.8 share of S(p), extended past DBL_MIN by interpolating ln p up to `smallestLog`. */
function partialScore(logP: number, weight: number, smallestLog: number): number {
  if (logP < LOG_SMALLEST_PROBABILITY) {
    const t = Math.min((logP - LOG_SMALLEST_PROBABILITY) / (smallestLog - LOG_SMALLEST_PROBABILITY), 1);
    return (
      (NORMAL_RANGE_SCORE_FRACTION + (1 - NORMAL_RANGE_SCORE_FRACTION) * t) * weight * SMALLEST_PROBABILITY_DEVIATION
    );
  }
  return NORMAL_RANGE_SCORE_FRACTION * weight * rawAnomalyScore(Math.exp(logP));
}

/**
 * Raw score of a set of probabilities (CAnomalyScore::compute): P_J is the upper bound of the χ²
 * joint, P_E the calibrated extreme probability minimised over m ∈ [minExtreme, maxExtreme].
 * Score 0 when both exceed maxAnomalousP, else 0.8·(w_j·S(P_J) + w_e·S(P_E)) with the range
 * stretched beyond DBL_MIN. Probabilities outside [0, 1] are ignored, as ml-cpp does.
 */
export function computeScore(config: ScoreConfig, ps: readonly number[]): ScoreResult {
  const { jointWeight, extremeWeight, minExtreme, maxExtreme, maxAnomalousP } = config;
  let logPJoint: number;
  let logPExtreme: number;
  if (ps.length === 1 && maxExtreme >= 1) {
    if (!(ps[0] >= 0 && ps[0] <= 1)) {
      return { score: 0, probability: 1 };
    }
    logPJoint = logOfOne(ps[0]);
    logPExtreme = logPJoint;
  } else {
    const valid = ps.filter((p) => p >= 0 && p <= 1);
    if (valid.length === 0) {
      return { score: 0, probability: 1 };
    }
    logPJoint = logJointProbabilityUpperBound(valid);
    logPExtreme = logExtremeProbability(valid, Math.min(minExtreme, maxExtreme), maxExtreme);
  }

  const logMax = Math.log(maxAnomalousP);
  if (logPJoint > logMax && logPExtreme > logMax) {
    return { score: 0, probability: Math.exp(jointWeight * logPJoint) * Math.exp(extremeWeight * logPExtreme) };
  }
  const score = scoreOfLogs(jointWeight, extremeWeight, logPJoint, logPExtreme);
  // Invert the score where S is one-to-one; otherwise fall back to the weighted geometric mean.
  const probability =
    score > 0
      ? inverseAnomalyScore(Math.min(score / NORMAL_RANGE_SCORE_FRACTION, SMALLEST_PROBABILITY_DEVIATION))
      : Math.exp(jointWeight * logPJoint) * Math.exp(extremeWeight * logPExtreme);
  return { score, probability };
}

/**
 * computeScore(config, [p]).score without its arrays: the detector scores one probability per record and
 * per bucket, many thousands a second.
 */
export function scoreOfProbability(config: ScoreConfig, p: number): number {
  if (!(p >= 0 && p <= 1) || !(config.maxExtreme >= 1)) {
    return computeScore(config, [p]).score;
  }
  const logP = logOfOne(p);
  if (logP > Math.log(config.maxAnomalousP)) {
    return 0;
  }
  return scoreOfLogs(config.jointWeight, config.extremeWeight, logP, logP);
}

/**
 * For one probability both the joint's upper bound and the 1-from-1 extreme probability are
 * min(ln max(p, DBL_MIN), 0): what the general path computes, to the bit, without its series.
 */
function logOfOne(p: number): number {
  return Math.min(Math.log(p < DBL_MIN ? DBL_MIN : p), 0);
}

function scoreOfLogs(jointWeight: number, extremeWeight: number, logPJoint: number, logPExtreme: number): number {
  return (
    partialScore(logPJoint, jointWeight, SMALLEST_LOG_JOINT_PROBABILITY) +
    partialScore(logPExtreme, extremeWeight, SMALLEST_LOG_EXTREME_PROBABILITY)
  );
}
