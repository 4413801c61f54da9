import { describe, expect, it } from 'vitest';
import { GroupTracker, groupId } from '../../pkg-backend/src/engine/groups.ts';
import type { BucketResult, BucketTuple, RecordResult } from '../../pkg-backend/src/engine/types.ts';

const SPAN_MS = 300_000;
const T0 = Date.UTC(2026, 0, 1);

function rec(entity: string, score: number, time: number): RecordResult {
  return {
    time,
    by: entity,
    over: null,
    entity,
    probability: 0.001,
    rawScore: 1,
    score,
    typical: 0.001,
    actual: 1,
    count: 1,
    causes: [],
    explanation: { firstOccurrence: false, relativeRarity: 3, text: `explain ${entity} ${score}` },
  };
}

function t(by: string, count: number, successful: number, minId: bigint, maxId: bigint): BucketTuple {
  return { by, over: null, count, successful, minId, maxId };
}

function step(g: GroupTracker, i: number, tuples: BucketTuple[], records: Array<[string, number]>) {
  const time = T0 + i * SPAN_MS;
  const result: BucketResult = {
    time,
    rawScore: 0,
    score: 0,
    learning: false,
    eventCount: 0,
    records: records.map(([e, s]) => rec(e, s, time)),
  };
  return g.process({ start: time, tuples }, result);
}

describe('GroupTracker (Cryptolens anomaly groups)', () => {
  it('joins consecutive anomalous buckets of one entity and reports ids, counts and bounds', () => {
    const g = new GroupTracker({ detectorKey: 'k', bucketSpanMs: SPAN_MS, threshold: 25, population: false });
    step(g, 0, [t('a', 5, 5, 1n, 5n)], []);
    const ids1 = step(
      g,
      1,
      [t('a', 2, 0, 10n, 12n), t('b', 1, 1, 11n, 11n)],
      [
        ['a', 60],
        ['b', 10],
      ],
    );
    const ids2 = step(g, 2, [t('a', 3, 1, 20n, 30n)], [['a', 80]]);
    step(g, 3, [t('a', 1, 1, 40n, 40n)], [['a', 5]]);
    const groups = g.groups();
    expect(groups).toHaveLength(1);
    const [grp] = groups;
    expect(ids1.get('a')).toBe(grp.id);
    expect(ids2.get('a')).toBe(grp.id);
    expect(ids1.has('b')).toBe(false);
    expect(grp).toMatchObject({
      entity: 'a',
      start: T0 + SPAN_MS,
      end: T0 + 3 * SPAN_MS,
      startingAt: 10n,
      endingAt: 30n,
      maxScore: 80,
      requests: 5,
      successful: 1,
      unsuccessful: 4,
      explanation: 'explain a 80',
      open: false,
    });
    expect(grp.id).toBe(groupId('k', 'a', T0 + SPAN_MS));
  });

  it('starts a new group after a gap, and leaves the last one open', () => {
    const g = new GroupTracker({ detectorKey: 'k', bucketSpanMs: SPAN_MS, threshold: 25, population: false });
    step(g, 0, [t('a', 1, 1, 1n, 1n)], [['a', 30]]);
    step(g, 2, [t('a', 1, 1, 2n, 2n)], [['a', 30]]); // bucket 1 had no data at all: still a gap
    const groups = g.groups();
    expect(groups.map((x) => [x.start, x.open])).toEqual([
      [T0, false],
      [T0 + 2 * SPAN_MS, true],
    ]);
    expect(new Set(groups.map((x) => x.id)).size).toBe(2);
  });

  it('groups population records by the over value', () => {
    const g = new GroupTracker({ detectorKey: 'k', bucketSpanMs: SPAN_MS, threshold: 25, population: true });
    const time = T0;
    const r = rec('ip1', 90, time);
    r.over = 'ip1';
    r.by = '4';
    g.process(
      {
        start: time,
        tuples: [
          { by: '4', over: 'ip1', count: 7, successful: 0, minId: 3n, maxId: 9n },
          { by: '1', over: 'ip1', count: 1, successful: 1, minId: 2n, maxId: 2n },
          { by: '1', over: 'ip2', count: 4, successful: 4, minId: 1n, maxId: 8n },
        ],
      },
      { time, rawScore: 1, score: 1, learning: false, eventCount: 12, records: [r] },
    );
    expect(g.groups()[0]).toMatchObject({
      entity: 'ip1',
      requests: 8,
      successful: 1,
      unsuccessful: 7,
      startingAt: 2n,
      endingAt: 9n,
    });
  });

  it('gives the same id for the same detector, entity and start, and different ones otherwise', () => {
    expect(groupId('k', 'a', 1)).toBe(groupId('k', 'a', 1));
    expect(new Set([groupId('k', 'a', 1), groupId('k', 'a', 2), groupId('k', 'b', 1), groupId('j', 'a', 1)]).size).toBe(
      4,
    );
    expect(groupId('k', 'a', 1)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('GroupTracker state', () => {
  it('round-trips through JSON, bigint ids included, and continues identically', () => {
    const a = new GroupTracker({ detectorKey: 'k', bucketSpanMs: SPAN_MS, threshold: 25, population: false });
    step(a, 0, [t('x', 2, 1, 9007199254740993n, 9007199254740999n)], [['x', 60]]);
    const b = GroupTracker.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    for (const g of [a, b]) {
      step(g, 1, [t('x', 1, 1, 9007199254741000n, 9007199254741000n)], [['x', 70]]);
    }
    expect(b.groups()).toEqual(a.groups());
    expect(b.groups()[0].endingAt).toBe(9007199254741000n);
  });
});
