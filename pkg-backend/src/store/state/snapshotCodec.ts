/**
 * Model snapshots are JSON compressed with gzip (node:zlib): engine states are large, repetitive text, and
 * gzip's CRC makes a damaged row fail loudly instead of resuming from garbage. Compression runs off the
 * event loop so a large snapshot does not stall other requests.
 */
import { promisify } from 'node:util';
import { constants, createGzip, gunzip } from 'node:zlib';
import { JsonColumn, type SnapshotColumns } from '../../runtime/jsonColumn.ts';
import { StoreError } from '../errors.ts';
import { parseSnapshotJson } from './snapshotDecoder.ts';

const gunzipAsync = promisify(gunzip);
/** Elements of a large array written per JSON.stringify call. */
const ARRAY_SLICE = 1 << 16;
/** JSON text gathered before it is encoded and handed to the compressor. */
const TEXT_SLICE = 1 << 20;

export interface EncodedSnapshot {
  bytes: Buffer;
  /** Length of the JSON text before compression. */
  jsonBytes: number;
}

export async function encodeSnapshot(state: unknown, what: string): Promise<EncodedSnapshot> {
  const out = new GzipText();
  try {
    checkFinite(state, '');
    if (!(await writeJson(state, out))) {
      throw new StoreError('state_invalid', `snapshot of ${what} has no state (undefined)`);
    }
  } catch (err) {
    out.abandon();
    if (err instanceof StoreError) {
      throw err;
    }
    throw new StoreError(
      'state_invalid',
      `snapshot of ${what} is not serialisable as JSON: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return out.finish();
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return false;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Written piece by piece by writeJson rather than by one JSON.stringify. */
function isComposite(value: unknown): boolean {
  return Array.isArray(value) || value instanceof JsonColumn || isPlainObject(value);
}

/**
 * Writes what JSON.stringify(value) would, in pieces: arrays and columns a slice of elements at a time, plain
 * objects key by key, anything else whole. At a million entities the state's text is some 40 MB; written whole
 * it was that string and the garbage of building it, all in one synchronous call the collector's pacer could
 * not interrupt. False when the value has no JSON (undefined, a function), as JSON.stringify returns undefined.
 */
async function writeJson(value: unknown, out: GzipText, key = ''): Promise<boolean> {
  if (value instanceof JsonColumn) {
    await writeColumn(value as JsonColumn<unknown>, out, key);
    return true;
  }
  if (Array.isArray(value)) {
    out.write('[');
    for (let i = 0; i < value.length; i += ARRAY_SLICE) {
      const end = Math.min(value.length, i + ARRAY_SLICE);
      if (i > 0) {
        out.write(',');
      }
      const slice = value.slice(i, end);
      // Elements that are themselves large (a job's list of models) are written piece by piece too.
      if (slice.some(isComposite)) {
        for (let k = 0; k < slice.length; k++) {
          if (k > 0) {
            out.write(',');
          }
          if (!(await writeJson(slice[k], out))) {
            out.write('null');
          }
        }
      } else {
        out.write(JSON.stringify(slice).slice(1, -1));
      }
      await out.drained();
    }
    out.write(']');
    return true;
  }
  if (isPlainObject(value)) {
    out.write('{');
    let first = true;
    for (const [k, v] of Object.entries(value)) {
      const key = `${first ? '' : ','}${JSON.stringify(k)}:`;
      if (isComposite(v)) {
        out.write(key);
        await writeJson(v, out, k);
        first = false;
        continue;
      }
      const text = JSON.stringify(v) as string | undefined;
      // As JSON.stringify: a key whose value has no JSON is left out.
      if (text !== undefined) {
        out.write(key + text);
        first = false;
      }
    }
    out.write('}');
    return true;
  }
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) {
    return false;
  }
  out.write(text);
  return true;
}

/**
 * A column read a slice at a time, each checked as checkFinite would have checked the array (which skips
 * columns: they are not built until now).
 */
async function writeColumn(column: JsonColumn<unknown>, out: GzipText, key: string): Promise<void> {
  out.write('[');
  const read = column.reader();
  for (let at = 0; ;) {
    const slice = read(ARRAY_SLICE);
    if (slice.length === 0) {
      break;
    }
    for (let i = 0; i < slice.length; i++) {
      const v: unknown = slice[i];
      // Numbers and strings pass here without a name built for each: a column is mostly those.
      if (typeof v === 'number' ? !Number.isFinite(v) : typeof v === 'object' && v !== null) {
        checkFinite(v, `${key}[${at + i}]`);
      }
    }
    out.write((at > 0 ? ',' : '') + JSON.stringify(slice).slice(1, -1));
    at += slice.length;
    await out.drained();
  }
  out.write(']');
}

/**
 * JSON text to gzip, a slice of text at a time. Written once per chunk, read once per restart: speed matters
 * more than the last few per cent of size.
 */
class GzipText {
  private readonly gzip = createGzip({ level: constants.Z_BEST_SPEED });
  private readonly chunks: Buffer[] = [];
  private readonly done: Promise<void>;
  private pending = '';
  private jsonBytes = 0;

  constructor() {
    this.gzip.on('data', (b: Buffer) => this.chunks.push(b));
    this.done = new Promise<void>((resolve, reject) => this.gzip.on('end', resolve).on('error', reject));
    // A failure is surfaced by finish(); one that comes after abandon() has nobody to tell.
    this.done.catch(() => undefined);
  }

  write(text: string): void {
    this.pending += text;
    if (this.pending.length >= TEXT_SLICE) {
      this.flush();
    }
  }

  /** Resolves once the compressor has taken what it was given, so unread text never piles up in its queue. */
  async drained(): Promise<void> {
    if (this.gzip.writableNeedDrain) {
      await Promise.race([new Promise((resolve) => this.gzip.once('drain', resolve)), this.done]);
    }
  }

  async finish(): Promise<EncodedSnapshot> {
    this.flush();
    this.gzip.end();
    await this.done;
    return { bytes: Buffer.concat(this.chunks), jsonBytes: this.jsonBytes };
  }

  abandon(): void {
    this.gzip.destroy();
  }

  private flush(): void {
    if (this.pending.length > 0) {
      // Pieces end between JSON tokens or inside strings JSON.stringify wrote, which escape lone surrogates:
      // a pair is never split, so each piece is whole UTF-8.
      const bytes = Buffer.from(this.pending, 'utf8');
      this.pending = '';
      this.jsonBytes += bytes.length;
      this.gzip.write(bytes);
    }
  }
}

/**
 * JSON would write NaN and ±Infinity as null: a resumed model would silently differ from the one saved. Checked
 * in a walk of its own rather than by a replacer: JSON.stringify hands a replacer each array element's index as
 * a new string, millions of them for a million entities' state.
 */
function checkFinite(value: unknown, key: string): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new Error(`${key || 'the state'} is ${value}, which JSON cannot hold`);
    }
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      // Most of a large state is arrays of numbers: checked here without a call each.
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) {
          throw new Error(`${i} is ${v}, which JSON cannot hold`);
        }
      } else if (typeof v === 'object' && v !== null) {
        checkFinite(v, String(i));
      }
    }
  } else if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  ) {
    for (const [k, v] of Object.entries(value)) {
      checkFinite(v, k);
    }
  }
}

/** Largest decompressed size taken from the row's own record of it as the size of the one output buffer. */
const MAX_SIZED_OUTPUT = 1 << 30;

/**
 * The state as JSON.parse reads it, or with the arrays under `columns`' keys as columns (snapshotDecoder.ts).
 * `jsonBytes`, the decompressed size the row records, sizes the decompressor's output so that it is one buffer
 * rather than pieces copied together at the end (40 MB more at a million entities).
 */
export async function decodeSnapshot(
  bytes: Buffer,
  what: string,
  options: { columns?: SnapshotColumns; jsonBytes?: number } = {},
): Promise<unknown> {
  const { columns, jsonBytes } = options;
  try {
    const sized = jsonBytes !== undefined && jsonBytes > 0 && jsonBytes < MAX_SIZED_OUTPUT;
    const json = await gunzipAsync(bytes, sized ? { chunkSize: Math.max(jsonBytes, constants.Z_MIN_CHUNK) } : {});
    return columns ? parseSnapshotJson(json, columns) : JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw new StoreError(
      'state_invalid',
      `snapshot of ${what} is damaged and cannot be read: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
