/** Chunk sizing of the pushdown (query/chunkSize.ts): the ramp, the growth limit, the statement timeout. */
import { describe, expect, it } from 'vitest';
import { ChunkSizer } from '../../pkg-backend/src/query/chunkSize.ts';

describe('chunk sizer', () => {
  it('starts small and at most doubles from one chunk opened to the next, up to the maximum', () => {
    const sizer = new ChunkSizer(2016, 0);
    const sizes = [sizer.take(), sizer.take()];
    // Nothing measured yet: the second chunk (prefetched at once) is the first one's size.
    expect(sizes).toEqual([64, 64]);
    sizer.observe(64, 100);
    for (let i = 0; i < 8; i++) {
      sizes.push(sizer.take());
      sizer.observe(sizes.at(-1)!, 100);
    }
    expect(sizes).toEqual([64, 64, 128, 256, 512, 1024, 2016, 2016, 2016, 2016]);
  });

  it('never opens a chunk more than four times a measured one, however many are opened meanwhile', () => {
    const sizer = new ChunkSizer(100_000, 0, 10);
    sizer.take();
    sizer.observe(10, 5);
    expect([sizer.take(), sizer.take(), sizer.take(), sizer.take()]).toEqual([20, 40, 40, 40]);
  });

  it('keeps a chunk within a quarter of the statement timeout at the measured time per bucket', () => {
    const sizer = new ChunkSizer(2016, 10_000, 64);
    sizer.take();
    // 64 buckets in 1.6 s: 25 ms a bucket, a quarter of 10 s is 100 buckets.
    sizer.observe(64, 1600);
    expect(sizer.take()).toBe(100);
    // Denser history: 50 ms a bucket shrinks the next chunk below the last one.
    sizer.observe(100, 5000);
    expect(sizer.take()).toBe(50);
    // A bucket slower than the share alone still makes progress, one bucket at a time.
    sizer.observe(1, 60_000);
    expect(sizer.take()).toBe(1);
  });
});
