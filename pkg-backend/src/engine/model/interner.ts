/**
 * Strings ↔ dense integer ids, so a model keeps its per-value state in typed arrays indexed by id.
 * Freed ids are reused, so those arrays stay as long as the largest live set rather than everything ever
 * seen.
 *
 * The dictionary is an open-addressing hash over the ids (linear probing, backward-shift deletion), not a
 * Map: with hundreds of thousands of over values coming and going, a Map's lookups miss the cache on its
 * chains and its deletions leave holes that it rehashes away again and again. Each slot holds the id and
 * its hash side by side, so a probe reads one cache line and compares characters only when the hashes
 * match.
 *
 * The names themselves are not kept as strings but as one byte per character in an arena (strings with a
 * character above U+00FF, rare in log fields, are kept as they are): a million IP addresses as strings
 * would be a million objects in V8's old generation, about three times the bytes, and every string of the
 * aggregate's rows that became a name would outlive its row. A name is decoded only when asked for, which
 * the models do for records and snapshots, not per tuple. Freed bytes are reclaimed by compacting the arena
 * once they are the majority.
 */
import { allocateBuffer, growInt32, growUint16, growUint8, release, stringBytes } from './memory.ts';

const EMPTY = -1;
/** The table doubles before it is half full, so probes stay short. Slots keep the hash, so growing it reads no name. */
const MAX_LOAD = 1 / 2;
/** start[id] of a name kept as a string in `wide`. */
const WIDE = -1;
/** Longest name kept in the arena (its length is a Uint16); longer ones are kept as strings. */
const MAX_ARENA_LENGTH = 0xffff;
/** The arena is compacted when freed bytes are the majority and at least this many. */
const COMPACT_BYTES = 1 << 16;

/** FNV-1a over the UTF-16 code units, finished with a murmur3 mix so that similar strings spread. */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  return finish(h);
}

