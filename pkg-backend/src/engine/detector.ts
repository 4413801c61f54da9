/**
 * One rare / freq_rare detector over a stream of buckets: the category model gives probabilities, which
 * become raw scores (CAnomalyScore::compute with Elastic's aggregation styles) and then 0–100 scores through
 * separate normalisers for buckets and records. Nothing is scored while the model is still learning.
 * The whole state serialises to JSON so detection can resume where it stopped.
 */
import type { JobMemoryStatus } from '../../../common/resources.ts';
import {
  DETECTORS_AGGREGATION,
  MAX_ANOMALOUS_PROBABILITY,
  PEOPLE_AGGREGATION,
  scoreOfProbability,
  ScoreNormalizer,
} from './maths/index.ts';
import { isLearning, RECORD_PROBABILITY_SLACK, resolveSpec, type ResolvedSpec } from './model/config.ts';
import { createModel, type ModelState, restoreModel } from './model/factory.ts';
import { growFloat64, memoryStatus } from './model/memory.ts';
import type { CategoryModel } from './model/observation.ts';
import { recordOf } from './record.ts';
import type { BucketInput, BucketResult, DetectorSpec, RecordResult } from './types.ts';

/** People style {w_j 0, w_e 1, m 1..1}: a record's score is that of its own probability. */
const RECORD_STYLE = { ...PEOPLE_AGGREGATION, maxAnomalousP: MAX_ANOMALOUS_PROBABILITY };
/** Detector style {0.5, 0.5, 1, 1}. */
const BUCKET_STYLE = { ...DETECTORS_AGGREGATION, maxAnomalousP: MAX_ANOMALOUS_PROBABILITY };

export interface DetectorState {
  version: 1;
  spec: DetectorSpec;
  firstBucket: number | null;
  lastBucket: number | null;
  buckets: number;
  model: ModelState;
  bucketNormalizer: unknown;
  recordNormalizer: unknown;
}

/** DetectorState as a snapshot is written from: the same JSON text, the model's arrays as columns. */
export type DetectorSnapshot = Omit<DetectorState, 'model'> & { model: unknown };

export class Detector {
  readonly resolved: ResolvedSpec;
  private readonly model: CategoryModel;
  private readonly bucketNormalizer: ScoreNormalizer;
  private readonly recordNormalizer: ScoreNormalizer;
  private firstBucket: number | null = null;
  private lastBucket: number | null = null;
  private buckets = 0;
  /** Probability and raw record score of each observation of the bucket being processed. */
  private observedP = new Float64Array(0);
  private recordRaw = new Float64Array(0);

  constructor(
    readonly spec: DetectorSpec,
    state?: DetectorState,
  ) {
    this.resolved = resolveSpec(spec);
    if (state) {
      this.model = restoreModel(state.model);
      this.bucketNormalizer = ScoreNormalizer.fromJSON(state.bucketNormalizer as never);
      this.recordNormalizer = ScoreNormalizer.fromJSON(state.recordNormalizer as never);
      this.firstBucket = state.firstBucket;
      this.lastBucket = state.lastBucket;
      this.buckets = state.buckets;
    } else {
      this.model = createModel(this.resolved);
      const normalizerConfig = { bucketLength: spec.bucketSpanSeconds, decayRate: this.resolved.decayRate };
      this.bucketNormalizer = new ScoreNormalizer(normalizerConfig);
      this.recordNormalizer = new ScoreNormalizer(normalizerConfig);
    }
    this.model.limitBytes = this.resolved.modelMemoryLimitBytes;
  }

  /** Estimated bytes of the detector's state: the model's dictionaries and arrays plus the normalisers. */
  get memoryBytes(): number {
    return this.model.memoryBytes + this.bucketNormalizer.memoryBytes + this.recordNormalizer.memoryBytes;
  }

  /**
   * Elastic's memory status of the model against modelMemoryLimitBytes: hard_limit while it is at the limit
   * (new entities are not modelled), soft_limit from 90 % of it. Pruning can bring it back down.
   */
  get memoryStatus(): JobMemoryStatus {
    return memoryStatus(this.model.memoryBytes, this.resolved.modelMemoryLimitBytes);
  }

  /** Tuples not modelled because the model was at its memory limit, since the detector was created (kept in its state). */
  get limitedTuples(): number {
    return this.model.limitedTuples;
  }

