/**
 * AnomalyJob: several detectors and partition fields, results aggregated as ml-cpp's results hierarchy does.
 * (R) numbers are computed from Elastic's code by a faithful replica, checked to 1 %.
 */
import { describe, expect, it } from 'vitest';
import { Detector } from '../../pkg-backend/src/engine/detector.ts';
import {
  AnomalyJob,
  type JobBucketInput,
  type JobBucketResult,
  type JobRecord,
  type JobSpec,
  type JobTuple,
} from '../../pkg-backend/src/engine/job.ts';
import {
  computeScore,
  DETECTORS_AGGREGATION,
  MAX_ANOMALOUS_PROBABILITY,
} from '../../pkg-backend/src/engine/maths/index.ts';
import { MODEL_FIXED_BYTES } from '../../pkg-backend/src/engine/model/memory.ts';
import type { DetectorFunction, RecordResult } from '../../pkg-backend/src/engine/types.ts';
import { Rng } from '../../pkg-backend/src/demo/random.ts';
import { bucket, expectClose, tuple } from './helpers.ts';

const HOUR = 3600;
const SPAN = 300;
const DETECTOR_STYLE = { ...DETECTORS_AGGREGATION, maxAnomalousP: MAX_ANOMALOUS_PROBABILITY };

const at = (index: number, span = SPAN) => bucket(index, span, []).start;
const inPartition = (partition: string | null | undefined, t: JobTuple): JobTuple => ({ ...t, partition });

/**
 * Skewed random tuples in three partitions: "a" from the start, "" (written as null, undefined or "") and
 * "late", which only starts at bucket 60 so its model's history and learning period start there.
 */
function partitionedBuckets(seed: number, n: number, population: boolean): JobTuple[][] {
  const rng = new Rng(seed);
  const out: JobTuple[][] = [];
  for (let b = 0; b < n; b++) {
    const tuples: JobTuple[] = [];
    const partitions: Array<string | null | undefined> = ['a', [null, undefined, ''][b % 3]];
    if (b >= 60) {
      partitions.push('late');
    }
    for (const partition of partitions) {
      const k = 1 + Math.floor(rng.next() * 5);
      for (let j = 0; j < k; j++) {
        const v = Math.floor(Math.pow(rng.next(), 4) * 25);
        const e = population ? `e${Math.floor(rng.next() * 30)}` : null;
        tuples.push(inPartition(partition, tuple(`v${v}`, e, 1 + Math.floor(rng.next() * 4))));
      }
      if (rng.next() < 0.05) {
        const e = population ? `e${Math.floor(rng.next() * 30)}` : null;
        tuples.push(inPartition(partition, tuple(`new${b}`, e)));
      }
    }
    out.push(tuples);
  }
  return out;
}

/** What a record says about its entity, without its scores (normalisers differ between a job and a Detector). */
function facts(r: RecordResult) {
  return {
    time: r.time,
    entity: r.entity,
    by: r.by,
    over: r.over,
    probability: r.probability,
    typical: r.typical,
    actual: r.actual,
    count: r.count,
    causes: r.causes,
    explanation: r.explanation,
  };
}

const byEntity = (a: { entity: string }, b: { entity: string }) =>
  a.entity < b.entity ? -1 : a.entity > b.entity ? 1 : 0;

/**
 * The job's records of one bucket against a reference run's (a Detector, or a job over fewer rows), compared
 * on everything but their raw and normalised scores, which come from different normalisers:
 * - the records with p < 0.035 are the same, since every rule writes all of those;
 * - every reference record is among the job's: Elastic's tree also writes a record within 1.2 × the smallest
 *   p under a written partition or root, which the Detector's rule (bucket p < 0.035) and a run over fewer
 *   rows can only do less often. Returns how many records were compared.
 */
function expectSameRecords(got: readonly RecordResult[], reference: readonly RecordResult[]): number {
  const anomalous = (rs: readonly RecordResult[]) =>
    rs
      .filter((r) => r.probability < MAX_ANOMALOUS_PROBABILITY)
      .map(facts)
      .sort(byEntity);
  expect(anomalous(got)).toEqual(anomalous(reference));
  const gotFacts = got.map(facts);
  for (const r of reference) {
    expect(gotFacts).toContainEqual(facts(r));
  }
  return reference.length;
}

