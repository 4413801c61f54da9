/**
 * Model snapshots are JSON compressed with gzip (node:zlib): engine states are large, repetitive text, and
 * gzip's CRC makes a damaged row fail loudly instead of resuming from garbage. Compression runs off the
 * event loop so a large snapshot does not stall other requests.
 */
import { promisify } from 'node:util';
import { constants, gunzip, gzip } from 'node:zlib';
import { StoreError } from '../errors.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export interface EncodedSnapshot {
  bytes: Buffer;
  /** Length of the JSON text before compression. */
  jsonBytes: number;
}

export async function encodeSnapshot(state: unknown, what: string): Promise<EncodedSnapshot> {
  let json: string | undefined;
  try {
    json = JSON.stringify(state, finiteOnly);
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
  const text = Buffer.from(json, 'utf8');
  // Written once per chunk, read once per restart: speed matters more than the last few per cent of size.
  const bytes = await gzipAsync(text, { level: constants.Z_BEST_SPEED });
  return { bytes, jsonBytes: text.length };
}

/** JSON would write NaN and ±Infinity as null: a resumed model would silently differ from the one saved. */
function finiteOnly(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new Error(`${key || 'the state'} is ${value}, which JSON cannot hold`);
  }
  return value;
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
