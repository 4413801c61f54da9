/**
 * The plugin's one data-frame encoder: the datasource's Frame description (query/contract.ts) → one Apache
 * Arrow IPC *file* per frame, the form Grafana decodes (docs/protocol.md, Data frames on the wire).
 *
 * Every column is assembled by hand with makeData and an explicit type. apache-arrow's inference would turn
 * strings into Dictionary, Dates into TimestampMillisecond and empty or all-null columns into Null, each of
 * which makes Grafana reject the whole response; building buffers ourselves rules that out by construction.
 */
import {
  Binary,
  Bool,
  Field as ArrowField,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampNanosecond,
  Utf8,
  tableToIPC,
  type Data,
  type DataType,
} from 'apache-arrow';

import type { Field, FieldType, Frame } from '../query/contract.ts';
import { EventLoopSlice } from '../runtime/eventLoop.ts';

export type { Field, FieldConfig, FieldType, Frame, FrameMeta, Notice } from '../query/contract.ts';

/** Thrown for a frame that cannot be encoded; the message names the frame and field. */
export class FrameEncodingError extends Error {
  override name = 'FrameEncodingError';
}

const encoder = new TextEncoder();

interface Column {
  type: DataType;
  data: Data;
  nullable: boolean;
}

/** Validity bitmap (LSB first, 1 = valid) or undefined when there are no nulls. */
function validity(nulls: boolean[]): { nullBitmap?: Uint8Array; nullCount: number } {
  const nullCount = nulls.reduce((n, isNull) => n + (isNull ? 1 : 0), 0);
  if (nullCount === 0) {
    return { nullCount: 0 };
  }
  const bitmap = new Uint8Array(Math.ceil(nulls.length / 8));
  nulls.forEach((isNull, i) => {
    if (!isNull) {
      bitmap[i >> 3] |= 1 << (i & 7);
    }
  });
  return { nullBitmap: bitmap, nullCount };
}

const MS_TO_NS = 1_000_000n;

function timeToNs(value: unknown): bigint {
  if (typeof value === 'bigint') {
    return value;
  }
  let ms: number;
  if (value instanceof Date) {
    ms = value.getTime();
  } else if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string') {
    ms = Date.parse(value);
  } else {
    throw new TypeError(`expected a Date, epoch ms, bigint ns or ISO string, got ${typeof value}`);
  }
  if (!Number.isFinite(ms)) {
    throw new TypeError(`invalid time value ${String(value)}`);
  }
  // Split whole and fractional milliseconds so large epochs keep integer precision in BigInt.
  const whole = Math.trunc(ms);
  return BigInt(whole) * MS_TO_NS + BigInt(Math.round((ms - whole) * 1e6));
}

function toInt64(value: unknown): bigint {
  if (typeof value === 'bigint') {
    return value;
  }
  if (typeof value === 'number' && Number.isInteger(value)) {
    return BigInt(value);
  }
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) {
    return BigInt(value.trim());
  }
  throw new TypeError(`expected an integer, got ${String(value)}`);
}

function toFloat(value: unknown): number {
  if (typeof value === 'number') {
    return value;
  }
  if (typeof value === 'bigint') {
    return Number(value);
  }
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) {
    return Number(value);
  }
  throw new TypeError(`expected a number, got ${typeof value}`);
}

function bigintColumn(
  type: Int64 | TimestampNanosecond,
  values: readonly unknown[],
  convert: (v: unknown) => bigint,
): Data {
  const data = new BigInt64Array(values.length);
  const nulls = values.map((v, i) => {
    if (v === null || v === undefined) {
      return true;
    }
    data[i] = convert(v);
    return false;
  });
  return makeData({ type, length: values.length, data, ...validity(nulls) } as never);
}

function bytesColumn(type: Utf8 | Binary, values: readonly unknown[], toBytes: (v: unknown) => Uint8Array): Data {
  const chunks: Uint8Array[] = [];
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  const nulls = values.map((v, i) => {
    const isNull = v === null || v === undefined;
    if (!isNull) {
      const bytes = toBytes(v);
      chunks.push(bytes);
      total += bytes.length;
    }
    offsets[i + 1] = total;
    return isNull;
  });
  const data = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.length;
  }
  return makeData({ type, length: values.length, valueOffsets: offsets, data, ...validity(nulls) } as never);
}

