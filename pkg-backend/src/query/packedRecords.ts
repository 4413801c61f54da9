/**
 * The records a DetectionRun keeps, packed as JSON text in one growable byte buffer instead of as objects.
 *
 * Why: a run keeps every record of its history for later snapshots, tens of thousands at a million entities,
 * each a small tree of objects and strings. On V8's heap that live set is multiplied by the old generation's
 * growth factor (up to about 4× what is live after a full collection), which made the records the largest
 * share of a long detection's peak memory. A typed array's bytes live outside the heap and are counted
 * once. Records are appended in time order, so a range is one contiguous slice, parsed a few hundred records
 * per JSON.parse when a snapshot asks for it; every snapshot gets fresh objects, so no caller can alter the run.
 *
 * A record is written as a positional array (its field names would be half the bytes), its time kept in a
 * typed array beside. JSON carries strings (lone surrogates included) and finite numbers exactly; a record of
 * any other shape, or holding a number JSON would alter (NaN, ±Infinity, −0), is kept as an object beside the
 * buffer, with `null` in its place.
 */
import { growFloat64, growInt32, growUint8 } from '../engine/model/memory.ts';
import type { Cause, RecordResult } from '../engine/types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Records parsed per JSON.parse call when a range is read back. */
const PARSE_SLICE = 256;

const RECORD_KEYS = 'time by over entity probability rawScore score typical actual count causes explanation';
const CAUSE_KEYS = 'by probability count';
const EXPLANATION_KEYS = 'firstOccurrence relativeRarity text';

type Packed = [
  by: string,
  over: string | null,
  entity: string,
  probability: number,
  rawScore: number,
  score: number,
  typical: number,
  actual: number,
  count: number,
  /** by, probability, count of each cause in turn */
  causes: Array<string | number>,
  firstOccurrence: boolean,
  relativeRarity: number,
  text: string,
  groupId?: string,
];

/** A value JSON gives back as itself. */
function carried(v: unknown): boolean {
  return typeof v === 'number' ? Number.isFinite(v) && !Object.is(v, -0) : typeof v === 'string';
}

function keysAre(o: object, keys: string): boolean {
  return Object.keys(o).join(' ') === keys;
}

/** The record as a positional array, or undefined when it is not of the shape (or numbers) that allows it. */
function pack(r: RecordResult): Packed | undefined {
  const withGroup = typeof r.groupId === 'string';
  if (!keysAre(r, withGroup ? `${RECORD_KEYS} groupId` : RECORD_KEYS) || !keysAre(r.explanation, EXPLANATION_KEYS)) {
    return undefined;
  }
  const causes: Array<string | number> = [];
  for (const c of r.causes) {
    if (!keysAre(c, CAUSE_KEYS)) {
      return undefined;
    }
    causes.push(c.by, c.probability, c.count);
  }
  const { firstOccurrence, relativeRarity, text } = r.explanation;
  const scalars = [r.time, r.by, r.entity, r.probability, r.rawScore, r.score, r.typical, r.actual, r.count];
  if (
    !scalars.every(carried) ||
    !causes.every(carried) ||
    !(r.over === null || typeof r.over === 'string') ||
    typeof firstOccurrence !== 'boolean' ||
    !carried(relativeRarity) ||
    typeof text !== 'string'
  ) {
    return undefined;
  }
  const packed: Packed = [
    r.by,
    r.over,
    r.entity,
    r.probability,
    r.rawScore,
    r.score,
    r.typical,
    r.actual,
    r.count,
    causes,
    firstOccurrence,
    relativeRarity,
    text,
  ];
  if (withGroup) {
    packed.push(r.groupId);
  }
  return packed;
}

function unpack(time: number, p: Packed): RecordResult {
  const causes: Cause[] = [];
  const flat = p[9];
  for (let i = 0; i < flat.length; i += 3) {
    causes.push({ by: flat[i] as string, probability: flat[i + 1] as number, count: flat[i + 2] as number });
  }
  const record: RecordResult = {
    time,
    by: p[0],
    over: p[1],
    entity: p[2],
    probability: p[3],
    rawScore: p[4],
    score: p[5],
    typical: p[6],
    actual: p[7],
    count: p[8],
    causes,
    explanation: { firstOccurrence: p[10], relativeRarity: p[11], text: p[12] },
  };
  if (p.length > 13) {
    record.groupId = p[13];
  }
  return record;
}

export class PackedRecords {
  /** Record i's text and its trailing comma are bytes [ends[i − 1], ends[i]). */
  private bytes = new Uint8Array(0);
  private ends = new Int32Array(0);
  private times = new Float64Array(0);
  private count = 0;
  private used = 0;
  /** Records not packed, by index; never handed out, so clones may share them. */
  private readonly unpacked = new Map<number, RecordResult>();

  get length(): number {
    return this.count;
  }

  push(record: RecordResult): void {
    if (this.count > 0 && record.time < this.times[this.count - 1]) {
      // Ranges are found by binary search over the times.
      throw new Error(`record at ${record.time} pushed after one at ${this.times[this.count - 1]}`);
    }
    const packed = pack(record);
    const i = this.count;
    if (packed) {
      this.append(JSON.stringify(packed));
    } else {
      // A copy, as the packed ones are: nothing the caller does to the record afterwards reaches the run.
      this.unpacked.set(i, structuredClone(record));
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
    const records: RecordResult[] = [];
    // A few hundred at a time: one JSON.parse per slice, and no text the size of the whole range.
    for (let i = first; i < end; i += PARSE_SLICE) {
      const last = Math.min(i + PARSE_SLICE, end) - 1;
      const from = i === 0 ? 0 : this.ends[i - 1];
      // The slice ends with its last record's comma, which the closing bracket replaces.
      const text = decoder.decode(this.bytes.subarray(from, this.ends[last] - 1));
      const slice = JSON.parse(`[${text}]`) as Array<Packed | null>;
      for (let k = 0; k < slice.length; k++) {
        const p = slice[k];
        const at = i + k;
        records.push(p ? unpack(this.times[at], p) : structuredClone(this.unpacked.get(at)!));
      }
    }
    return records;
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
