/**
 * A large array of a model's state that is read out of the model's typed arrays as it is written, never built
 * whole. At a million entities a model's state as arrays of strings and numbers is some 80 MB on top of the
 * model itself; a snapshot's writer (store/state/snapshotCodec.ts) takes a column a slice at a time instead,
 * so what it holds at once is one slice. toJSON() gives the whole array, so JSON.stringify writes the same text
 * and anything that wants plain data still gets it.
 *
 * A column reads the live model: it must be written before the model changes again.
 */

/** Each call returns the next elements, at most `max` of them and at least one until the column is done (then none). */
export type ColumnReader<T> = (max: number) => T[];

export class JsonColumn<T> {
  constructor(private readonly open: () => ColumnReader<T>) {}

  /** A reader from the column's first element. */
  reader(): ColumnReader<T> {
    return this.open();
  }

  toJSON(): T[] {
    const read = this.open();
    const all = read(Infinity);
    // A reader may give fewer than asked before its end.
    for (let more = all.length > 0 ? read(Infinity) : []; more.length > 0; more = read(Infinity)) {
      for (let i = 0; i < more.length; i++) {
        all.push(more[i]);
      }
    }
    return all;
  }
}

/** A state in which any array may be a column: what a snapshot is written from. */
export type Streamed<S> = { [K in keyof S]: S[K] extends Array<infer T> ? T[] | JsonColumn<T> : S[K] };

/** The state with its columns read out: what the models' toJSON() give. */
export function materialize<S extends object>(state: Streamed<S>): S {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state)) {
    out[k] = v instanceof JsonColumn ? v.toJSON() : v;
  }
  return out as S;
}

/**
 * Which arrays of a snapshot are read back as columns rather than as arrays of JS values: by the key that holds
 * them, wherever it sits. A restore reads a million names out of the snapshot's bytes without making a string of
 * each, and numbers into a Float64Array; any other key is read as JSON.parse would.
 */
export interface SnapshotColumns {
  /** Arrays of strings, read as NameColumns. */
  readonly names: readonly string[];
  /** Arrays of numbers, read as Float64Arrays. */
  readonly numbers: readonly string[];
}

/**
 * Strings as read from a snapshot's bytes: those that are plain ASCII as ranges of the bytes, any other (an
 * escape, a character past U+007F) decoded as a string.
 */
export class NameColumn {
  constructor(
    readonly bytes: Uint8Array,
    /** [start, end) of name i in bytes; start −1 when it is in `decoded`. */
    readonly start: Int32Array,
    readonly end: Int32Array,
    readonly decoded: ReadonlyMap<number, string>,
  ) {}

  get length(): number {
    return this.start.length;
  }

  name(i: number): string {
    const start = this.start[i];
    if (start < 0) {
      return this.decoded.get(i)!;
    }
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + start, this.end[i] - start).toString('latin1');
  }
}
