/**
 * The records a DetectionRun keeps, packed in one growable byte buffer instead of as objects.
 *
 * Why: a run keeps every record of its history for later snapshots, tens of thousands at a million entities,
 * each a small tree of objects and strings. On V8's heap that live set is multiplied by the old generation's
 * growth factor (up to about 4× what is live after a full collection), which made the records the largest
 * share of a long detection's peak memory. A typed array's bytes live outside the heap and are counted
 * once. Records are appended in time order, so a range is one contiguous slice; every snapshot gets fresh
 * objects, so no caller can alter the run.
 *
 * A record is written field by field in a fixed order, numbers as float64 and strings as their Latin-1 bytes
 * (UTF-16 code units when a character is above U+00FF), its time kept in a typed array beside. Reading one
 * back allocates the record's own objects and strings and nothing else: the JSON text this replaced left
 * about 1.2 KB of garbage per record unpacked (the slice's text, its copy in brackets, the parsed arrays), so
 * under bun a snapshot of 30 000 records raised the resident set by 36 MB above the 7.5 MB the records hold.
 * Both encodings carry any string exactly, lone surrogates included, and float64 carries every number; a
 * record of any other shape is kept as an object beside the buffer.
 */
import { growFloat64, growInt32, growUint8 } from '../engine/model/memory.ts';
import type { Cause, RecordResult } from '../engine/types.ts';

/** Records unpacked per slice handed to a caller that yields between slices. */
const SLICE_RECORDS = 256;

const RECORD_KEYS = 'time by over entity probability rawScore score typical actual count causes explanation';
const CAUSE_KEYS = 'by probability count';
const EXPLANATION_KEYS = 'firstOccurrence relativeRarity text';

// Flags, the first byte of a record.
const OVER_NULL = 1;
/** The entity is the over value (population detectors): written once and read back as one string. */
const ENTITY_IS_OVER = 2;
const FIRST_OCCURRENCE = 4;
const HAS_GROUP = 8;
/** The record is an object in `unpacked`; nothing else of it is in the buffer. */
const UNPACKED = 16;

/** Flag bit of a string's length word: its bytes are UTF-16LE code units, else Latin-1. */
const WIDE = 1;

function keysAre(o: object, keys: string): boolean {
  return Object.keys(o).join(' ') === keys;
}

/** Whether the record has the shape the buffer's layout holds: the fields and types RecordResult declares. */
function packable(r: RecordResult): boolean {
  const withGroup = typeof r.groupId === 'string';
  if (!keysAre(r, withGroup ? `${RECORD_KEYS} groupId` : RECORD_KEYS)) {
    return false;
  }
  const e = r.explanation;
  if (
    typeof e !== 'object' ||
    e === null ||
    !keysAre(e, EXPLANATION_KEYS) ||
    typeof e.firstOccurrence !== 'boolean' ||
    typeof e.relativeRarity !== 'number' ||
    typeof e.text !== 'string'
  ) {
    return false;
  }
  const numbers = [r.time, r.probability, r.rawScore, r.score, r.typical, r.actual, r.count];
  if (!numbers.every((n) => typeof n === 'number') || typeof r.by !== 'string' || typeof r.entity !== 'string') {
    return false;
  }
  if (!(r.over === null || typeof r.over === 'string') || !Array.isArray(r.causes)) {
    return false;
  }
  return r.causes.every(
    (c) =>
      typeof c === 'object' &&
      c !== null &&
      keysAre(c, CAUSE_KEYS) &&
      typeof c.by === 'string' &&
      typeof c.probability === 'number' &&
      typeof c.count === 'number',
  );
}

/** Bytes a string may take: its length word and two bytes per code unit at most. */
const stringBound = (s: string) => 4 + 2 * s.length;

function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) {
      return false;
    }
  }
  return true;
}

export class PackedRecords {
  /** Record i is bytes [ends[i − 1], ends[i]). */
  private bytes = new Uint8Array(0);
  /** Views on `bytes`, made again whenever it grows. */
  private text = Buffer.alloc(0);
  private view = new DataView(new ArrayBuffer(0));
  private ends = new Int32Array(0);
  private times = new Float64Array(0);
  private count = 0;
  private used = 0;
  /** Records not packed, by index; never handed out, so clones may share them. */
  private readonly unpacked = new Map<number, RecordResult>();
  /** Read position while unpacking. */
  private at = 0;

  get length(): number {
    return this.count;
  }

  push(record: RecordResult): void {
    if (this.count > 0 && record.time < this.times[this.count - 1]) {
      // Ranges are found by binary search over the times.
      throw new Error(`record at ${record.time} pushed after one at ${this.times[this.count - 1]}`);
    }
    const i = this.count;
    if (packable(record)) {
      this.write(record);
    } else {
      // A copy, as the packed ones are: nothing the caller does to the record afterwards reaches the run.
      this.unpacked.set(i, structuredClone(record));
      this.reserve(1);
      this.bytes[this.used++] = UNPACKED;
    }
    this.times = growFloat64(this.times, i + 1);
    this.ends = growInt32(this.ends, i + 1);
    this.times[i] = record.time;
    this.ends[i] = this.used;
    this.count++;
  }

