/**
 * Strings ↔ dense integer ids, so a model keeps its per-value state in typed arrays indexed by id.
 * Freed ids are reused, so those arrays stay as long as the largest live set rather than everything ever
 * seen.
 *
 * The dictionary is an open-addressing hash over the ids (linear probing, backward-shift deletion), not a
 * Map: with hundreds of thousands of over values coming and going, a Map's lookups miss the cache on its
 * chains and its deletions leave holes that it rehashes away again and again. Each slot holds the id and
 * its hash side by side, so a probe reads one cache line and touches a stored string only when the hashes
 * match.
 */
import { growInt32, release, stringBytes } from './memory.ts';

const EMPTY = -1;
/** The table doubles before it is half full, so probes stay short. */
const MAX_LOAD = 1 / 2;

/** FNV-1a over the UTF-16 code units, finished with a murmur3 mix so that similar strings spread. */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class Interner {
  private readonly names: string[] = [];
  /** id → its hash, so removing an id does not hash its string again. */
  private hashes = new Int32Array(0);
  /** Pairs of slots: [2s] the id (−1 when empty), [2s + 1] its hash. */
  private table = new Int32Array(2 * 16).fill(EMPTY);
  private mask = 15;
  private readonly free: number[] = [];
  private live = 0;
  private textBytes = 0;

  /** Live ids. */
  get size(): number {
    return this.live;
  }

  /** One past the highest id ever handed out: the length arrays indexed by id need. */
  get capacity(): number {
    return this.names.length;
  }

  id(name: string): number | undefined {
    const { table, mask, names } = this;
    const h = hashOf(name);
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const id = table[2 * slot];
      if (id === EMPTY) {
        return undefined;
      }
      if (table[2 * slot + 1] === h && names[id] === name) {
        return id;
      }
    }
  }

  name(id: number): string {
    return this.names[id];
  }

  /** Adds a name that is not interned yet. */
  add(name: string): number {
    if (this.live + 1 > MAX_LOAD * (this.mask + 1)) {
      this.rehash(2 * (this.mask + 1));
    }
    const id = this.free.length > 0 ? this.free.pop()! : this.names.length;
    this.names[id] = name;
    if (id >= this.hashes.length) {
      this.hashes = growInt32(this.hashes, id + 1);
    }
    const h = hashOf(name);
    this.hashes[id] = h;
    this.insert(id, h);
    this.live++;
    this.textBytes += stringBytes(name);
    return id;
  }

  remove(id: number): void {
    const name = this.names[id];
    this.removeSlot(id, this.hashes[id]);
    this.live--;
    this.textBytes -= stringBytes(name);
    // Drop the reference so the string can be collected.
    this.names[id] = '';
    this.free.push(id);
  }

  /** Heap bytes of the live strings themselves. */
  get stringBytes(): number {
    return this.textBytes;
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
    this.table = new Int32Array(2 * slots).fill(EMPTY);
    this.mask = slots - 1;
    for (let s = 0; s < old.length; s += 2) {
      if (old[s] !== EMPTY) {
        this.insert(old[s], old[s + 1]);
      }
    }
    release(old.buffer);
  }
}
