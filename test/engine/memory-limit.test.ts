/**
 * Elastic's model_memory_limit with hard_limit behaviour: past the limit nothing new is modelled (new over
 * entities, by values, pairs), what is already known keeps being scored, and the status says so.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_MEMORY_LIMIT_BYTES } from '../../common/limits.ts';
import { Detector } from '../../pkg-backend/src/engine/detector.ts';
import { PopulationModel } from '../../pkg-backend/src/engine/model/population.ts';
import { RareInTimeModel } from '../../pkg-backend/src/engine/model/rareInTime.ts';
import { MODEL_FIXED_BYTES } from '../../pkg-backend/src/engine/model/memory.ts';
import type { BucketInput, BucketTuple, DetectorSpec } from '../../pkg-backend/src/engine/types.ts';
import { bucket, tuple } from './helpers.ts';

const SPAN = 300;
const name = (prefix: string, i: number) => `${prefix}${String(i).padStart(4, '0')}`;

/** Bytes a fresh population model reports after holding `n` entities that each used one common value. */
function bytesFor(n: number): number {
  const model = new PopulationModel(false, 0, SPAN * 1000);
  model.addBucket(
    bucket(0, SPAN, []).start,
    Array.from({ length: n }, (_, i) => tuple('200', name('e', i))),
  );
  return model.memoryBytes;
}

