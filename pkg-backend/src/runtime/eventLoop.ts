/**
 * Long synchronous work cut into slices, so the event loop gets a turn between them: health checks, other
 * queries, gRPC cancels and, under bun, the collector's pacer (plugin/gcPacer.ts) run while a detection scores
 * bucket after bucket from rows already fetched or unpacks a snapshot's records.
 */

/** Synchronous work allowed between two looks at the event loop. */
const SLICE_MS = 8;

export class EventLoopSlice {
  private since = performance.now();

  /** Yields to the event loop when the caller has worked for a slice since the last turn. */
  async maybeYield(): Promise<void> {
    if (performance.now() - this.since >= SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.since = performance.now();
    }
  }
}
