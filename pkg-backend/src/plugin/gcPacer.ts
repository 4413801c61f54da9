/**
 * Paces JavaScriptCore's garbage collector in the compiled executable. Detection streams millions of rows, each
 * a short-lived array and strings, beside a model of typed arrays that grow by doubling; under bun the heap
 * is left to grow far past what is live before JSC collects (measured at 3 M rows × 1 M entities: 474 MB peak
 * RSS against 253 MB under node, while the live heap and buffers stayed under 250 MB). A full collection
 * whenever the resident set has grown by `growthBytes` since the last one bounds the peak by live data plus
 * that margin, at the price of one collection per margin of garbage: 12 collections, 338 ms in all and 52 ms at
 * most, in a detection of 11.7 s there (17 and 488 ms in 35.8 s at 10 M rows), part of which JSC would spend anyway.
 *
 * Under node it does nothing: V8 sizes its young generation and collects on its own, and exposes no collector
 * to call without a flag.
 */

export interface GcPacerOptions {
  /** How often the resident set is looked at; the check is a single syscall. */
  intervalMs?: number;
  /** Growth of the resident set since the last collection that triggers the next one. */
  growthBytes?: number;
  /** The collector; defaults to bun's synchronous full collection, absent under node. */
  collect?: () => void;
  rss?: () => number;
}

const DEFAULT_INTERVAL_MS = 250;
const DEFAULT_GROWTH_BYTES = 48 * 1024 * 1024;

interface BunGlobal {
  gc(force: boolean): void;
}

function bunCollector(): (() => void) | undefined {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  return bun ? () => bun.gc(true) : undefined;
}

export interface GcPacer {
  /** False where the runtime has no collector to call: the pacer then does nothing. */
  readonly active: boolean;
  collections(): number;
  stop(): void;
}

/** Starts pacing; a no-op when the runtime offers no collector. */
export function startGcPacer(options: GcPacerOptions = {}): GcPacer {
  const collect = options.collect ?? bunCollector();
  if (!collect) {
    return { active: false, stop: () => undefined, collections: () => 0 };
  }
  const rss = options.rss ?? (() => process.memoryUsage.rss());
  const growth = options.growthBytes ?? DEFAULT_GROWTH_BYTES;
  let count = 0;
  // The level after the last collection; it follows the resident set down, so memory returned to the system
  // (an idle process) re-arms the trigger at the lower level.
  let base = rss();
  const timer = setInterval(() => {
    const now = rss();
    if (now < base) {
      base = now;
    } else if (now - base >= growth) {
      collect();
      count++;
      base = rss();
    }
  }, options.intervalMs ?? DEFAULT_INTERVAL_MS);
  // Never what keeps the process alive.
  timer.unref();
  return { active: true, stop: () => clearInterval(timer), collections: () => count };
}
