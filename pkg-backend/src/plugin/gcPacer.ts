/**
 * Paces JavaScriptCore's garbage collector in the compiled executable. Detection streams millions of rows, each
 * a short-lived array and strings, beside a model of typed arrays that grow as entities come; under bun the heap
 * is left to grow far past what is live before JSC collects: it lets the heap reach about twice its size after
 * the last collection, and the model's buffers count in that size, so a million entities let ~120 MB of the rows'
 * garbage pile up. A full collection whenever the resident set has grown by `growthBytes` since the last one
 * bounds the peak by what is live plus that margin plus what one interval allocates (the rows' garbage comes at
 * up to ~300 MB/s). A collection's freed pages go back to the system only some 100 ms later, and meanwhile new
 * allocations reuse them, so the level after a collection sits some 30 MB above what is live and the margin
 * counts from there. Measured in bun 1.4.5, detection of freq_rare by state over ip, 1 M distinct ip, 10 M rows
 * (16–17 s of CPU in every run):
 *   - 50 ms / 24 MB: peak RSS 308–314 MB (four runs);
 *   - 25 ms / 16 MB: 285–292 MB (four runs); 25 ms / 12 MB: 280, 292 MB; 50 ms / 16 MB: 291, 299 MB.
 * Before the records were packed field by field (packedRecords.ts) the peak came at the end, when a snapshot
 * unpacked them, and these settings could not be told apart. Eden collections are cheaper (5 ms) but did not
 * bring the resident set down.
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

const DEFAULT_INTERVAL_MS = 25;
const DEFAULT_GROWTH_BYTES = 16 * 1024 * 1024;

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