  /** Start of the first bucket with data, or null before any. */
  get firstDataBucket(): number | null {
    return this.firstBucket;
  }

  /** True while `time` is inside the learning period that follows the first bucket with data. */
  isLearning(time: number): boolean {
    return isLearning(this.firstBucket, time, this.resolved);
  }

  /** Buckets must arrive in strictly increasing time order. */
  process(bucket: BucketInput): BucketResult {
    if (this.lastBucket !== null && bucket.start <= this.lastBucket) {
      throw new Error(`bucket ${new Date(bucket.start).toISOString()} is not after the last one processed`);
    }
    let eventCount = 0;
    for (const t of bucket.tuples) {
      eventCount += t.count;
    }
    if (bucket.tuples.length > 0) {
      if (this.firstBucket === null) {
        this.firstBucket = bucket.start;
      }
      this.lastBucket = bucket.start;
      this.buckets++;
    }
    const n = this.model.observe(bucket.start, bucket.tuples);
    const learning = this.isLearning(bucket.start);
    if (!learning && n > 0) {
      // The normalisers' history ages once per scored bucket, as ml-cpp's does.
      this.bucketNormalizer.age(1);
      this.recordNormalizer.age(1);
    }
    if (learning || n === 0) {
      return { time: bucket.start, rawScore: 0, score: 0, learning, eventCount, records: [] };
    }

    const observedP = (this.observedP = growFloat64(this.observedP, n));
    const recordRaw = (this.recordRaw = growFloat64(this.recordRaw, n));
    // Records combine extreme-only (people style); the bucket then scores that probability (detector style).
    let minP = 1;
    for (let i = 0; i < n; i++) {
      const p = (observedP[i] = this.model.probability(i));
      recordRaw[i] = scoreOfProbability(RECORD_STYLE, p);
      if (p < minP) {
        minP = p;
      }
    }
    const bucketP = extremeOfMany(minP, n);
    const bucketRaw = scoreOfProbability(BUCKET_STYLE, bucketP);

    this.bucketNormalizer.update(bucketRaw);
    // Runs of equal scores (mostly 0, the records that are not anomalous) go to the history in one call.
    for (let i = 0; i < n;) {
      const raw = recordRaw[i];
      let j = i + 1;
      while (j < n && recordRaw[j] === raw) {
        j++;
      }
      this.recordNormalizer.updateRepeated(raw, j - i);
      i = j;
    }
    const bucketWritten = bucketP < MAX_ANOMALOUS_PROBABILITY;

    const records: RecordResult[] = [];
    for (let i = 0; i < n; i++) {
      const p = observedP[i];
      const written = p < MAX_ANOMALOUS_PROBABILITY || (bucketWritten && p <= RECORD_PROBABILITY_SLACK * minP);
      if (written) {
        const raw = recordRaw[i];
        const score = raw > 0 ? this.recordNormalizer.normalize(raw) : 0;
        records.push(recordOf(bucket.start, this.model.observation(i), raw, score, this.resolved));
      }
    }
    records.sort((a, b) => b.score - a.score || a.probability - b.probability);
    return {
      time: bucket.start,
      rawScore: bucketRaw,
      score: bucketRaw > 0 ? this.bucketNormalizer.normalize(bucketRaw) : 0,
      learning,
      eventCount,
      records,
    };
  }

  toJSON(): DetectorState {
    return { ...this.snapshotJSON(), model: this.model.toJSON() as ModelState };
  }

  /**
   * The state toJSON gives, with the model's long arrays as columns read from the live model as a snapshot is
   * written (runtime/jsonColumn.ts): to be written before the detector is fed again.
   */
  snapshotJSON(): DetectorSnapshot {
    return {
      version: 1,
      spec: this.spec,
      firstBucket: this.firstBucket,
      lastBucket: this.lastBucket,
      buckets: this.buckets,
      model: this.model.snapshotJSON(),
      bucketNormalizer: this.bucketNormalizer.toJSON(),
      recordNormalizer: this.recordNormalizer.toJSON(),
    };
  }
}

/** P that the smallest of n independent probabilities is at most p: 1 − (1 − p)^n, computed without cancellation. */
function extremeOfMany(p: number, n: number): number {
  if (n <= 1) {
    return p;
  }
  return -Math.expm1(n * Math.log1p(-Math.min(p, 1 - 1e-16)));
}
