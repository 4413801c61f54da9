/**
 * The records a DetectionRun keeps, packed as JSON text in one growable byte buffer instead of as objects.
 *
 * Why: a run keeps every record of its history for later snapshots, tens of thousands at a million entities,
 * each a small tree of objects and strings. On V8's heap that live set is multiplied by the old generation's
 * growth factor (up to about 4× what is live after a full collection), which made the records the largest
 * share of a long detection's peak memory. A typed array's bytes live outside the heap and are counted
 * once. Records are appended in time order, so a range is one contiguous slice, parsed in a single
 * JSON.parse when a snapshot asks for it; every snapshot gets fresh objects, so no caller can alter the run.
 *
 * JSON carries strings (lone surrogates included) and finite numbers exactly. A record holding a number it
 * would not carry (NaN, ±Infinity, −0) is kept as an object beside the buffer, with `null` in its place.
 */
import { growFloat64, growInt32, growUint8 } from '../engine/model/memory.ts';
import type { RecordResult } from '../engine/types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Records parsed per JSON.parse call when a range is read back. */
const PARSE_SLICE = 256;

/** A number JSON.stringify would not give back as itself. */
function notCarried(v: unknown): boolean {
  return typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0));
}

export class PackedRecords {
  /** record i's text is bytes [ends[i − 1], ends[i]), each followed by a comma. */
  private bytes = new Uint8Array(0);
  private ends = new Int32Array(0);
  private times = new Float64Array(0);
  private count = 0;
  private used = 0;
  /** Records JSON would alter, by index. */
  private readonly unpacked = new Map<number, RecordResult>();

  get length(): number {
    return this.count;
  }

  push(record: RecordResult): void {
    if (this.count > 0 && record.time < this.times[this.count - 1]) {
      // Ranges are found by binary search over the times.
      throw new Error(`record at ${record.time} pushed after one at ${this.times[this.count - 1]}`);
    }
    let exact = true;
    const text = JSON.stringify(record, (_key, v: unknown) => {
      if (notCarried(v)) {
        exact = false;
      }
      return v;
    });
    const i = this.count;
    if (exact) {
      this.append(text);
    } else {
      this.unpacked.set(i, record);
      this.append('null');
    }
    this.times = growFloat64(this.times, i + 1);
    this.ends = growInt32(this.ends, i + 1);
    this.times[i] = record.time;
    this.ends[i] = this.used;
    this.count++;
  }

  /** The records with lo ≤ time < hi, in the order they were pushed (time order). */
  inRange(lo: number, hi: number): RecordResult[] {
    const first = this.firstAtOrAfter(lo);
    const end = this.firstAtOrAfter(hi);
    if (first >= end) {
      return [];
    }
    const records: Array<RecordResult | null> = [];
    // A few hundred at a time: one JSON.parse per slice, and no text the size of the whole range.
    for (let i = first; i < end; i += PARSE_SLICE) {
      const last = Math.min(i + PARSE_SLICE, end) - 1;
      const from = i === 0 ? 0 : this.ends[i - 1];
      // The slice ends with its last record's comma, which the closing bracket replaces.
      const text = decoder.decode(this.bytes.subarray(from, this.ends[last] - 1));
      for (const record of JSON.parse(`[${text}]`) as Array<RecordResult | null>) {
        records.push(record);
      }
    }
    for (const [i, record] of this.unpacked) {
      if (i >= first && i < end) {
        records[i - first] = structuredClone(record);
      }
    }
    return records as RecordResult[];
  }

  clone(): PackedRecords {
    const copy = new PackedRecords();
    copy.bytes = this.bytes.slice(0, this.used);
    copy.ends = this.ends.slice(0, this.count);
    copy.times = this.times.slice(0, this.count);
    copy.count = this.count;
    copy.used = this.used;
    for (const [i, record] of this.unpacked) {
      copy.unpacked.set(i, record);
    }
    return copy;
  }

  /** Bytes held outside the heap, for memory accounting. */
  get byteLength(): number {
    return this.bytes.byteLength + this.ends.byteLength + this.times.byteLength;
  }

  private append(text: string): void {
    // UTF-8 takes at most three bytes per UTF-16 unit; one more for the comma.
    this.bytes = growUint8(this.bytes, this.used + 3 * text.length + 1);
    const { written } = encoder.encodeInto(text, this.bytes.subarray(this.used));
    this.used += written;
    this.bytes[this.used++] = 44; // ','
  }

  private firstAtOrAfter(t: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid] < t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
