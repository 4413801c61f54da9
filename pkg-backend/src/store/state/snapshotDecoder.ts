/**
 * Reads a snapshot's JSON bytes as JSON.parse would, except the arrays under the given column keys: arrays of
 * strings become NameColumns (ranges of the bytes), arrays of numbers Float64Arrays. At a million entities
 * JSON.parse of the text made a million strings and the text itself, some 320 MB under bun on top of the model
 * being restored from them; columns are the names' bytes and eight bytes a number.
 *
 * Only objects and arrays that hold a column key are walked here; every other value, and a column that turns
 * out not to be of its kind (a null, a nested array), is handed to JSON.parse whole, so what this reads is
 * exactly what JSON.parse reads. The bytes were written by snapshotCodec.ts, so they are JSON: malformed input
 * gets an error, not a guess.
 */
import { NameColumn, type SnapshotColumns } from '../../runtime/jsonColumn.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** Integers of at most this many digits are exact as they are summed digit by digit. */
const EXACT_DIGITS = 15;

export function parseSnapshotJson(bytes: Buffer, columns: SnapshotColumns): unknown {
  return new Reader(bytes, columns).document();
}

class Reader {
  private pos = 0;
  private readonly names: ReadonlySet<string>;
  private readonly numbers: ReadonlySet<string>;
  /** `"key":` of every column, to tell whether a value holds one without walking it. */
  private readonly needles: Buffer[];

  constructor(
    private readonly bytes: Buffer,
    columns: SnapshotColumns,
  ) {
    this.names = new Set(columns.names);
    this.numbers = new Set(columns.numbers);
    this.needles = [...columns.names, ...columns.numbers].map((k) => Buffer.from(`${JSON.stringify(k)}:`));
  }

  document(): unknown {
    const value = this.value();
    this.space();
    if (this.pos !== this.bytes.length) {
      throw new SyntaxError(`unexpected content at byte ${this.pos} of the snapshot's JSON`);
    }
    return value;
  }

  private value(): unknown {
    this.space();
    const start = this.pos;
    const end = this.skip(start);
    const c = this.bytes[start];
    if ((c === OPEN_OBJECT || c === OPEN_ARRAY) && this.holdsColumn(start, end)) {
      return c === OPEN_OBJECT ? this.object(end) : this.array(end);
    }
    this.pos = end;
    return this.parse(start, end);
  }

  private object(end: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.members(end, CLOSE_OBJECT, () => {
      const keyStart = this.pos;
      this.pos = this.skip(keyStart);
      const key = this.parse(keyStart, this.pos) as string;
      this.space();
      this.expect(COLON);
      this.space();
      let v: unknown;
      if (this.bytes[this.pos] === OPEN_ARRAY && this.names.has(key)) {
        v = this.column((end, count) => this.nameColumn(end, count));
      } else if (this.bytes[this.pos] === OPEN_ARRAY && this.numbers.has(key)) {
        v = this.column((end, count) => this.numberColumn(end, count));
      } else {
        v = this.value();
      }
      // As JSON.parse: a repeated key keeps its last value, and __proto__ is an own property.
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    });
    return out;
  }

  private array(end: number): unknown[] {
    const out: unknown[] = [];
    this.members(end, CLOSE_ARRAY, () => {
      out.push(this.value());
    });
    return out;
  }

  /**
   * The comma-separated members of the object or array at `pos`, which ends at `end` with `close`. False, and
   * `pos` left where it was, when `member` refuses one.
   */
  private members(end: number, close: number, member: () => boolean | void): boolean {
    this.pos++;
    this.space();
    if (this.bytes[this.pos] === close) {
      this.pos++;
      return true;
    }
    for (;;) {
      this.space();
      if (member() === false) {
        return false;
      }
      this.space();
      if (this.bytes[this.pos] === COMMA) {
        this.pos++;
        continue;
      }
      this.expect(close);
      if (this.pos !== end) {
        throw new SyntaxError(`a value ends at byte ${this.pos}, expected ${end}`);
      }
      return true;
    }
  }

  /**
   * A column read by `read` from the array at `pos` (its end and element count given), or, when it is not of its
   * kind after all, the array as JSON.parse reads it.
   */
  private column(read: (end: number, count: number) => unknown): unknown {
    const start = this.pos;
    const { end, count } = this.arrayExtent(start);
    const value = read(end, count);
    if (value !== undefined) {
      return value;
    }
    this.pos = end;
    return this.parse(start, end);
  }

  /** Undefined when an element is not a string. */
  private nameColumn(end: number, count: number): NameColumn | undefined {
    const { bytes } = this;
    const starts = new Int32Array(count);
    const ends = new Int32Array(count);
    const decoded = new Map<number, string>();
    let n = 0;
    const read = this.members(end, CLOSE_ARRAY, () => {
      if (bytes[this.pos] !== QUOTE) {
        return false;
      }
      const open = this.pos;
      let i = open + 1;
      let plain = true;
      for (let c = bytes[i]; c !== QUOTE; c = bytes[i]) {
        if (c === BACKSLASH) {
          plain = false;
          i += 2;
        } else {
          if (c >= 0x80 || c < 0x20) {
            plain = false;
          }
          i++;
        }
        if (i >= bytes.length) {
          throw new SyntaxError(`unterminated string at byte ${open} of the snapshot's JSON`);
        }
      }
      if (plain) {
        starts[n] = open + 1;
        ends[n] = i;
      } else {
        starts[n] = -1;
        decoded.set(n, this.parse(open, i + 1) as string);
      }
      n++;
      this.pos = i + 1;
      return true;
    });
    if (!read) {
      return undefined;
    }
    checkCount(n, count);
    return new NameColumn(bytes, starts, ends, decoded);
  }

