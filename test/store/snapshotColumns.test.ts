/**
 * Snapshots written from the live models' columns (runtime/jsonColumn.ts): the text is JSON.stringify's of the
 * state, slice boundaries and all, and what it restores scores as the original.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PopulationModel, type PopulationStateV2 } from '../../pkg-backend/src/engine/model/population.ts';
import { RareInTimeModel, type RareInTimeState } from '../../pkg-backend/src/engine/model/rareInTime.ts';
import type { BucketTuple } from '../../pkg-backend/src/engine/types.ts';
import { JsonColumn } from '../../pkg-backend/src/runtime/jsonColumn.ts';
import { encodeSnapshot } from '../../pkg-backend/src/store/state/index.ts';
import { bucket, tuple } from '../engine/helpers.ts';

const SPAN = 300;

describe('snapshot columns', () => {
  it('writes columns a slice at a time as the text JSON.stringify gives for their arrays, and checks each slice', async () => {
    // Readers that give fewer elements than asked, a slice that overshoots by one (whole pairs), an empty column.
    const column = <T>(all: T[], step: number) =>
      new JsonColumn<T>(() => {
        let at = 0;
        return (max) => all.slice(at, (at += Math.min(max, step)));
      });
    const ids = Array.from({ length: 200_003 }, (_, i) => `${i % 5 === 0 ? '🦊' : 'ip'}${i}`);
    const times = Array.from({ length: 150_000 }, (_, i) => 1.7e12 + i * 0.5);
    const state = {
      kind: 'population',
      ids: column(ids, 70_001),
      models: [{ times: column(times, 3) }, column([] as number[], 1)],
      tuples: column([['a', 1, 2] as const, ['b', 3, 4] as const], 1),
      after: 1,
    };
    const json = JSON.stringify(state);
    expect(JSON.parse(json)).toMatchObject({ ids, models: [{ times }, []], after: 1 });
    const encoded = await encodeSnapshot(state, 'columns');
    expect(gunzipSync(encoded.bytes).toString('utf8')).toBe(json);
    times[100_000] = NaN;
    await expect(encodeSnapshot({ times: column(times, 65_536) }, 'job c')).rejects.toThrow(
      'snapshot of job c is not serialisable as JSON: times[100000] is NaN, which JSON cannot hold',
    );
  });
});

describe('snapshots from the live model', () => {
  it('write, slice by slice, the text of toJSON, which restores a model that scores as the original', async () => {
    // 70 000 entities (more than a slice of the snapshot writer), some with several values, pruned and
    // touched again, so that last-seen order is not id order and freed ids are reused.
    const model = new PopulationModel(true, 0.05, SPAN * 1000);
    const pick = (n: number, i: number) => `v${(i * 7919) % n}`;
    for (let b = 0; b < 80; b++) {
      const tuples: BucketTuple[] = [];
      const from = b < 70 ? b * 1000 : 0;
      const count = b === 79 ? 70_000 : 1000;
      for (let i = from; i < from + count; i++) {
        tuples.push(tuple(pick(50, i + b), `e${i}`, 1 + (i % 3)));
        if (i % 4 === 0) {
          tuples.push(tuple(pick(200, i), `e${i}`));
        }
      }
      model.addBucket(bucket(b, SPAN, []).start, tuples);
    }
    const json = JSON.stringify(model.toJSON());
    expect(JSON.stringify(model.snapshotJSON())).toBe(json);
    const encoded = await encodeSnapshot(model.snapshotJSON(), 'population');
    expect(gunzipSync(encoded.bytes).toString('utf8')).toBe(json);
    const state = JSON.parse(json) as PopulationStateV2;
    expect(state.overValues).toHaveLength(70_000);
    expect(state.pairs.length).toBe(2 * model.pairCount);
    const restored = PopulationModel.fromJSON(state);
    const t = bucket(80, SPAN, []).start;
    const next = [tuple('v3', 'e5', 2), tuple('v199', 'e5'), tuple('new', 'e69999'), tuple('v1', 'fresh')];
    expect(restored.addBucket(t, next)).toEqual(model.addBucket(t, next));
    expect(JSON.stringify(restored.toJSON())).toBe(JSON.stringify(model.toJSON()));
  });

  it('of rare in time write the text of toJSON too', async () => {
    const model = new RareInTimeModel(0.01);
    for (let b = 0; b < 3; b++) {
      model.addBucket(
        bucket(b, SPAN, []).start,
        Array.from({ length: 40_000 }, (_, i) => tuple(`k${b * 30_000 + i}`)),
      );
    }
    const json = JSON.stringify(model.toJSON());
    expect((JSON.parse(json) as RareInTimeState).categories).toHaveLength(100_000);
    const encoded = await encodeSnapshot(model.snapshotJSON(), 'rare');
    expect(gunzipSync(encoded.bytes).toString('utf8')).toBe(json);
  });
});
