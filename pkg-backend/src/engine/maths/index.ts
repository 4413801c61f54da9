// Public API of the pure maths layer (ml-cpp lib/maths counterpart); see README.md.

export {
  DBL_MIN,
  betaQuantile,
  logBeta,
  logGamma,
  logRegularizedGammaQ,
  normalCdf,
  normalCdfComplement,
  normalQuantile,
  regularizedBeta,
  regularizedGammaP,
  regularizedGammaQ,
} from './special.ts';
export { betaSliceMeans, numberPriorSamples, smoothedTailProbabilities, tailProbabilities } from './multinomial.ts';
export {
  calibratedLogProbabilityOfMFromN,
  extremeProbability,
  jointProbability,
  logExtremeProbability,
  logJointProbability,
  logJointProbabilityUpperBound,
  logProbabilityOfMFromNExtremeSamples,
} from './joint.ts';
export {
  ATTRIBUTES_AGGREGATION,
  DETECTORS_AGGREGATION,
  LARGEST_SIGNIFICANT_PROBABILITY,
  MAX_ANOMALOUS_PROBABILITY,
  MINUSCULE_PROBABILITY,
  PEOPLE_AGGREGATION,
  SMALL_PROBABILITY,
  computeScore,
  inverseAnomalyScore,
  rawAnomalyScore,
  type AggregationStyle,
  type ScoreConfig,
  type ScoreResult,
} from './score.ts';
export {
  DEFAULT_DECAY_RATE,
  DEFAULT_KNOT_POINTS,
  STANDARD_BUCKET_LENGTH,
  ScoreNormalizer,
  type NormalizerConfig,
  type ScoreNormalizerState,
} from './normalizer.ts';
export { QDigest, cdfQuantile, type QDigestState } from './qdigest.ts';
export { logOneMinusX, oneMinusPowOneMinusX, powOneMinusX } from './tools.ts';
