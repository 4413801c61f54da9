/** The collector pacing of the compiled executable (plugin/gcPacer.ts), on a simulated resident set. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startGcPacer } from '../../pkg-backend/src/plugin/gcPacer.ts';

const MB = 1024 * 1024;

afterEach(() => {
  vi.useRealTimers();
});

describe('gc pacer', () => {
  it('collects each time the resident set has grown by the margin since the last collection', () => {
    vi.useFakeTimers();
    let rss = 100 * MB;
    const collected: number[] = [];
    const pacer = startGcPacer({
      intervalMs: 10,
      growthBytes: 50 * MB,
      rss: () => rss,
      // A collection gives back 20 MB of the growth.
      collect: () => {
        collected.push(rss / MB);
        rss -= 20 * MB;
      },
    });
    rss = 149 * MB;
    vi.advanceTimersByTime(10);
    expect(collected).toEqual([]);
    rss = 150 * MB;
    vi.advanceTimersByTime(10);
    expect(collected).toEqual([150]);
    // The next trigger is 50 MB above what the collection left (130 MB), not above the old base.
    rss = 179 * MB;
    vi.advanceTimersByTime(10);
    expect(collected).toEqual([150]);
    rss = 180 * MB;
    vi.advanceTimersByTime(10);
    expect(collected).toEqual([150, 180]);
    expect(pacer.collections()).toBe(2);
    pacer.stop();
    rss = 1000 * MB;
    vi.advanceTimersByTime(100);
    expect(pacer.collections()).toBe(2);
  });

  it('follows the resident set down, so memory given back re-arms the trigger lower', () => {
    vi.useFakeTimers();
    let rss = 300 * MB;
    let collections = 0;
    const pacer = startGcPacer({ intervalMs: 10, growthBytes: 50 * MB, rss: () => rss, collect: () => collections++ });
    rss = 120 * MB;
    vi.advanceTimersByTime(10);
    rss = 170 * MB;
    vi.advanceTimersByTime(10);
    expect(collections).toBe(1);
    pacer.stop();
  });

  it('does nothing where the runtime has no collector to call (node without --expose-gc)', () => {
    expect((globalThis as { Bun?: unknown }).Bun).toBeUndefined();
    const pacer = startGcPacer({ intervalMs: 1, growthBytes: 1 });
    expect(pacer.active).toBe(false);
    expect(pacer.collections()).toBe(0);
    pacer.stop();
  });
});
