/** Engine throughput on generated tuples (no I/O): how many aggregate tuples per second each detector eats. */
import { Detector } from '../pkg-backend/src/engine/detector.ts';
import { smoothedTailProbabilities, tailProbabilities } from '../pkg-backend/src/engine/maths/index.ts';
import type { BucketInput, DetectorSpec } from '../pkg-backend/src/engine/types.ts';
import { Rng } from '../pkg-backend/src/demo/random.ts';

/** Buckets shaped like the demo's freq_rare by state over ip: a few hundred IPs, a handful of states. */
export function generateBuckets(
  buckets: number,
  tuplesPerBucket: number,
  population: boolean,
  seed = 1,
): BucketInput[] {
  const rng = new Rng(seed);
  const rand = () => rng.next();
  const out: BucketInput[] = [];
  let id = 1n;
  for (let b = 0; b < buckets; b++) {
    const tuples = [];
    for (let i = 0; i < tuplesPerBucket; i++) {
      const by = population
        ? String(rand() < 0.96 ? 1 : 2 + Math.floor(rand() * 3))
        : `v${Math.floor(Math.pow(rand(), 3) * 500)}`;
      const over = population ? `10.${Math.floor(rand() * 4)}.${Math.floor(rand() * 200)}.0` : null;
      const count = 1 + Math.floor(rand() * 5);
      tuples.push({ by, over, count, successful: count, minId: id, maxId: id + BigInt(count - 1) });
      id += BigInt(count);
    }
    out.push({ start: Date.UTC(2026, 0, 1) + b * 300_000, tuples });
  }
  return out;
}

export function benchEngine(
  spec: DetectorSpec,
  inputs: BucketInput[],
): { tuples: number; seconds: number; perSecond: number } {
  const detector = new Detector(spec);
  let tuples = 0;
  const t0 = process.hrtime.bigint();
  for (const input of inputs) {
    detector.process(input);
    tuples += input.tuples.length;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { tuples, seconds, perSecond: tuples / seconds };
}

/**
 * Elastic's smoothed tail probabilities over many categories against the raw tail sums of the same counts
 * (the baseline): what the smoothing's Beta slice means cost per bucket of a high-cardinality by field.
 */
export function benchSmoothing(categories: number, repeats = 5): { raw: number; smoothed: number } {
  const counts = Array.from({ length: categories }, (_, i) => 1 + (i % 997) * 0.37);
  const time = (fn: () => unknown) => {
    const samples: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = process.hrtime.bigint();
      fn();
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return samples.sort((a, b) => a - b)[Math.floor(repeats / 2)];
  };
  return { raw: time(() => tailProbabilities(counts)), smoothed: time(() => smoothedTailProbabilities(counts)) };
}
