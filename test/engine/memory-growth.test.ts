/**
 * The models' growable arrays: contents kept, new slots zero (or the fill), and past a megabyte growth in
 * place in a resizable buffer instead of a copy into a new allocation.
 */
import { describe, expect, it } from 'vitest';
import {
  allocateBuffer,
  growFloat64,
  growInt32,
  growUint16,
  growUint8,
} from '../../pkg-backend/src/engine/model/memory.ts';

describe('growable arrays', () => {
  it('keep their contents and fill what is new, small and large alike', () => {
    let a = new Int32Array(0);
    let f = new Float64Array(0);
    let u = new Uint8Array(0);
    // Past 1 MiB each, through many in-place resizes and at least one move to a larger reservation.
    for (let n = 1; n <= 20_000_000; n = Math.ceil(n * 3.1)) {
      const [oldA, oldF, oldU] = [a.length, f.length, u.length];
      a = growInt32(a, n, -1);
      f = growFloat64(f, n);
      u = growUint8(u, n);
      expect(a.length).toBeGreaterThanOrEqual(n);
      // What was there is kept; what is new holds the fill (or zero).
      for (let i = 0; i < a.length; i += i < oldA ? 7919 : 997) {
        expect(a[i]).toBe(i < oldA ? i % 1000 : -1);
      }
      for (const i of [oldA - 1, a.length - 1]) {
        if (i >= 0) {
          expect(a[i]).toBe(i < oldA ? i % 1000 : -1);
        }
      }
      expect(f.length > oldF ? f[f.length - 1] : 0).toBe(0);
      expect(u.length > oldU ? u[u.length - 1] : 0).toBe(0);
      for (let i = oldA; i < a.length; i++) {
        a[i] = i % 1000;
      }
      if (oldF > 0) {
        expect(f[oldF - 1]).toBe((oldF - 1) / 2);
        expect(u[oldU - 1]).toBe((oldU - 1) % 256);
      }
      for (let i = oldF; i < f.length; i++) {
        f[i] = i / 2;
      }
      for (let i = oldU; i < u.length; i++) {
        u[i] = i % 256;
      }
    }
    // The Float64 array passed its first 64 MiB reservation, so it also moved once to a larger one.
    expect(f.byteLength).toBeGreaterThan(2 ** 26);
    for (let i = 0; i < a.length; i += 9973) {
      expect(a[i]).toBe(i % 1000);
    }
  });

  it('grow a large array in place: the same buffer, the old view still reading the same memory', () => {
    let a = growInt32(new Int32Array(0), 1 << 20);
    expect(a.buffer.resizable).toBe(true);
    a[5] = 42;
    const before = a;
    a = growInt32(a, a.length + 1);
    expect(a.buffer).toBe(before.buffer);
    a[5] = 43;
    expect(before[5]).toBe(43);
    // Small arrays stay plain buffers.
    expect(growInt32(new Int32Array(0), 1000).buffer.resizable).toBe(false);
    let h = growUint16(new Uint16Array(0), 3);
    h.set([1, 2, 65535]);
    h = growUint16(h, 1 << 20);
    expect([...h.subarray(0, 4)]).toStrictEqual([1, 2, 65535, 0]);
    expect(h.buffer.resizable).toBe(true);
  });

  it('allocate large fixed buffers (hash tables) mapped, zeroed, and small ones plain', () => {
    const big = allocateBuffer(1 << 21);
    expect(big.resizable).toBe(true);
    expect(big.byteLength).toBe(1 << 21);
    expect(new Int32Array(big).every((x) => x === 0)).toBe(true);
    expect(allocateBuffer(1 << 10).resizable).toBe(false);
  });
});
