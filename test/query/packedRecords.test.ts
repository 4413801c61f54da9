/**
 * A run's records packed off the heap: read back exactly as pushed (strings of any kind, every float64), by
 * time range, in push order, and independent of the copies a clone or a snapshot hands out.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../pkg-backend/src/demo/random.ts';
import { Detector } from '../../pkg-backend/src/engine/detector.ts';
import type { BucketTuple, RecordResult } from '../../pkg-backend/src/engine/types.ts';
import { PackedRecords } from '../../pkg-backend/src/query/packedRecords.ts';

/** Every record of [lo, hi), as a snapshot gathers them slice by slice. */
function inRange(packed: PackedRecords, lo: number, hi: number): RecordResult[] {
  return [...packed.slicesInRange(lo, hi)].flat();
}

function record(time: number, entity: string, extra: Partial<RecordResult> = {}): RecordResult {
  return {
    time,
    by: 'state 7',
    over: entity,
    entity,
    probability: 1 / 3,
    rawScore: 12.345678901234567,
    score: 87.5,
    typical: 1 / 3,
    actual: 1,
    count: 2,
    causes: [
      { by: 'state 7', probability: 1 / 3, count: 2 },
      { by: 'state 9', probability: 5e-324, count: 1 },
    ],
    explanation: { firstOccurrence: true, relativeRarity: 1e300, text: `first occurrence of state 7 for ip ${entity}` },
    ...extra,
  };
}

