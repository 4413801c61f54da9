/**
 * The (by value, over entity) pairs of a population model. Each pair sits in its entity's list and its
 * value's list (in typed arrays), so forgetting an entity or a value drops exactly its own pairs; an
 * open-addressing hash on the two ids finds a pair in O(1). A value's spread is the length of its list.
 * Value lists are doubly linked, since a value can have a million entities; an entity has a handful of
 * values, so its list is singly linked and walked when a value goes. Pair ids are reused once freed.
 */
import { allocateBuffer, growInt32, release } from './memory.ts';

const NONE = -1;

/** The table doubles before it is two-thirds full, so linear probes stay short. */
const MAX_LOAD = 2 / 3;

function hash(entity: number, value: number): number {
  let h = Math.imul(entity ^ Math.imul(value, 0x27d4eb2d), 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

export class PairStore {
  private value = new Int32Array(0);
  private entity = new Int32Array(0);
  private nextOfEntity = new Int32Array(0);
  private nextOfValue = new Int32Array(0);
  private prevOfValue = new Int32Array(0);
  private entityHead = new Int32Array(0);
  private valueHead = new Int32Array(0);
  /** Number of pairs of each value: its spread. */
  private spreads = new Int32Array(0);
  private table = new Int32Array(16).fill(NONE);
  private freeHead = NONE;
  private used = 0;
  private live = 0;

  get size(): number {
    return this.live;
  }

  /** One past the highest pair id ever handed out. */
  get capacity(): number {
    return this.used;
  }

  valueOf(pair: number): number {
    return this.value[pair];
  }

  spread(value: number): number {
    return this.spreads[value];
  }

  /** Makes room for entity ids below `entities` and value ids below `values`. */
  reserve(entities: number, values: number): void {
    if (entities > this.entityHead.length) {
      this.entityHead = growInt32(this.entityHead, entities, NONE);
    }
    if (values > this.valueHead.length) {
      this.valueHead = growInt32(this.valueHead, values, NONE);
      this.spreads = growInt32(this.spreads, values);
    }
  }

  /** The pair's id, or −1. */
  find(entity: number, value: number): number {
    const mask = this.table.length - 1;
    for (let slot = hash(entity, value) & mask; ; slot = (slot + 1) & mask) {
      const pair = this.table[slot];
      if (pair === NONE || (this.entity[pair] === entity && this.value[pair] === value)) {
        return pair;
      }
    }
  }

  /** Adds a pair that does not exist yet; the entity and the value must have been reserved. */
  add(entity: number, value: number): number {
    if (this.live + 1 > MAX_LOAD * this.table.length) {
      this.rehash(this.table.length * 2);
    }
    let pair = this.freeHead;
    if (pair === NONE) {
      pair = this.used++;
      if (pair >= this.value.length) {
        this.growPairs(pair + 1);
      }
    } else {
      this.freeHead = this.nextOfEntity[pair];
    }
    this.live++;
    this.entity[pair] = entity;
    this.value[pair] = value;
    this.nextOfEntity[pair] = this.entityHead[entity];
    this.entityHead[entity] = pair;
    this.prevOfValue[pair] = NONE;
    this.nextOfValue[pair] = this.valueHead[value];
    if (this.valueHead[value] !== NONE) {
      this.prevOfValue[this.valueHead[value]] = pair;
    }
    this.valueHead[value] = pair;
    this.spreads[value]++;
    this.insertSlot(pair);
    return pair;
  }

  /** Drops every pair of the entity. */
  removeEntity(entity: number): void {
    for (let pair = this.entityHead[entity]; pair !== NONE;) {
      const next = this.nextOfEntity[pair];
      this.unlinkFromValue(pair);
      this.release(pair);
      pair = next;
    }
    this.entityHead[entity] = NONE;
  }

  /** Drops every pair of the value. */
  removeValue(value: number): void {
    for (let pair = this.valueHead[value]; pair !== NONE;) {
      const next = this.nextOfValue[pair];
      this.unlinkFromEntity(pair);
      this.release(pair);
      pair = next;
    }
    this.valueHead[value] = NONE;
    this.spreads[value] = 0;
  }

  /** The entity's most recently added pair, or −1: with pairAfter, its pairs in the order a snapshot lists them. */
  firstPairOf(entity: number): number {
    return this.entityHead[entity];
  }

  /** The entity's pair added before `pair`, or −1. */
  pairAfter(pair: number): number {
    return this.nextOfEntity[pair];
  }

  private unlinkFromValue(pair: number): void {
    const value = this.value[pair];
    const p = this.prevOfValue[pair];
    const n = this.nextOfValue[pair];
    if (p === NONE) {
      this.valueHead[value] = n;
    } else {
      this.nextOfValue[p] = n;
    }
    if (n !== NONE) {
      this.prevOfValue[n] = p;
    }
    this.spreads[value]--;
  }

  private unlinkFromEntity(pair: number): void {
    const entity = this.entity[pair];
    let p = this.entityHead[entity];
    if (p === pair) {
      this.entityHead[entity] = this.nextOfEntity[pair];
      return;
    }
    while (this.nextOfEntity[p] !== pair) {
      p = this.nextOfEntity[p];
    }
    this.nextOfEntity[p] = this.nextOfEntity[pair];
  }

  /** Takes the pair out of the hash and onto the free list (its list links are already undone). */
  private release(pair: number): void {
    this.removeSlot(pair);
    this.entity[pair] = NONE;
    this.value[pair] = NONE;
    this.nextOfEntity[pair] = this.freeHead;
    this.freeHead = pair;
    this.live--;
  }

  private insertSlot(pair: number): void {
    const mask = this.table.length - 1;
    let slot = hash(this.entity[pair], this.value[pair]) & mask;
    while (this.table[slot] !== NONE) {
      slot = (slot + 1) & mask;
    }
    this.table[slot] = pair;
  }

  /** Linear probing deletion by backward shift: no tombstones, so lookups never slow down. */
  private removeSlot(pair: number): void {
    const table = this.table;
    const mask = table.length - 1;
    let hole = hash(this.entity[pair], this.value[pair]) & mask;
    while (table[hole] !== pair) {
      hole = (hole + 1) & mask;
    }
    for (let slot = (hole + 1) & mask; table[slot] !== NONE; slot = (slot + 1) & mask) {
      const home = hash(this.entity[table[slot]], this.value[table[slot]]) & mask;
      // The entry may fill the hole unless its home lies cyclically in (hole, slot].
      const stays = hole <= slot ? home > hole && home <= slot : home > hole || home <= slot;
      if (!stays) {
        table[hole] = table[slot];
        hole = slot;
      }
    }
    table[hole] = NONE;
  }

  private rehash(length: number): void {
    release(this.table.buffer);
    this.table = new Int32Array(allocateBuffer(length * 4)).fill(NONE);
    for (let pair = 0; pair < this.used; pair++) {
      if (this.entity[pair] !== NONE) {
        this.insertSlot(pair);
      }
    }
  }

  private growPairs(needed: number): void {
    this.value = growInt32(this.value, needed);
    this.entity = growInt32(this.entity, needed);
    this.nextOfEntity = growInt32(this.nextOfEntity, needed);
    this.nextOfValue = growInt32(this.nextOfValue, needed);
    this.prevOfValue = growInt32(this.prevOfValue, needed);
  }
}
