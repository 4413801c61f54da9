// Public API of the pure maths layer (ml-cpp lib/maths counterpart): what the models and the detector use; see
// README.md. The functions these are built from are tested through their own modules.

export { SmoothedTailCurve, smoothedTailProbabilities, tailProbabilities } from './multinomial.ts';
export { jointProbability } from './joint.ts';
export {
  ATTRIBUTES_AGGREGATION,
  DETECTORS_AGGREGATION,
  MAX_ANOMALOUS_PROBABILITY,
  PEOPLE_AGGREGATION,
  computeScore,
  inverseAnomalyScore,
  rawAnomalyScore,
  scoreOfProbability,
  type ScoreConfig,
} from './score.ts';
export { DBL_MIN } from './special.ts';
export { DEFAULT_DECAY_RATE, STANDARD_BUCKET_LENGTH, ScoreNormalizer } from './normalizer.ts';