describe('PackedRecords', () => {
  it('gives back every record exactly, in push order, for any time range', () => {
    const packed = new PackedRecords();
    const pushed: RecordResult[] = [];
    for (let i = 0; i < 1000; i++) {
      // Several records per time, as a bucket has; some carry a group id.
      const r = record(1_000 * Math.floor(i / 3), `10.0.${i % 7}.${i}`, i % 5 === 0 ? { groupId: `g-${i}` } : {});
      packed.push(r);
      pushed.push(structuredClone(r));
    }
    expect(packed.length).toBe(1000);
    expect(inRange(packed, -Infinity, Infinity)).toStrictEqual(pushed);
    const lo = 1_000 * 50;
    const hi = 1_000 * 200;
    expect(inRange(packed, lo, hi)).toStrictEqual(pushed.filter((r) => r.time >= lo && r.time < hi));
    expect(inRange(packed, lo + 1, lo + 999)).toStrictEqual([]);
    expect(inRange(packed, hi, lo)).toStrictEqual([]);
    expect(inRange(new PackedRecords(), -Infinity, Infinity)).toStrictEqual([]);
  });

  it('keeps any string and any number exactly, and records of other shapes whole', () => {
    const packed = new PackedRecords();
    const odd = [
      record(1, 'a"b\\c\n\u0000\u2028'),
      record(2, 'Zürich 東京 🦊'),
      // A lone surrogate is not valid UTF-16 text, yet a log value can hold one.
      record(3, '\ud800x\udfff'),
      record(4, 'nan', { rawScore: NaN }),
      record(5, 'inf', { explanation: { firstOccurrence: false, relativeRarity: Infinity, text: 'x' } }),
      record(6, 'negative zero', { typical: -0 }),
      record(7, 'plain', { over: null }),
      record(7, 'over differs', { over: 'another' }),
      record(7, 'wide text', {
        explanation: { firstOccurrence: false, relativeRarity: 2, text: 'état ≥ 2× 東京 \ud83e' },
      }),
      // Shapes the positional form does not know are kept whole.
      { ...record(8, 'extra field'), extra: { nested: [1, 'two'] } } as RecordResult,
      record(9, 'extra cause field', { causes: [{ by: 'b', probability: 0.5, count: 1, note: 'x' } as never] }),
      record(10, 'undefined group', { groupId: undefined }),
      record(11, 'string count', { count: '3' as never }),
    ];
    for (const r of odd) {
      packed.push(r);
    }
    const back = inRange(packed, 0, 100);
    expect(back).toStrictEqual(odd);
    expect(Object.is(back[5].typical, -0)).toBe(true);
    expect(back[3].rawScore).toBeNaN();
    // The odd ones come back as copies too.
    expect(back[3]).not.toBe(odd[3]);
    expect(inRange(packed, 4, 6)).toStrictEqual(odd.slice(3, 5));
    expect(back[6].over).toBeNull();
    // Nor does changing a record after it was pushed reach the run.
    odd[3].score = -1;
    expect(inRange(packed, 4, 5)[0].score).toBe(87.5);
  });

  it("gives back the engine's own records exactly", () => {
    const detector = new Detector({ function: 'freq_rare', byField: 'state', overField: 'ip', bucketSpanSeconds: 300 });
    const packed = new PackedRecords();
    const emitted: RecordResult[] = [];
    const rng = new Rng(7);
    for (let b = 0; b < 600; b++) {
      const tuples: BucketTuple[] = [];
      for (let k = 0; k < 1 + Math.floor(rng.next() * 6); k++) {
        // Skewed, as in the engine's own tests: state 0 common, high states rare.
        const state = `state ${Math.floor(Math.pow(rng.next(), 4) * 30)}`;
        const ip = `10.0.0.${Math.floor(rng.next() * 40)}`;
        tuples.push({ by: state, over: ip, count: 1 + (k % 3), successful: 1, minId: '1', maxId: '2' });
      }
      for (const r of detector.process({ start: b * 300_000, tuples }).records) {
        if (emitted.length % 2 === 0) {
          r.groupId = `group ${b}`;
        }
        packed.push(r);
        emitted.push(structuredClone(r));
      }
    }
    expect(emitted.length).toBeGreaterThanOrEqual(4);
    expect(emitted.some((r) => r.groupId)).toBe(true);
    expect(inRange(packed, -Infinity, Infinity)).toStrictEqual(emitted);
  });

  it('keeps every record exactly past a megabyte, where the buffer grows in place', () => {
    const packed = new PackedRecords();
    const pushed: RecordResult[] = [];
    for (let i = 0; i < 6000; i++) {
      const text = `${i % 2 ? 'état' : '東京'} ${'x'.repeat(200)} ${i}`;
      const r = record(i, `10.1.${i % 250}.${i}`, {
        explanation: { firstOccurrence: i % 3 === 0, relativeRarity: i / 7, text },
      });
      packed.push(r);
      pushed.push(structuredClone(r));
    }
    expect(inRange(packed, -Infinity, Infinity)).toStrictEqual(pushed);
    expect(inRange(packed.clone(), 5990, 6000)).toStrictEqual(pushed.slice(5990));
  });

  it('hands a range out in slices of at most 256 records that together are the range', () => {
    const packed = new PackedRecords();
    for (let i = 0; i < 1000; i++) {
      packed.push(record(i, `10.0.0.${i}`));
    }
    const slices = [...packed.slicesInRange(100, 900)];
    expect(slices.map((s) => s.length)).toStrictEqual([256, 256, 256, 32]);
    expect(slices.flat().map((r) => r.time)).toStrictEqual(Array.from({ length: 800 }, (_, k) => 100 + k));
    expect([...packed.slicesInRange(2000, 3000)]).toStrictEqual([]);
  });

  it('hands out fresh objects, and a clone grows on its own', () => {
    const packed = new PackedRecords();
    packed.push(record(10, 'x'));
    const first = inRange(packed, 0, 100);
    first[0].score = -1;
    first[0].causes.push({ by: 'mutated', probability: 1, count: 1 });
    expect(inRange(packed, 0, 100)).toStrictEqual([record(10, 'x')]);

    const copy = packed.clone();
    copy.push(record(20, 'y'));
    packed.push(record(30, 'z'));
    expect(inRange(copy, 0, 100).map((r) => r.entity)).toStrictEqual(['x', 'y']);
    expect(inRange(packed, 0, 100).map((r) => r.entity)).toStrictEqual(['x', 'z']);
  });

  it('refuses a record older than the last one, since ranges are found by time', () => {
    const packed = new PackedRecords();
    packed.push(record(10, 'x'));
    expect(() => packed.push(record(9, 'y'))).toThrow(/record at 9 pushed after one at 10/);
    expect(packed.length).toBe(1);
  });
});
