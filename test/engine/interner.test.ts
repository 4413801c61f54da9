import { describe, expect, it } from 'vitest';
import { Interner } from '../../pkg-backend/src/engine/model/interner.ts';
import { stringBytes } from '../../pkg-backend/src/engine/model/memory.ts';

/** A reference of what the interner must agree with: names by id, and ids by name. */
class Reference {
  readonly byId = new Map<number, string>();
  readonly byName = new Map<string, number>();
}

function check(interner: Interner, ref: Reference): void {
  expect(interner.size).toBe(ref.byId.size);
  let bytes = 0;
  const wrong: string[] = [];
  for (const [id, name] of ref.byId) {
    if (interner.name(id) !== name || interner.id(name) !== id) {
      wrong.push(`${id} ${name}`);
    }
    bytes += stringBytes(name.length);
  }
  expect(wrong).toEqual([]);
  expect(interner.stringBytes).toBe(bytes);
}

describe('Interner', () => {
  it('keeps byte, wide, empty and long names apart and gives each back', () => {
    const interner = new Interner();
    const names = [
      '',
      'a',
      'é',
      'ÿ',
      '\u0080\u0091\u009f',
      'Ā',
      '日本',
      '🙂',
      'a\u0000b',
      'x'.repeat(70_000),
      'y'.repeat(65_535),
      'GET /a',
    ];
    const ids = names.map((name) => interner.add(name));
    expect(ids).toEqual(names.map((_, i) => i));
    names.forEach((name, i) => {
      expect(interner.name(i)).toBe(name);
      expect(interner.id(name)).toBe(i);
    });
    // Same characters, other strings: found; near misses: not.
    expect(interner.id(['G', 'E', 'T', ' /a'].join(''))).toBe(names.indexOf('GET /a'));
    for (const miss of ['b', 'a\u0000', 'Ā ', 'x'.repeat(69_999), 'GET /b', 'e', '日']) {
      expect(interner.id(miss)).toBeUndefined();
    }
  });

  it('reuses freed ids last freed first and stays consistent through growth, removal and compaction', () => {
    const interner = new Interner();
    const ref = new Reference();
    let next = 0;
    const fresh = (): string => {
      const n = next++;
      // Mostly byte names of varying length, some wide ones.
      return n % 97 === 0 ? `ü→${n}` : `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}${'z'.repeat(n % 13)}`;
    };
    let state = 7;
    const random = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    for (let round = 0; round < 15; round++) {
      for (let i = 0; i < 2000; i++) {
        const name = fresh();
        const id = interner.add(name);
        expect(ref.byId.has(id)).toBe(false);
        ref.byId.set(id, name);
        ref.byName.set(name, id);
      }
      // Drop about half, many of them in a row, so the arena's freed bytes become the majority.
      const freed: number[] = [];
      const freedNames: string[] = [];
      for (const [id, name] of ref.byId) {
        if (random() < 0.55) {
          interner.remove(id);
          freed.push(id);
          freedNames.push(name);
          ref.byId.delete(id);
          ref.byName.delete(name);
        }
      }
      check(interner, ref);
      const gone = [...freed].filter((id) => interner.name(id) !== '');
      expect(gone).toEqual([]);
      expect(freedNames.filter((name) => interner.id(name) !== undefined)).toEqual([]);
      // The next ids handed out are the freed ones, most recently freed first.
      if (freed.length > 0) {
        const name = fresh();
        expect(interner.add(name)).toBe(freed[freed.length - 1]);
        ref.byId.set(freed[freed.length - 1], name);
        ref.byName.set(name, freed[freed.length - 1]);
      }
    }
    check(interner, ref);
    expect(interner.capacity).toBeLessThan(next);
  });

  it('adds names from bytes as it adds them from strings: the same ids, hashes and estimates', () => {
    const names = ['10.0.0.1', '', 'x'.repeat(70_000), '192.168.1.254', 'a'];
    const bytes = Buffer.from(names.join(''), 'latin1');
    const fromBytes = new Interner();
    const fromStrings = new Interner();
    let at = 0;
    for (const name of names) {
      expect(fromBytes.addBytes(bytes, at, at + name.length)).toBe(fromStrings.add(name));
      at += name.length;
    }
    for (const name of names) {
      expect(fromBytes.id(name)).toBe(fromStrings.id(name));
      expect(fromBytes.name(fromBytes.id(name)!)).toBe(name);
    }
    expect(fromBytes.stringBytes).toBe(fromStrings.stringBytes);
    fromBytes.remove(fromBytes.id('10.0.0.1')!);
    expect(fromBytes.id('10.0.0.1')).toBeUndefined();
    expect(fromBytes.id('192.168.1.254')).toBe(fromStrings.id('192.168.1.254'));
  });
});