  /** Undefined when an element is not a number. */
  private numberColumn(end: number, count: number): Float64Array | undefined {
    const { bytes } = this;
    const out = new Float64Array(count);
    let n = 0;
    const read = this.members(end, CLOSE_ARRAY, () => {
      const start = this.pos;
      let i = start;
      const negative = bytes[i] === MINUS;
      if (negative) {
        i++;
      }
      let integer = 0;
      const digitsFrom = i;
      while (bytes[i] >= ZERO && bytes[i] <= NINE) {
        integer = integer * 10 + (bytes[i] - ZERO);
        i++;
      }
      const c = bytes[i];
      if (i > digitsFrom && i - digitsFrom <= EXACT_DIGITS && (c === COMMA || c === CLOSE_ARRAY || isSpace(c))) {
        out[n++] = negative ? -integer : integer;
        this.pos = i;
        return true;
      }
      // Fractions, exponents, long integers: the token's own text, parsed as JSON.parse parses it.
      const tokenEnd = this.skip(start);
      const parsed = this.parse(start, tokenEnd);
      if (typeof parsed !== 'number') {
        return false;
      }
      out[n++] = parsed;
      this.pos = tokenEnd;
      return true;
    });
    if (!read) {
      return undefined;
    }
    checkCount(n, count);
    return out;
  }

  /** End of the value that starts at `start` (after whitespace): strings and nesting followed byte by byte. */
  private skip(start: number): number {
    const { bytes } = this;
    const c = bytes[start];
    if (c === QUOTE) {
      let i = start + 1;
      while (bytes[i] !== QUOTE) {
        i += bytes[i] === BACKSLASH ? 2 : 1;
        if (i >= bytes.length) {
          throw new SyntaxError(`unterminated string at byte ${start} of the snapshot's JSON`);
        }
      }
      return i + 1;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      let depth = 0;
      for (let i = start; i < bytes.length; i++) {
        const b = bytes[i];
        if (b === QUOTE) {
          i = this.skip(i) - 1;
        } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
          depth++;
        } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
          if (--depth === 0) {
            return i + 1;
          }
        }
      }
      throw new SyntaxError(
        `unterminated ${c === OPEN_OBJECT ? 'object' : 'array'} at byte ${start} of the snapshot's JSON`,
      );
    }
    let i = start;
    while (
      i < bytes.length &&
      !isSpace(bytes[i]) &&
      bytes[i] !== COMMA &&
      bytes[i] !== CLOSE_ARRAY &&
      bytes[i] !== CLOSE_OBJECT
    ) {
      i++;
    }
    if (i === start) {
      throw new SyntaxError(`expected a value at byte ${start} of the snapshot's JSON`);
    }
    return i;
  }

  /**
   * End and element count of the array that starts at `start` (its commas outside strings and nested values,
   * plus one). Counted first so that a column is allocated once at its length, where growing it left as much
   * garbage again as it kept.
   */
  private arrayExtent(start: number): { end: number; count: number } {
    const { bytes } = this;
    let i = start + 1;
    while (isSpace(bytes[i])) {
      i++;
    }
    let commas = 0;
    const empty = bytes[i] === CLOSE_ARRAY;
    for (let depth = 1; ; i++) {
      const b = bytes[i];
      if (b === QUOTE) {
        i = this.skip(i) - 1;
      } else if (b === COMMA) {
        commas += depth === 1 ? 1 : 0;
      } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
        depth++;
      } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
        if (--depth === 0) {
          return { end: i + 1, count: empty ? 0 : commas + 1 };
        }
      } else if (i >= bytes.length) {
        throw new SyntaxError(`unterminated array at byte ${start} of the snapshot's JSON`);
      }
    }
  }

  private holdsColumn(start: number, end: number): boolean {
    return this.needles.some((needle) => {
      const at = this.bytes.indexOf(needle, start);
      return at >= 0 && at < end;
    });
  }

  private parse(start: number, end: number): unknown {
    return JSON.parse(this.bytes.toString('utf8', start, end));
  }

  private space(): void {
    while (isSpace(this.bytes[this.pos])) {
      this.pos++;
    }
  }

  private expect(c: number): void {
    if (this.bytes[this.pos] !== c) {
      throw new SyntaxError(
        `expected ${JSON.stringify(String.fromCharCode(c))} at byte ${this.pos} of the snapshot's JSON`,
      );
    }
    this.pos++;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function checkCount(read: number, counted: number): void {
  if (read !== counted) {
    throw new SyntaxError(`a column held ${read} elements where ${counted} were counted`);
  }
}
