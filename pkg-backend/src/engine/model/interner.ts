/**
 * Strings ↔ dense integer ids, so a model keeps its per-value state in typed arrays indexed by id.
 * Freed ids are reused, so those arrays stay as long as the largest live set rather than everything ever
 * seen.
 */
import { stringBytes } from './memory.ts';

export class Interner {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly free: number[] = [];
  private textBytes = 0;

  /** Live ids. */
  get size(): number {
    return this.ids.size;
  }

  /** One past the highest id ever handed out: the length arrays indexed by id need. */
  get capacity(): number {
    return this.names.length;
  }

  id(name: string): number | undefined {
    return this.ids.get(name);
  }

  name(id: number): string {
    return this.names[id];
  }

  add(name: string): number {
    const id = this.free.length > 0 ? this.free.pop()! : this.names.length;
    this.names[id] = name;
    this.ids.set(name, id);
    this.textBytes += stringBytes(name);
    return id;
  }

  remove(id: number): void {
    const name = this.names[id];
    this.ids.delete(name);
    this.textBytes -= stringBytes(name);
    // Drop the reference so the string can be collected.
    this.names[id] = '';
    this.free.push(id);
  }

  /** Heap bytes of the live strings themselves. */
  get stringBytes(): number {
    return this.textBytes;
  }
}