describe('AnomalyJob', () => {
  it('(R) two rare-in-time detectors with leaves 0.0104 and 0.0343 give bucket raw score 0.010322, p 0.008129', () => {
    // Learning curve (d = 0): a new value after 100 buckets of one other value has P ≈ 0.0104, after 30 ≈ 0.0343.
    const job = new AnomalyJob({
      bucketSpanSeconds: HOUR,
      decayRate: 0,
      detectors: [
        { function: 'rare', byField: 'state' },
        { function: 'rare', byField: 'country' },
      ],
    });
    let result: JobBucketResult | undefined;
    for (let b = 0; b <= 100; b++) {
      const first = b < 100 ? [tuple('200')] : [tuple('503')];
      const second = b < 70 ? [] : b < 100 ? [tuple('NL')] : [tuple('KP')];
      result = job.process({ start: at(b, HOUR), detectors: [first, second] });
    }
    const leaves = Object.fromEntries(result!.records.map((r) => [r.detector, r.probability]));
    expectClose(leaves[0], 0.0104);
    expectClose(leaves[1], 0.0343);
    expectClose(result!.rawScore, 0.010322);
    expectClose(result!.probability, 0.008129);
    expect(result!.score).toBeGreaterThan(0);
  });

  it('(R) dilutes one rare value among a bucket of rare in time: record p 0.00806 written, bucket raw 0 and p 0.0854', () => {
    // CEventRateModelTest::testRare with the default decay: 10 buckets {p1, p2}, 40 {p1..p4}, then {p1..p5}.
    const job = new AnomalyJob({ bucketSpanSeconds: HOUR, detectors: [{ function: 'rare', byField: 'process' }] });
    const values = (n: number) => [[...Array(n).keys()].map((i) => tuple(`p${i + 1}`))];
    let b = 0;
    for (let i = 0; i < 10; i++) {
      job.process({ start: at(b++, HOUR), detectors: values(2) });
    }
    for (let i = 0; i < 40; i++) {
      job.process({ start: at(b++, HOUR), detectors: values(4) });
    }
    const result = job.process({ start: at(b++, HOUR), detectors: values(5) });
    expect(result.records.map((r) => r.by)).toEqual(['p5']);
    expectClose(result.records[0].probability, 0.00806);
    expect(result.rawScore).toBe(0);
    expect(result.score).toBe(0);
    expectClose(result.probability, 0.0854);
  });

  it.each<[DetectorFunction, boolean]>([
    ['rare', false],
    ['rare', true],
    ['freq_rare', true],
  ])(
    "gives each partition the records of plain runs over that partition's rows alone (%s, population %s)",
    (fn, population) => {
      // Per bucket and partition, against a Detector and an unpartitioned one-detector job fed only that
      // partition's tuples (see expectSameRecords for what is compared).
      const inputs = partitionedBuckets(11, 400, population);
      const overField = population ? 'ip' : undefined;
      const job = new AnomalyJob({
        bucketSpanSeconds: SPAN,
        detectors: [{ function: fn, byField: 'status', overField, partitionField: 'key' }],
      });
      const plain = ['a', '', 'late'].map((partition) => ({
        partition,
        detector: new Detector({ function: fn, byField: 'status', overField, bucketSpanSeconds: SPAN }),
        job: new AnomalyJob({ bucketSpanSeconds: SPAN, detectors: [{ function: fn, byField: 'status', overField }] }),
      }));
      let compared = 0;
      inputs.forEach((tuples, b) => {
        const result = job.process({ start: at(b), detectors: [tuples] });
        for (const { partition, detector, job: alone } of plain) {
          const own = tuples.filter((t) => (t.partition ?? '') === partition);
          const got = result.records.filter((r) => r.partition === partition);
          expect(got.every((r) => r.partitionField === 'key' && r.detector === 0 && r.function === fn)).toBe(true);
          compared += expectSameRecords(got, detector.process({ start: at(b), tuples: own }).records);
          compared += expectSameRecords(got, alone.process({ start: at(b), detectors: [own] }).records);
        }
      });
      expect(job.modelCount).toBe(3);
      expect(compared).toBeGreaterThan(40);
    },
  );

  it.each<[DetectorFunction, boolean]>([
    ['rare', false],
    ['rare', true],
    ['freq_rare', true],
  ])(
    'gives a single unpartitioned detector the record probabilities of Detector (%s, population %s)',
    (fn, population) => {
      const inputs = partitionedBuckets(5, 300, population);
      const overField = population ? 'ip' : undefined;
      const job = new AnomalyJob({
        bucketSpanSeconds: SPAN,
        detectors: [{ function: fn, byField: 'status', overField }],
      });
      const detector = new Detector({ function: fn, byField: 'status', overField, bucketSpanSeconds: SPAN });
      let compared = 0;
      inputs.forEach((tuples, b) => {
        const got = job.process({ start: at(b), detectors: [tuples] });
        const expected = detector.process({ start: at(b), tuples });
        expect(got.learning).toBe(expected.learning);
        expect(got.eventCount).toBe(expected.eventCount);
        expect(got.records.every((r) => r.partition === null && r.partitionField === null)).toBe(true);
        compared += expectSameRecords(got.records, expected.records);
      });
      expect(job.modelCount).toBe(1);
      expect(compared).toBeGreaterThan(5);
    },
  );

  it('keeps a missing or empty partition value as the partition ""', () => {
    const job = new AnomalyJob({
      bucketSpanSeconds: SPAN,
      detectors: [{ function: 'rare', byField: 'status', partitionField: 'key' }],
    });
    let last: JobBucketResult | undefined;
    for (let b = 0; b < 40; b++) {
      const partition = [null, undefined, ''][b % 3];
      last = job.process({ start: at(b), detectors: [[inPartition(partition, tuple('200', null, 5))]] });
    }
    expect(job.modelCount).toBe(1);
    last = job.process({
      start: at(40),
      detectors: [[inPartition(null, tuple('200')), inPartition('', tuple('503'))]],
    });
    expect(last.records.map((r) => [r.partition, r.by])).toEqual([['', '503']]);
    expect(last.records[0].explanation.firstOccurrence).toBe(true);
    expect(last.partitions.map((p) => [p.partitionField, p.partition])).toEqual([['key', '']]);
  });

  it('combines partitions as people and detectors in detector style', () => {
    // One partition's first occurrence after 100 buckets, another's after 30: leaves ≈ 0.0104 and 0.0343.
    const run = (partitioned: boolean) => {
      const spec: JobSpec = partitioned
        ? {
            bucketSpanSeconds: HOUR,
            decayRate: 0,
            detectors: [{ function: 'rare', byField: 's', partitionField: 'key' }],
          }
        : {
            bucketSpanSeconds: HOUR,
            decayRate: 0,
            detectors: [
              { function: 'rare', byField: 's' },
              { function: 'rare', byField: 't' },
            ],
          };
      const job = new AnomalyJob(spec);
      let result: JobBucketResult | undefined;
      for (let b = 0; b <= 100; b++) {
        const first = [inPartition('k1', tuple(b < 100 ? 'x' : 'new'))];
        const second = b < 70 ? [] : [inPartition('k2', tuple(b < 100 ? 'y' : 'new'))];
        result = job.process({
          start: at(b, HOUR),
          detectors: partitioned ? [[...first, ...second]] : [first, second],
        });
      }
      return result!;
    };
    const partitioned = run(true);
    const ps = partitioned.records.map((r) => r.probability);
    const smallest = Math.min(...ps);
    expect(partitioned.rawScore).toBeCloseTo(computeScore(DETECTOR_STYLE, [1 - (1 - smallest) ** 2]).score, 12);
    expect(partitioned.partitions.map((p) => p.partition).sort()).toEqual(['k1', 'k2']);

    const detectors = run(false);
    expect(detectors.records.map((r) => r.probability).sort()).toEqual([...ps].sort());
    expect(detectors.rawScore).toBeCloseTo(computeScore(DETECTOR_STYLE, ps).score, 12);
    expect(detectors.partitions).toEqual([]);
  });

  it('keeps records, tuples and partitions of several detectors apart', () => {
    const job = new AnomalyJob({
      bucketSpanSeconds: SPAN,
      detectors: [
        { function: 'rare', byField: 'status', partitionField: 'key' },
        { function: 'freq_rare', byField: 'status', overField: 'ip', partitionField: 'key' },
      ],
    });
    const common = (b: number): JobTuple[][] => [
      [inPartition('k1', tuple('200', null, 3))],
      [inPartition('k1', tuple('200', `ip${b % 40}`, 3))],
    ];
    for (let b = 0; b < 200; b++) {
      job.process({ start: at(b), detectors: common(b) });
    }
    const rare = inPartition('k1', tuple('418', 'ip99', 2));
    const result = job.process({
      start: at(200),
      detectors: [
        [inPartition('k1', tuple('200', null, 3)), { ...rare, over: null }],
        [inPartition('k1', tuple('200', 'ip1', 3)), rare],
      ],
    });
    const found = (d: number) => result.records.find((r) => r.detector === d && r.by === '418') as JobRecord;
    expect(found(0).over).toBeNull();
    expect(found(0).tuples).toEqual([{ ...rare, over: null }]);
    expect(found(1).entity).toBe('ip99');
    expect(found(1).tuples).toEqual([rare]);
    expect(result.partitions.map((p) => p.partition)).toEqual(['k1']);
    expect(job.modelCount).toBe(2);
    expect(result.score).toBeGreaterThan(0);
  });

  it('resumes from serialised state with identical results', () => {
    const spec: JobSpec = {
      bucketSpanSeconds: SPAN,
      detectors: [
        { function: 'rare', byField: 'status', partitionField: 'key' },
        { function: 'freq_rare', byField: 'status', overField: 'ip', partitionField: 'key' },
        { function: 'rare', byField: 'status', overField: 'ip' },
      ],
    };
    const rare = partitionedBuckets(3, 300, false);
    const population = partitionedBuckets(4, 300, true);
    const inputs: JobBucketInput[] = rare.map((tuples, b) => ({
      start: at(b),
      detectors: [tuples, population[b], population[b]],
    }));
    const straight = new AnomalyJob(spec);
    const expected = inputs.map((input) => straight.process(input));
    const first = new AnomalyJob(spec);
    const got = inputs.slice(0, 170).map((input) => first.process(input));
    const resumed = AnomalyJob.fromJSON(JSON.parse(JSON.stringify(first.toJSON())));
    got.push(...inputs.slice(170).map((input) => resumed.process(input)));
    expect(got).toEqual(expected);
    expect(resumed.toJSON()).toEqual(JSON.parse(JSON.stringify(straight.toJSON())));
    expect(expected.some((r) => r.records.some((record) => record.score > 0))).toBe(true);
  });

  it('applies the model memory limit to the whole job', () => {
    const limit = Math.floor(2.5 * MODEL_FIXED_BYTES);
    const job = new AnomalyJob({
      bucketSpanSeconds: SPAN,
      modelMemoryLimitBytes: limit,
      detectors: [{ function: 'rare', byField: 'status', partitionField: 'key' }],
    });
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5'];
    job.process({ start: at(0), detectors: [keys.map((k) => inPartition(k, tuple('200')))] });
    // Models are created while the job is below its limit. The third takes it past the limit, so it may not
    // add its own value; the fourth and fifth partition get no model at all.
    expect(job.modelCount).toBe(3);
    expect(job.memoryStatus).toBe('hard_limit');
    expect(job.limitedTuples).toBe(3);
    // A single partition alone is far below the same limit.
    const alone = new Detector({
      function: 'rare',
      byField: 'status',
      bucketSpanSeconds: SPAN,
      modelMemoryLimitBytes: limit,
    });
    alone.process({ start: at(0), tuples: [tuple('200')] });
    expect(alone.memoryStatus).toBe('ok');
    expect(job.memoryBytes).toBeGreaterThan(3 * MODEL_FIXED_BYTES);
  });

  it('refuses inconsistent jobs and buckets, naming what is wrong', () => {
    expect(() => new AnomalyJob({ bucketSpanSeconds: SPAN, detectors: [] })).toThrow(/at least one detector/);
    expect(
      () =>
        new AnomalyJob({
          bucketSpanSeconds: SPAN,
          detectors: [
            { function: 'rare', byField: 's' },
            { function: 'freq_rare', byField: 's' },
          ],
        }),
    ).toThrow(/detectors\[1\] \(freq_rare by s\): freq_rare needs an overField/);
    expect(
      () =>
        new AnomalyJob({
          bucketSpanSeconds: SPAN,
          detectors: [{ function: 'rare', byField: 's', partitionField: 's' }],
        }),
    ).toThrow(/must be different fields/);
    const job = new AnomalyJob({ bucketSpanSeconds: SPAN, detectors: [{ function: 'rare', byField: 's' }] });
    expect(() => job.process({ start: at(0), detectors: [] })).toThrow(/tuples for 0 detectors; the job has 1/);
    job.process({ start: at(5), detectors: [[tuple('a')]] });
    expect(() => job.process({ start: at(5), detectors: [[tuple('a')]] })).toThrow(/not after/);
  });
});