  /**
   * The records with lo ≤ time < hi, in the order they were pushed (time order), a few hundred at a time, so
   * that a caller can give the event loop a turn between slices, as a snapshot of tens of thousands of records
   * does.
   */
  *slicesInRange(lo: number, hi: number): Generator<RecordResult[]> {
    const first = this.firstAtOrAfter(lo);
    const end = this.firstAtOrAfter(hi);
    for (let i = first; i < end; i += SLICE_RECORDS) {
      const last = Math.min(i + SLICE_RECORDS, end);
      const records: RecordResult[] = new Array(last - i);
      for (let k = i; k < last; k++) {
        records[k - i] = this.read(k);
      }
      yield records;
    }
  }

  clone(): PackedRecords {
    const copy = new PackedRecords();
    copy.setBytes(this.bytes.slice(0, this.used));
    copy.ends = this.ends.slice(0, this.count);
    copy.times = this.times.slice(0, this.count);
    copy.count = this.count;
    copy.used = this.used;
    for (const [i, record] of this.unpacked) {
      copy.unpacked.set(i, record);
    }
    return copy;
  }

  private write(r: RecordResult): void {
    const { explanation, causes } = r;
    const entityIsOver = r.over !== null && r.entity === r.over;
    let bound = 1 + 7 * 8 + stringBound(r.by) + stringBound(explanation.text) + 4;
    bound += (r.over === null ? 0 : stringBound(r.over)) + (entityIsOver ? 0 : stringBound(r.entity));
    bound += r.groupId === undefined ? 0 : stringBound(r.groupId);
    for (const c of causes) {
      bound += stringBound(c.by) + 16;
    }
    this.reserve(bound);
    this.bytes[this.used++] =
      (r.over === null ? OVER_NULL : 0) |
      (entityIsOver ? ENTITY_IS_OVER : 0) |
      (explanation.firstOccurrence ? FIRST_OCCURRENCE : 0) |
      (r.groupId === undefined ? 0 : HAS_GROUP);
    for (const n of [r.probability, r.rawScore, r.score, r.typical, r.actual, r.count, explanation.relativeRarity]) {
      this.writeNumber(n);
    }
    this.writeString(r.by);
    if (r.over !== null) {
      this.writeString(r.over);
    }
    if (!entityIsOver) {
      this.writeString(r.entity);
    }
    this.writeString(explanation.text);
    if (r.groupId !== undefined) {
      this.writeString(r.groupId);
    }
    this.view.setUint32(this.used, causes.length, true);
    this.used += 4;
    for (const c of causes) {
      this.writeString(c.by);
      this.writeNumber(c.probability);
      this.writeNumber(c.count);
    }
  }

  private read(i: number): RecordResult {
    this.at = i === 0 ? 0 : this.ends[i - 1];
    const flags = this.bytes[this.at++];
    if (flags & UNPACKED) {
      return structuredClone(this.unpacked.get(i)!);
    }
    const probability = this.readNumber();
    const rawScore = this.readNumber();
    const score = this.readNumber();
    const typical = this.readNumber();
    const actual = this.readNumber();
    const count = this.readNumber();
    const relativeRarity = this.readNumber();
    const by = this.readString();
    const over = flags & OVER_NULL ? null : this.readString();
    const entity = flags & ENTITY_IS_OVER ? over! : this.readString();
    const text = this.readString();
    const groupId = flags & HAS_GROUP ? this.readString() : undefined;
    const causes: Cause[] = new Array(this.view.getUint32(this.at, true));
    this.at += 4;
    for (let c = 0; c < causes.length; c++) {
      causes[c] = { by: this.readString(), probability: this.readNumber(), count: this.readNumber() };
    }
    const record: RecordResult = {
      time: this.times[i],
      by,
      over,
      entity,
      probability,
      rawScore,
      score,
      typical,
      actual,
      count,
      causes,
      explanation: { firstOccurrence: (flags & FIRST_OCCURRENCE) !== 0, relativeRarity, text },
    };
    if (groupId !== undefined) {
      record.groupId = groupId;
    }
    return record;
  }

  private reserve(bytes: number): void {
    const grown = growUint8(this.bytes, this.used + bytes);
    if (grown !== this.bytes) {
      this.setBytes(grown);
    }
  }

  private setBytes(bytes: Uint8Array<ArrayBuffer>): void {
    this.bytes = bytes;
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  private writeNumber(n: number): void {
    this.view.setFloat64(this.used, n, true);
    this.used += 8;
  }

  private readNumber(): number {
    const n = this.view.getFloat64(this.at, true);
    this.at += 8;
    return n;
  }

  private writeString(s: string): void {
    const wide = isLatin1(s) ? 0 : WIDE;
    const written = this.text.write(s, this.used + 4, wide ? 'utf16le' : 'latin1');
    this.view.setUint32(this.used, (written << 1) | wide, true);
    this.used += 4 + written;
  }

  private readString(): string {
    const word = this.view.getUint32(this.at, true);
    const start = this.at + 4;
    this.at = start + (word >>> 1);
    return this.text.toString(word & WIDE ? 'utf16le' : 'latin1', start, this.at);
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
