/**
 * Growable typed arrays and the sizes the models estimate their memory from. The estimates are V8's
 * (pointer compression on): close enough to hold a detector to a limit, not an exact heap measurement.
 */
import type { JobMemoryStatus } from '../../../../common/resources.ts';

/** One entry of a Map<string, number> at V8's load factor: entry, hash chain and bucket share. */
export const MAP_ENTRY_BYTES = 32;
/**
 * Typed arrays grow by a quarter, so on average they are about a tenth larger than what they hold; the
 * estimates count a fifth, erring high so that a limit holds.
 */
const SLACK = 1.2;
/**
 * What one more interned over entity, by value or pair costs: its dictionary entry and its typed-array
 * slots (population: last seen, bucket position, recency links, pair list head; values also first seen,
 * spread, prior index and the curve's buffers; pairs their two ids, three list links, bucket slot and hash
 * slots at load ⅔ to ⅓).
 */
export const ENTITY_BYTES = MAP_ENTRY_BYTES + 4 + Math.round((8 + 4 + 8 + 4) * SLACK);
export const POPULATION_VALUE_BYTES = MAP_ENTRY_BYTES + 4 + Math.round((8 + 8 + 8 + 4 + 4 + 8 + 32) * SLACK);
export const PAIR_BYTES = Math.round((5 * 4 + 4 + 8) * SLACK);
/** Rare in time: count, first seen, two order buffers, bucket slot and the curve's buffers. */
export const RARE_VALUE_BYTES = MAP_ENTRY_BYTES + 4 + Math.round((8 + 8 + 4 + 4 + 4 + 32) * SLACK);
/**
 * A model's objects, dictionaries and per-bucket scratch arrays before anything is interned: 4.9 KB measured
 * for an empty rare-in-time model, 8.4 KB for a population one. A job keeps one model per partition value, so
 * this, not the entities, is what thousands of small partitions cost.
 */
export const MODEL_FIXED_BYTES = 8 * 1024;
/** Header of a sequential string, before its characters. */
const STRING_HEADER_BYTES = 16;
/** A detector at or above this share of its limit reports soft_limit. */
export const SOFT_LIMIT_FRACTION = 0.9;

/** Heap bytes of a string of this many characters, counting one byte each (log fields are mostly ASCII). */
export function stringBytes(length: number): number {
  return STRING_HEADER_BYTES + ((length + 3) & ~3);
}

export function memoryStatus(bytes: number, limitBytes: number): JobMemoryStatus {
  if (bytes >= limitBytes) {
    return 'hard_limit';
  }
  return bytes >= SOFT_LIMIT_FRACTION * limitBytes ? 'soft_limit' : 'ok';
}

/**
 * Capacity for at least `needed` elements: a quarter more, so appends stay amortised O(1) (below
 * MAPPED_FROM_BYTES each element is copied about four times) while a million entities leave at most a
 * fifth of their arrays unused.
 */
function grownLength(current: number, needed: number): number {
  return Math.max(needed, Math.ceil(current * 1.25), 16);
}

type GrowableArray =
  Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer> | Uint8Array<ArrayBuffer> | Uint16Array<ArrayBuffer>;

/**
 * From this size on a model's buffers are resizable ones, which the runtime maps from the system's pages
 * (address space reserved, pages committed as they are used) instead of taking from the C heap. Growing
 * then resizes in place, and a buffer dropped (an outgrown hash table) gives its pages back. Copies freed
 * into glibc's heap stayed there as free but unreturned memory: at a million entities about 55 MB of a
 * detection's peak RSS under node, measured against a run with MALLOC_MMAP_THRESHOLD_ fixed.
 */
const MAPPED_FROM_BYTES = 1 << 20;

/**
 * What a growable buffer reserves: sixteen times its first length, at least 64 MiB. Only address space, which
 * is plentiful on 64-bit systems but not unlimited, so not gigabytes for each of a job's many arrays.
 */
function reservedBytes(bytes: number): number {
  return Math.min(2 ** 32, Math.max(16 * bytes, 2 ** 26));
}

/**
 * A zeroed buffer of `bytes`, mapped when large (see MAPPED_FROM_BYTES), that can later grow in place up to
 * `reserve`. A runtime without resizable buffers ignores the option and gets a plain one.
 */
export function allocateBuffer(bytes: number, reserve = bytes): ArrayBuffer {
  return bytes >= MAPPED_FROM_BYTES && bytes <= reserve
    ? new ArrayBuffer(bytes, { maxByteLength: reserve })
    : new ArrayBuffer(bytes);
}

function grow<T extends GrowableArray>(a: T, needed: number, view: (buffer: ArrayBuffer, length: number) => T): T {
  const length = grownLength(a.length, needed);
  const bytes = length * a.BYTES_PER_ELEMENT;
  const buffer = a.buffer;
  if (buffer.resizable && bytes <= buffer.maxByteLength) {
    // The new bytes are zeros, as in a fresh buffer.
    buffer.resize(bytes);
    return view(buffer, length);
  }
  const b = view(allocateBuffer(bytes, reservedBytes(bytes)), length);
  b.set(a);
  release(buffer);
  return b;
}

export function growInt32(a: Int32Array<ArrayBuffer>, needed: number, fill = 0): Int32Array<ArrayBuffer> {
  if (needed <= a.length) {
    return a;
  }
  const old = a.length;
  const b = grow(a, needed, (buffer, length) => new Int32Array(buffer, 0, length));
  if (fill !== 0) {
    b.fill(fill, old);
  }
  return b;
}

export function growFloat64(a: Float64Array<ArrayBuffer>, needed: number): Float64Array<ArrayBuffer> {
  return needed <= a.length ? a : grow(a, needed, (buffer, length) => new Float64Array(buffer, 0, length));
}

export function growUint8(a: Uint8Array<ArrayBuffer>, needed: number): Uint8Array<ArrayBuffer> {
  return needed <= a.length ? a : grow(a, needed, (buffer, length) => new Uint8Array(buffer, 0, length));
}

export function growUint16(a: Uint16Array<ArrayBuffer>, needed: number): Uint16Array<ArrayBuffer> {
  return needed <= a.length ? a : grow(a, needed, (buffer, length) => new Uint16Array(buffer, 0, length));
}

/** Below this an outgrown buffer is simply left to the collector. */
const RELEASE_BYTES = 1 << 16;

/**
 * Frees an outgrown buffer's memory now rather than at the next full collection: a model's arrays live long,
 * so their old copies sit in the old generation, and a million entities leave over a hundred megabytes of
 * them. Transferring the memory to a throwaway clone detaches the old buffer; the clone dies young and its
 * memory goes at the next scavenge. The caller must hold no other view on the buffer.
 */
export function release(buffer: ArrayBuffer): void {
  if (buffer.byteLength >= RELEASE_BYTES) {
    try {
      structuredClone(buffer, { transfer: [buffer] });
    } catch {
      // A runtime without transferable ArrayBuffers frees it at its next collection instead.
    }
  }
}