function buildColumn(field: Field): Column {
  const values = field.values;
  const hasNull = values.some((v) => v === null || v === undefined);
  const nullable = field.nullable ?? hasNull;
  if (hasNull && field.nullable === false) {
    throw new TypeError('declared non-nullable but contains null');
  }
  switch (field.type) {
    case 'time': {
      const type = new TimestampNanosecond();
      return { type, nullable, data: bigintColumn(type, values, timeToNs) };
    }
    case 'int64': {
      const type = new Int64();
      return { type, nullable, data: bigintColumn(type, values, toInt64) };
    }
    case 'number': {
      const type = new Float64();
      const data = new Float64Array(values.length);
      const nulls = values.map((v, i) => {
        if (v === null || v === undefined) {
          return true;
        }
        data[i] = toFloat(v);
        return false;
      });
      return { type, nullable, data: makeData({ type, length: values.length, data, ...validity(nulls) }) };
    }
    case 'boolean': {
      const type = new Bool();
      const data = new Uint8Array(Math.ceil(values.length / 8));
      const nulls = values.map((v, i) => {
        if (v === null || v === undefined) {
          return true;
        }
        if (typeof v !== 'boolean') {
          throw new TypeError(`expected a boolean, got ${typeof v}`);
        }
        if (v) {
          data[i >> 3] |= 1 << (i & 7);
        }
        return false;
      });
      return { type, nullable, data: makeData({ type, length: values.length, data, ...validity(nulls) }) };
    }
    case 'string': {
      const type = new Utf8();
      return {
        type,
        nullable,
        data: bytesColumn(type, values, (v) => encoder.encode(typeof v === 'string' ? v : String(v))),
      };
    }
    case 'json': {
      // Grafana reads Binary columns as raw JSON (json.RawMessage).
      const type = new Binary();
      return {
        type,
        nullable,
        data: bytesColumn(type, values, (v) => {
          const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
          if (text === undefined) {
            throw new TypeError(`value of type ${typeof v} is not JSON`);
          }
          return encoder.encode(text);
        }),
      };
    }
    default:
      throw new TypeError(`unknown field type "${String((field as { type: unknown }).type)}"`);
  }
}

function fieldMetadata(field: Field): Map<string, string> {
  const metadata = new Map<string, string>();
  if (field.labels && Object.keys(field.labels).length > 0) {
    metadata.set('labels', JSON.stringify(field.labels));
  }
  if (field.config && Object.keys(field.config).length > 0) {
    metadata.set('config', JSON.stringify(field.config));
  }
  return metadata;
}

/** Encodes one frame as Arrow IPC file bytes (`ARROW1` magic, footer). */
export function encodeFrame(frame: Frame): Uint8Array {
  const label = `frame "${frame.name ?? ''}"${frame.refId ? ` (refId ${frame.refId})` : ''}`;
  if (!Array.isArray(frame.fields)) {
    throw new FrameEncodingError(`${label}: fields must be an array`);
  }
  const length = frame.fields[0]?.values.length ?? 0;
  const arrowFields: ArrowField[] = [];
  const children: Data[] = [];
  for (const field of frame.fields) {
    if (field.values.length !== length) {
      throw new FrameEncodingError(
        `${label}: field "${field.name}" has ${field.values.length} values, expected ${length}`,
      );
    }
    let column: Column;
    try {
      column = buildColumn(field);
    } catch (err) {
      throw new FrameEncodingError(`${label}: field "${field.name}" (${field.type}): ${(err as Error).message}`);
    }
    arrowFields.push(new ArrowField(field.name, column.type, column.nullable, fieldMetadata(field)));
    children.push(column.data);
  }
  const metadata = new Map<string, string>([
    ['name', frame.name ?? ''],
    ['refId', frame.refId ?? ''],
  ]);
  if (frame.meta !== undefined) {
    metadata.set('meta', JSON.stringify(frame.meta));
  }
  const schema = new Schema(arrowFields, metadata);
  const struct = makeData({ type: new Struct(schema.fields), length, nullCount: 0, children });
  // Always one record batch, even for an empty frame, so readers see the columns with zero rows.
  const table = new Table([new RecordBatch(schema, struct)]);
  return tableToIPC(table, 'file');
}

/**
 * Encodes every frame of one refId, stamping the refId on frames that lack one (Grafana expects it). The event
 * loop gets turns between frames: apache-arrow leaves some 10–40 KB of garbage per frame, and a thousand series
 * encoded in one synchronous stretch kept bun's collector pacer (gcPacer.ts) from running until they were done.
 */
export async function encodeFrames(frames: readonly Frame[], refId: string): Promise<Uint8Array[]> {
  const slice = new EventLoopSlice();
  const encoded: Uint8Array[] = [];
  for (const frame of frames) {
    encoded.push(encodeFrame(frame.refId ? frame : { ...frame, refId }));
    await slice.maybeYield();
  }
  return encoded;
}
