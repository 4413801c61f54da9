/** frames.ts decoded back with apache-arrow: exact types Grafana accepts, metadata, nulls, empty frames. */
import { describe, expect, it } from 'vitest';
import { tableFromIPC, Type } from 'apache-arrow';
import { encodeFrame, encodeFrames, FrameEncodingError, type Field } from '../../pkg-backend/src/plugin/frames.ts';

const REJECTED = [Type.Dictionary, Type.Date, Type.LargeUtf8, Type.Null, Type.List, Type.Struct];

function decode(fields: Field[], extra: Partial<Parameters<typeof encodeFrame>[0]> = {}) {
  const bytes = encodeFrame({ fields, ...extra });
  expect(Buffer.from(bytes.subarray(0, 6)).toString('latin1')).toBe('ARROW1');
  expect(Buffer.from(bytes.subarray(bytes.length - 6)).toString('latin1')).toBe('ARROW1');
  const table = tableFromIPC(bytes);
  for (const f of table.schema.fields) {
    expect(REJECTED).not.toContain(f.typeId);
  }
  return table;
}

describe('encodeFrame', () => {
  it('maps every field type to the Arrow type Grafana reads', () => {
    const t = decode([
      { name: 'time', type: 'time', values: [new Date(1_700_000_000_123)] },
      { name: 'n', type: 'number', values: [1.5] },
      { name: 's', type: 'string', values: ['x'] },
      { name: 'b', type: 'boolean', values: [true] },
      { name: 'i', type: 'int64', values: [42] },
      { name: 'j', type: 'json', values: [{ a: [1] }] },
    ]);
    const types = Object.fromEntries(t.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toEqual({
      time: 'Timestamp<NANOSECOND>',
      n: 'Float64',
      s: 'Utf8',
      b: 'Bool',
      i: 'Int64',
      j: 'Binary',
    });
    expect(t.schema.fields.find((f) => f.name === 'time')!.type.timezone ?? null).toBeNull();
    const row = t.get(0)!;
    expect(t.getChild('time')!.data[0].values[0]).toBe(1_700_000_000_123_000_000n);
    expect(row.n).toBe(1.5);
    expect(row.s).toBe('x');
    expect(row.b).toBe(true);
    expect(row.i).toBe(42n);
    expect(new TextDecoder().decode(row.j as Uint8Array)).toBe('{"a":[1]}');
  });

  it('accepts epoch ms, bigint ns and ISO strings for time; keeps sub-ms precision', () => {
    const t = decode([{ name: 'time', type: 'time', values: [1_000.5, 5n, '1970-01-01T00:00:01Z'] }]);
    expect([...t.getChild('time')!.data[0].values]).toEqual([1_000_500_000n, 5n, 1_000_000_000n]);
  });

  it('writes schema metadata name/refId/meta and field metadata labels/config', () => {
    const t = decode(
      [
        {
          name: 'v',
          type: 'number',
          values: [1],
          labels: { by: 'ip' },
          config: { unit: 'percent', displayNameFromDS: 'Score' },
        },
        { name: 'w', type: 'number', values: [2], labels: {} },
      ],
      {
        name: 'scores',
        refId: 'A',
        meta: { type: 'timeseries-multi', typeVersion: [0, 1], executedQueryString: 'select 1' },
      },
    );
    expect(t.schema.metadata.get('name')).toBe('scores');
    expect(t.schema.metadata.get('refId')).toBe('A');
    expect(JSON.parse(t.schema.metadata.get('meta')!)).toMatchObject({ type: 'timeseries-multi', typeVersion: [0, 1] });
    const [v, w] = t.schema.fields;
    expect(JSON.parse(v.metadata.get('labels')!)).toEqual({ by: 'ip' });
    expect(JSON.parse(v.metadata.get('config')!)).toEqual({ unit: 'percent', displayNameFromDS: 'Score' });
    expect(w.metadata.has('labels')).toBe(false);
    expect(w.metadata.has('config')).toBe(false);
  });

  it('empty frames keep their declared types (never Null)', () => {
    const t = decode(
      (['time', 'number', 'string', 'boolean', 'int64', 'json'] as const).map((type) => ({
        name: type,
        type,
        values: [],
      })),
      { name: 'empty' },
    );
    expect(t.numRows).toBe(0);
    expect(t.schema.fields.map((f) => String(f.type))).toEqual([
      'Timestamp<NANOSECOND>',
      'Float64',
      'Utf8',
      'Bool',
      'Int64',
      'Binary',
    ]);
    expect(t.schema.metadata.has('meta')).toBe(false);
  });

  it('a frame with no fields encodes', () => {
    const t = decode([]);
    expect(t.numCols).toBe(0);
  });

  it('nulls: all-null columns keep their type, nullable is honest', () => {
    const t = decode([
      { name: 's', type: 'string', values: [null, undefined] },
      { name: 'n', type: 'number', values: [null, 2] },
      { name: 'i', type: 'int64', values: [3n, null] },
      { name: 't', type: 'time', values: [null, 0] },
      { name: 'b', type: 'boolean', values: [null, false] },
      { name: 'j', type: 'json', values: [null, 1] },
      { name: 'k', type: 'number', values: [1, 2] },
      { name: 'd', type: 'number', values: [1, 2], nullable: true },
    ]);
    expect(t.schema.fields.map((f) => [String(f.type), f.nullable])).toEqual([
      ['Utf8', true],
      ['Float64', true],
      ['Int64', true],
      ['Timestamp<NANOSECOND>', true],
      ['Bool', true],
      ['Binary', true],
      ['Float64', false],
      ['Float64', true],
    ]);
    expect(t.getChild('s')!.toArray()).toEqual([null, null]);
    expect(t.get(0)!.toJSON()).toMatchObject({ s: null, n: null, i: 3n, t: null, b: null, j: null });
    expect(t.get(1)!.toJSON()).toMatchObject({ n: 2, i: null, b: false });
  });

  it('many rows with nulls across byte boundaries', () => {
    const values = Array.from({ length: 37 }, (_, i) => (i % 3 === 0 ? null : `v${i}`));
    const t = decode([{ name: 's', type: 'string', values }]);
    expect(t.getChild('s')!.toArray()).toEqual(values);
  });

  it('rejects unequal lengths and wrong values with a message naming the field', () => {
    expect(() =>
      encodeFrame({
        name: 'f',
        fields: [
          { name: 'a', type: 'number', values: [1, 2] },
          { name: 'b', type: 'number', values: [1] },
        ],
      }),
    ).toThrow(FrameEncodingError);
    expect(() => encodeFrame({ fields: [{ name: 'i', type: 'int64', values: [1.5] }] })).toThrow(/field "i" \(int64\)/);
    expect(() => encodeFrame({ fields: [{ name: 'b', type: 'boolean', values: ['yes'] }] })).toThrow(/field "b"/);
    expect(() => encodeFrame({ fields: [{ name: 't', type: 'time', values: ['not a date'] }] })).toThrow(
      /invalid time/,
    );
    expect(() => encodeFrame({ fields: [{ name: 'n', type: 'number', values: [null], nullable: false }] })).toThrow(
      /non-nullable/,
    );
  });

  it('encodeFrames stamps the refId only where missing', async () => {
    const [a, b] = (await encodeFrames([{ fields: [] }, { refId: 'Z', fields: [] }], 'A')).map((bytes) =>
      tableFromIPC(bytes),
    );
    expect(a.schema.metadata.get('refId')).toBe('A');
    expect(b.schema.metadata.get('refId')).toBe('Z');
  });
});
