/**
 * Snapshots written from the live models' columns (runtime/jsonColumn.ts): the text is JSON.stringify's of the
 * state, slice boundaries and all; read back with columns (snapshotDecoder.ts) it is what JSON.parse reads, and
 * what it restores scores as the original.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MODEL_COLUMNS } from '../../pkg-backend/src/engine/model/factory.ts';
import {
  PopulationModel,
  type PopulationStateV2,
  type ReadPopulationStateV2,
} from '../../pkg-backend/src/engine/model/population.ts';
import { RareInTimeModel, type RareInTimeState } from '../../pkg-backend/src/engine/model/rareInTime.ts';
import type { BucketTuple } from '../../pkg-backend/src/engine/types.ts';
import { JsonColumn, NameColumn } from '../../pkg-backend/src/runtime/jsonColumn.ts';
import { decodeSnapshot, encodeSnapshot } from '../../pkg-backend/src/store/state/index.ts';
import { bucket, tuple } from '../engine/helpers.ts';

const SPAN = 300;

describe('snapshot columns', () => {
  it('writes columns a slice at a time as the text JSON.stringify gives for their arrays, and checks each slice', async () => {
    // Readers that give fewer elements than asked, slices across the writer's 65 536, an empty column.
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

describe('snapshots read back as columns', () => {
  const columns = { names: ['names'], numbers: ['times'] };
  /** The columns of a decoded state as the arrays JSON.parse gives. */
  const plain = (value: unknown): unknown => {
    if (value instanceof NameColumn) {
      return Array.from({ length: value.length }, (_, i) => value.name(i));
    }
    if (value instanceof Float64Array) {
      return [...value];
    }
    if (Array.isArray(value)) {
      return value.map(plain);
    }
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    }
    return value;
  };

  it('read every value as JSON.parse does, the columns as names and numbers', async () => {
    const names = ['10.0.0.1', '', 'é', '🦊', 'tab\there', 'quote " and \\', '\u0000', 'x'.repeat(70_000), 'ascii'];
    const times = [0, -0, 1.7e12, 1767225600000, -42, 0.1, 1e-300, 2 ** 60, 123456789012345678, 5e-324, 1.5e300];
    const state = {
      kind: 'population',
      names,
      times,
      nested: [{ names: ['a', 'b'], times: [1, 2], other: [1, 'x', null] }, { deep: { times: [3] } }, 7],
      // Keys of a column whose array is not of its kind are read as JSON.parse reads them.
      mixed: { names: ['a', 1], times: [1, null, 'x'], empty: { names: [], times: [] } },
      notArrays: { names: 'text', times: 5 },
      ['__proto__']: { polluted: true },
      text: 'names: [1, 2] inside a string, "times":[3]',
      unicode: '\ud800 lone and 🦊',
    };
    const encoded = await encodeSnapshot(JSON.parse(JSON.stringify(state)), 'x');
    const json = gunzipSync(encoded.bytes).toString('utf8');
    const read = (await decodeSnapshot(encoded.bytes, 'x', { columns })) as Record<string, unknown>;
    expect(read.names).toBeInstanceOf(NameColumn);
    expect(read.times).toBeInstanceOf(Float64Array);
    expect(((read.nested as unknown[])[0] as { times: unknown }).times).toBeInstanceOf(Float64Array);
    expect((read.mixed as { names: unknown }).names).toEqual(['a', 1]);
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
    expect(plain(read)).toEqual(JSON.parse(json));
    expect(JSON.stringify(plain(read))).toBe(json);
    await expect(decodeSnapshot(encoded.bytes.subarray(0, 40), 'job t', { columns })).rejects.toThrow(
      /snapshot of job t is damaged/,
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
    // Read back as JSON.parse reads it and as columns: both restore the model that was written.
    const read = (await decodeSnapshot(encoded.bytes, 'population', {
      columns: MODEL_COLUMNS,
      jsonBytes: encoded.jsonBytes,
    })) as ReadPopulationStateV2;
    expect(read.overValues).toBeInstanceOf(NameColumn);
    expect(read.pairs).toBeInstanceOf(Float64Array);
    const restored = PopulationModel.fromJSON(state);
    const fromColumns = PopulationModel.fromJSON(read);
    expect(JSON.stringify(fromColumns.toJSON())).toBe(json);
    const t = bucket(80, SPAN, []).start;
    const next = [tuple('v3', 'e5', 2), tuple('v199', 'e5'), tuple('new', 'e69999'), tuple('v1', 'fresh')];
    const expected = model.addBucket(t, next);
    expect(restored.addBucket(t, next)).toEqual(expected);
    expect(fromColumns.addBucket(t, next)).toEqual(expected);
    expect(JSON.stringify(restored.toJSON())).toBe(JSON.stringify(model.toJSON()));
    expect(JSON.stringify(fromColumns.toJSON())).toBe(JSON.stringify(model.toJSON()));
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
