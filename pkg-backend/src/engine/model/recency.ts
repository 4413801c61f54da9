/**
 * Ids in the order they were last touched, oldest first (a doubly linked list in typed arrays). Touching
 * moves an id to the back in O(1), so forgetting everything idle since a cutoff pops from the front and
 * costs only what expires.
 */
import { growInt32 } from './memory.ts';

const NONE = -1;

export class RecencyList {
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  private head = NONE;
  private tail = NONE;

  /** Least recently touched id, or −1 when empty. */
  get oldest(): number {
    return this.head;
  }

  /** Adds a new id at the back. */
  append(id: number): void {
    if (id >= this.prev.length) {
      this.prev = growInt32(this.prev, id + 1);
      this.next = growInt32(this.next, id + 1);
    }
    this.prev[id] = this.tail;
    this.next[id] = NONE;
    if (this.tail === NONE) {
      this.head = id;
    } else {
      this.next[this.tail] = id;
    }
    this.tail = id;
  }

  /** Moves a listed id to the back. */
  touch(id: number): void {
    if (id !== this.tail) {
      this.remove(id);
      this.append(id);
    }
  }

  remove(id: number): void {
    const p = this.prev[id];
    const n = this.next[id];
    if (p === NONE) {
      this.head = n;
    } else {
      this.next[p] = n;
    }
    if (n === NONE) {
      this.tail = p;
    } else {
      this.prev[n] = p;
    }
  }

  /** The id after `id` towards the most recent, or −1. */
  after(id: number): number {
    return this.next[id];
  }
}