describe('model memory limit', () => {
  it('stops adding over entities at the limit and keeps scoring the known ones', () => {
    const model = new PopulationModel(false, 0, SPAN * 1000);
    model.limitBytes = bytesFor(10);
    const first = model.addBucket(
      bucket(0, SPAN, []).start,
      Array.from({ length: 25 }, (_, i) => tuple('200', name('e', i))),
    );
    expect(first.map((o) => o.entity)).toEqual(Array.from({ length: 10 }, (_, i) => name('e', i)));
    expect(model.limitedTuples).toBe(15);
    expect(model.memoryBytes).toBe(model.limitBytes);

    // Known entities still come through, with values they already used; a new value or pair does not.
    const next = model.addBucket(bucket(1, SPAN, []).start, [
      tuple('200', name('e', 3)),
      tuple('404', name('e', 3)),
      tuple('200', name('e', 40)),
      tuple('200', name('e', 7)),
    ]);
    expect(next.map((o) => [o.entity, o.causes.map((c) => c.by)])).toEqual([
      [name('e', 3), ['200']],
      [name('e', 7), ['200']],
    ]);
    expect(model.limitedTuples).toBe(17);
    expect(model.pairCount).toBe(10);
  });

  it('admits new entities again once pruning has made room', () => {
    const decay = 0.5; // window of 8 buckets
    const model = new PopulationModel(false, decay, SPAN * 1000);
    model.limitBytes = bytesFor(10);
    model.addBucket(
      bucket(0, SPAN, []).start,
      Array.from({ length: 10 }, (_, i) => tuple('200', name('a', i))),
    );
    expect(model.addBucket(bucket(1, SPAN, []).start, [tuple('200', name('b', 0))])).toEqual([]);
    // Pruning runs every 64 buckets with data; until then only the one known entity that keeps coming is seen.
    let admitted: string[] = [];
    for (let b = 2; b < 70 && admitted.length === 0; b++) {
      const seen = model.addBucket(bucket(b, SPAN, []).start, [tuple('200', name('a', 0)), tuple('200', name('b', 1))]);
      admitted = seen.map((o) => o.entity).filter((e) => e.startsWith('b'));
    }
    expect(admitted).toEqual([name('b', 1)]);
    expect(model.pairCount).toBe(2);
  });

  it('stops adding by values of rare in time at the limit', () => {
    const probe = new RareInTimeModel(0);
    probe.addBucket(
      bucket(0, SPAN, []).start,
      Array.from({ length: 5 }, (_, i) => tuple(name('v', i))),
    );
    const model = new RareInTimeModel(0);
    model.limitBytes = probe.memoryBytes;
    const seen = model.addBucket(
      bucket(0, SPAN, []).start,
      Array.from({ length: 8 }, (_, i) => tuple(name('v', i))),
    );
    expect(seen.map((o) => o.entity)).toEqual(Array.from({ length: 5 }, (_, i) => name('v', i)));
    const next = model.addBucket(bucket(1, SPAN, []).start, [tuple(name('v', 6)), tuple(name('v', 2))]);
    expect(next.map((o) => o.entity)).toEqual([name('v', 2)]);
    expect(model.limitedTuples).toBe(4);
  });

  it('reports ok, soft_limit from 90 % and hard_limit at the limit', () => {
    // Large enough that the model's fixed share does not already make up 90 % of it.
    const limit = bytesFor(2000);
    const statusAfter = (entities: number) => {
      const d = new Detector({
        function: 'rare',
        byField: 'status',
        overField: 'ip',
        bucketSpanSeconds: SPAN,
        modelMemoryLimitBytes: limit,
      });
      d.process(
        bucket(
          0,
          SPAN,
          Array.from({ length: entities }, (_, i) => tuple('200', name('e', i))),
        ),
      );
      return [d.memoryStatus, d.limitedTuples];
    };
    expect(statusAfter(1)).toEqual(['ok', 0]);
    expect(statusAfter(1900)).toEqual(['soft_limit', 0]);
    expect(statusAfter(2000)).toEqual(['hard_limit', 0]);
    expect(statusAfter(2100)).toEqual(['hard_limit', 100]);
  });

  it('defaults to DEFAULT_MODEL_MEMORY_LIMIT_BYTES and refuses a limit that is not positive', () => {
    const d = new Detector({ function: 'rare', byField: 'status', bucketSpanSeconds: SPAN });
    expect(d.resolved.modelMemoryLimitBytes).toBe(DEFAULT_MODEL_MEMORY_LIMIT_BYTES);
    expect(d.memoryStatus).toBe('ok');
    expect(d.memoryBytes).toBeGreaterThan(0);
    expect(
      () => new Detector({ function: 'rare', byField: 'status', bucketSpanSeconds: SPAN, modelMemoryLimitBytes: 0 }),
    ).toThrow(/modelMemoryLimitBytes must be a positive number of bytes, got 0/);
  });

  it.each([
    ['rare', undefined],
    ['freq_rare', 'ip'],
  ] as const)('refuses the same tuples after a round trip through JSON (%s)', (fn, over) => {
    const spec: DetectorSpec = {
      function: fn,
      byField: 'v',
      overField: over,
      bucketSpanSeconds: SPAN,
      learningBuckets: 0,
      allowShortLearning: true,
      modelMemoryLimitBytes: over ? bytesFor(30) : MODEL_FIXED_BYTES + 1500,
    };
    const inputs: BucketInput[] = [];
    for (let b = 0; b < 120; b++) {
      const tuples: BucketTuple[] = [];
      for (let i = 0; i < 6; i++) {
        const k = (b * 7 + i * 13) % (20 + b);
        tuples.push(tuple(over ? `s${k % 4}` : name('v', k), over ? name('e', k) : null, 1 + (k % 3)));
      }
      inputs.push(bucket(b, SPAN, tuples));
    }
    const straight = new Detector(spec);
    const expected = inputs.map((i) => straight.process(i));
    expect(straight.limitedTuples).toBeGreaterThan(0);
    let resumed = new Detector(spec);
    const got = inputs.map((input, i) => {
      if (i % 25 === 24) {
        resumed = new Detector(spec, JSON.parse(JSON.stringify(resumed.toJSON())));
      }
      return resumed.process(input);
    });
    expect(got).toEqual(expected);
    expect(resumed.limitedTuples).toBe(straight.limitedTuples);
    expect(resumed.memoryStatus).toBe(straight.memoryStatus);
  });
});
