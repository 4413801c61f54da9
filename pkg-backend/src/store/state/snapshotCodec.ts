/**
 * Model snapshots are JSON compressed with gzip (node:zlib): engine states are large, repetitive text, and
 * gzip's CRC makes a damaged row fail loudly instead of resuming from garbage. Compression runs off the
 * event loop so a large snapshot does not stall other requests.
 */
import { promisify } from 'node:util';
import { constants, createGzip, gunzip } from 'node:zlib';
import { StoreError } from '../errors.ts';

const gunzipAsync = promisify(gunzip);
/** UTF-16 units of the JSON text encoded and compressed at a time. */
const TEXT_SLICE = 1 << 20;

export interface EncodedSnapshot {
  bytes: Buffer;
  /** Length of the JSON text before compression. */
  jsonBytes: number;
}

export async function encodeSnapshot(state: unknown, what: string): Promise<EncodedSnapshot> {
  let json: string | undefined;
  try {
    checkFinite(state, '');
    json = JSON.stringify(state);
  } catch (err) {
    throw new StoreError(
      'state_invalid',
      `snapshot of ${what} is not serialisable as JSON: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (json === undefined) {
    throw new StoreError('state_invalid', `snapshot of ${what} has no state (undefined)`);
  }
  // Written once per chunk, read once per restart: speed matters more than the last few per cent of size.
  return compress(json);
}

/**
 * The text's UTF-8 bytes, gzipped a slice at a time: at a million entities the text is some 40 MB, and its
 * bytes in one buffer beside it were 40 MB more at every chunk.
 */
async function compress(json: string): Promise<EncodedSnapshot> {
  const gzip = createGzip({ level: constants.Z_BEST_SPEED });
  const out: Buffer[] = [];
  gzip.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => gzip.on('end', resolve).on('error', reject));
  let jsonBytes = 0;
  for (let at = 0; at < json.length;) {
    let end = Math.min(json.length, at + TEXT_SLICE);
    // JSON.stringify escapes lone surrogates, so a slice only has to keep each pair whole.
    if (end < json.length && (json.charCodeAt(end - 1) & 0xfc00) === 0xd800) {
      end++;
    }
    const bytes = Buffer.from(json.slice(at, end), 'utf8');
    jsonBytes += bytes.length;
    // Waiting for the compressor keeps the slices it has not yet taken from piling up in its queue.
    if (!gzip.write(bytes)) {
      await Promise.race([new Promise((resolve) => gzip.once('drain', resolve)), done]);
    }
    at = end;
  }
  gzip.end();
  await done;
  return { bytes: Buffer.concat(out), jsonBytes };
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

export async function decodeSnapshot(bytes: Buffer, what: string): Promise<unknown> {
  try {
    return JSON.parse((await gunzipAsync(bytes)).toString('utf8'));
  } catch (err) {
    throw new StoreError(
      'state_invalid',
      `snapshot of ${what} is damaged and cannot be read: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