/** hashOf of the name whose characters are bytes[start, end): the same code units, so the same hash. */
function hashOfBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h = Math.imul(h ^ bytes[i], 0x01000193);
  }
  return finish(h);
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class Interner {
  /** id → offset of its characters in the arena, or WIDE. */
  private start = new Int32Array(0);
  private length = new Uint16Array(0);
  private arena = new Uint8Array(0);
  /**
   * The arena's bytes read as Latin-1 (one byte, one character, exactly: ISO-8859-1, not the WHATWG label):
   * a name is one native decode, where String.fromCharCode over a subarray made a view and an argument list
   * for each, most of what a million entities' snapshot allocated.
   */
  private arenaText = Buffer.alloc(0);
  private arenaUsed = 0;
  private arenaFreed = 0;
  private readonly wide = new Map<number, string>();
  /** Pairs of slots: [2s] the id (−1 when empty), [2s + 1] its hash. */
  private table = new Int32Array(2 * 16).fill(EMPTY);
  private mask = 15;
  /** The name `id` last looked up, and its hash. */
  private lastName: string | undefined;
  private lastHash = 0;
  private readonly free: number[] = [];
  private ids = 0;
  private live = 0;
  private textBytes = 0;

  /** Live ids. */
  get size(): number {
    return this.live;
  }

  /** One past the highest id ever handed out: the length arrays indexed by id need. */
  get capacity(): number {
    return this.ids;
  }

  id(name: string): number | undefined {
    const { table, mask } = this;
    const h = hashOf(name);
    // A miss is usually followed by add(name): it then reuses the hash instead of computing it again.
    this.lastName = name;
    this.lastHash = h;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const id = table[2 * slot];
      if (id === EMPTY) {
        return undefined;
      }
      if (table[2 * slot + 1] === h && this.is(id, name)) {
        return id;
      }
    }
  }

  /** The name of a live id ('' once removed). */
  name(id: number): string {
    const start = this.start[id];
    if (start === WIDE) {
      return this.wide.get(id)!;
    }
    return this.arenaText.toString('latin1', start, start + this.length[id]);
  }

  /** Adds a name that is not interned yet. */
  add(name: string): number {
    const id = this.allocate();
    this.store(id, name);
    this.insert(id, name === this.lastName ? this.lastHash : hashOf(name));
    this.live++;
    this.textBytes += stringBytes(name.length);
    return id;
  }

  /**
   * Adds the name whose characters are bytes[start, end), one byte each (ASCII from a snapshot's JSON), without
   * making a string of it. The name must not be interned yet.
   */
  addBytes(bytes: Uint8Array, start: number, end: number): number {
    const n = end - start;
    if (n > MAX_ARENA_LENGTH) {
      return this.add(Buffer.from(bytes.buffer, bytes.byteOffset + start, n).toString('latin1'));
    }
    const id = this.allocate();
    if (this.arenaUsed + n > this.arena.length) {
      this.growArena(this.arenaUsed + n);
    }
    // Byte by byte: a subarray to copy from would be an object per name, a million of them.
    const { arena } = this;
    const at = this.arenaUsed;
    for (let i = 0; i < n; i++) {
      arena[at + i] = bytes[start + i];
    }
    this.start[id] = at;
    this.length[id] = n;
    this.arenaUsed += n;
    this.insert(id, hashOfBytes(bytes, start, end));
    this.live++;
    this.textBytes += stringBytes(n);
    return id;
  }

  /** An id for a name about to be added (a freed one first), with room in the table and the arrays for it. */
  private allocate(): number {
    if (this.live + 1 > MAX_LOAD * (this.mask + 1)) {
      this.rehash(2 * (this.mask + 1));
    }
    const id = this.free.length > 0 ? this.free.pop()! : this.ids++;
    if (id >= this.start.length) {
      this.start = growInt32(this.start, id + 1);
      this.length = growUint16(this.length, this.start.length);
    }
    return id;
  }

  remove(id: number): void {
    this.live--;
    const start = this.start[id];
    if (start === WIDE) {
      const name = this.wide.get(id)!;
      this.removeSlot(id, hashOf(name));
      this.textBytes -= stringBytes(name.length);
      this.wide.delete(id);
    } else {
      const n = this.length[id];
      this.removeSlot(id, hashOfBytes(this.arena, start, start + n));
      this.textBytes -= stringBytes(n);
      this.arenaFreed += n;
    }
    this.start[id] = 0;
    this.length[id] = 0;
    this.free.push(id);
    if (this.arenaFreed >= COMPACT_BYTES && 2 * this.arenaFreed > this.arenaUsed) {
      this.compact();
    }
  }

  /** Heap bytes the live names would take as strings: what the models' memory estimates count. */
  get stringBytes(): number {
    return this.textBytes;
  }

  private is(id: number, name: string): boolean {
    const start = this.start[id];
    if (start === WIDE) {
      return this.wide.get(id) === name;
    }
    const n = this.length[id];
    if (n !== name.length) {
      return false;
    }
    const { arena } = this;
    for (let i = 0; i < n; i++) {
      if (arena[start + i] !== name.charCodeAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Copies the name's characters into the arena, or keeps it as a string if one does not fit a byte. */
  private store(id: number, name: string): void {
    const n = name.length;
    if (n <= MAX_ARENA_LENGTH) {
      if (this.arenaUsed + n > this.arena.length) {
        this.growArena(this.arenaUsed + n);
      }
      const { arena } = this;
      const start = this.arenaUsed;
      let i = 0;
      for (; i < n; i++) {
        const c = name.charCodeAt(i);
        if (c > 0xff) {
          break;
        }
        arena[start + i] = c;
      }
      if (i === n) {
        this.start[id] = start;
        this.length[id] = n;
        this.arenaUsed += n;
        return;
      }
    }
    this.start[id] = WIDE;
    this.length[id] = 0;
    this.wide.set(id, name);
  }

  private growArena(needed: number): void {
    this.setArena(growUint8(this.arena, Math.max(needed, 256)));
  }

  private setArena(arena: Uint8Array<ArrayBuffer>): void {
    this.arena = arena;
    this.arenaText = Buffer.from(arena.buffer, arena.byteOffset, arena.length);
  }

  /** Moves the live names to the front of a fresh arena, in id order. */
  private compact(): void {
    const live = this.arenaUsed - this.arenaFreed;
    // Grown from nothing, so that a large arena is a mapped buffer that can keep growing in place.
    const arena = growUint8(new Uint8Array(0), Math.max(Math.ceil(live * 1.25), 256));
    const { start, length, arena: old } = this;
    let used = 0;
    for (let id = 0; id < this.ids; id++) {
      const from = start[id];
      if (from !== WIDE) {
        const n = length[id];
        for (let i = 0; i < n; i++) {
          arena[used + i] = old[from + i];
        }
        start[id] = used;
        used += n;
      }
    }
    release(old.buffer);
    this.setArena(arena);
    this.arenaUsed = used;
    this.arenaFreed = 0;
  }

  private insert(id: number, h: number): void {
    const { table, mask } = this;
    let slot = h & mask;
    while (table[2 * slot] !== EMPTY) {
      slot = (slot + 1) & mask;
    }
    table[2 * slot] = id;
    table[2 * slot + 1] = h;
  }

  /** Linear probing deletion by backward shift: no tombstones, so lookups never slow down. */
  private removeSlot(id: number, h: number): void {
    const { table, mask } = this;
    let hole = h & mask;
    while (table[2 * hole] !== id) {
      hole = (hole + 1) & mask;
    }
    for (let slot = (hole + 1) & mask; table[2 * slot] !== EMPTY; slot = (slot + 1) & mask) {
      const home = table[2 * slot + 1] & mask;
      // The entry may fill the hole unless its home lies cyclically in (hole, slot].
      const stays = hole <= slot ? home > hole && home <= slot : home > hole || home <= slot;
      if (!stays) {
        table[2 * hole] = table[2 * slot];
        table[2 * hole + 1] = table[2 * slot + 1];
        hole = slot;
      }
    }
    table[2 * hole] = EMPTY;
  }

  private rehash(slots: number): void {
    const old = this.table;
    this.table = new Int32Array(allocateBuffer(2 * slots * 4)).fill(EMPTY);
    this.mask = slots - 1;
    for (let s = 0; s < old.length; s += 2) {
      if (old[s] !== EMPTY) {
        this.insert(old[s], old[s + 1]);
      }
    }
    release(old.buffer);
  }
}
