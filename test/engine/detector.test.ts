import { describe, expect, it } from 'vitest';
import { Detector } from '../../pkg-backend/src/engine/detector.ts';
import type { BucketInput, BucketResult } from '../../pkg-backend/src/engine/types.ts';
import { bucket, tuple } from './helpers.ts';
import { Rng } from '../../pkg-backend/src/demo/random.ts';

const SPAN = 300;

function randomBuckets(seed: number, n: number, population: boolean): BucketInput[] {
  const rng = new Rng(seed);
  const rand = () => rng.next();
  const out: BucketInput[] = [];
  for (let b = 0; b < n; b++) {
    const tuples = [];
    const k = 1 + Math.floor(rand() * 6);
    for (let j = 0; j < k; j++) {
      // Skewed: value 0 is common, high values rare.
      const v = Math.floor(Math.pow(rand(), 4) * 30);
      const e = population ? `e${Math.floor(rand() * 40)}` : null;
      tuples.push(tuple(`v${v}`, e, 1 + Math.floor(rand() * 5)));
    }
    out.push(bucket(b, SPAN, tuples));
  }
  return out;
}

describe('Detector', () => {
  it('refuses a learning period shorter than 20 buckets unless asked explicitly', () => {
    expect(() => new Detector({ function: 'rare', byField: 's', bucketSpanSeconds: SPAN, learningBuckets: 5 })).toThrow(
      /at least 20/,
    );
    expect(() => new Detector({ function: 'freq_rare', byField: 's', bucketSpanSeconds: SPAN })).toThrow(/overField/);
    expect(() => new Detector({ function: 'rare', byField: 's', bucketSpanSeconds: 0 })).toThrow(/positive/);
  });

  it('flags nothing while learning, then flags a first occurrence', () => {
    const d = new Detector({ function: 'rare', byField: 'state', bucketSpanSeconds: SPAN });
    const results: BucketResult[] = [];
    // A first occurrence inside the learning period (bucket 10) must not be flagged.
    for (let b = 0; b < 20; b++) {
      results.push(d.process(bucket(b, SPAN, [tuple('1', null, 10), ...(b === 10 ? [tuple('9')] : [])])));
    }
    expect(results.every((r) => r.learning && r.score === 0 && r.records.length === 0)).toBe(true);
    for (let b = 20; b < 2000; b++) {
      results.push(d.process(bucket(b, SPAN, [tuple('1', null, 10)])));
    }
    expect(results.slice(20).every((r) => !r.learning && r.records.length === 0)).toBe(true);
    const hit = d.process(bucket(2000, SPAN, [tuple('1', null, 10), tuple('7', null, 3)]));
    expect(hit.learning).toBe(false);
    expect(hit.records[0].by).toBe('7');
    expect(hit.records[0].explanation.firstOccurrence).toBe(true);
    expect(hit.records[0].explanation.text).toContain('first occurrence of state 7');
    expect(hit.records[0].score).toBeGreaterThanOrEqual(50);
    expect(hit.score).toBeGreaterThan(0);
    expect(hit.records.some((r) => r.by === '1')).toBe(false);
  });

  it.each([
    ['rare', undefined],
    ['rare', 'over'],
    ['freq_rare', 'over'],
  ] as const)('keeps probabilities in (0, 1] and scores in [0, 100] on random data (%s over %s)', (fn, over) => {
    for (const seed of [1, 2, 3]) {
      const d = new Detector({ function: fn, byField: 'v', overField: over, bucketSpanSeconds: SPAN });
      for (const input of randomBuckets(seed, 400, over !== undefined)) {
        const r = d.process(input);
        expect(r.score).toBeGreaterThanOrEqual(0);
        expect(r.score).toBeLessThanOrEqual(100);
        for (const rec of r.records) {
          expect(rec.probability).toBeGreaterThan(0);
          expect(rec.probability).toBeLessThanOrEqual(1);
          expect(rec.score).toBeGreaterThanOrEqual(0);
          expect(rec.score).toBeLessThanOrEqual(100);
        }
      }
    }
  });

  it("never raises a value's probability when it becomes rarer", () => {
    // Same history, except the value under test was seen in fewer buckets each time.
    let previous = Infinity;
    for (const seen of [40, 20, 10, 5, 2, 0]) {
      const d = new Detector({
        function: 'rare',
        byField: 'v',
        bucketSpanSeconds: SPAN,
        learningBuckets: 0,
        allowShortLearning: true,
      });
      for (let b = 0; b < 60; b++) {
        const tuples = [tuple('common'), tuple(`b${b % 5}`)];
        if (b < seen) {
          tuples.push(tuple('x'));
        }
        d.process(bucket(b, SPAN, tuples));
      }
      const r = d.process(bucket(60, SPAN, [tuple('common'), tuple('x')]));
      const x = r.records.find((rec) => rec.by === 'x');
      const p = x?.probability ?? 1;
      expect(p).toBeLessThanOrEqual(previous);
      previous = p;
    }
    expect(previous).toBeLessThan(0.035);
  });

  it('resumes from serialised state with identical results', () => {
    const inputs = randomBuckets(7, 300, true);
    const spec = { function: 'freq_rare', byField: 'v', overField: 'e', bucketSpanSeconds: SPAN } as const;
    const straight = new Detector(spec);
    const expected = inputs.map((i) => straight.process(i));
    const first = new Detector(spec);
    const got = inputs.slice(0, 150).map((i) => first.process(i));
    const resumed = new Detector(spec, JSON.parse(JSON.stringify(first.toJSON())));
    got.push(...inputs.slice(150).map((i) => resumed.process(i)));
    expect(got).toEqual(expected);
  });

  it('rejects buckets out of time order', () => {
    const d = new Detector({ function: 'rare', byField: 'v', bucketSpanSeconds: SPAN });
    d.process(bucket(5, SPAN, [tuple('a')]));
    expect(() => d.process(bucket(5, SPAN, [tuple('a')]))).toThrow(/not after/);
  });
});
