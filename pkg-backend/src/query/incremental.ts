/**
 * Incremental detection: a dashboard refresh or an alert evaluation only processes the buckets that are new.
 * Per datasource and detector definition we keep a live DetectionRun checkpointed at the last complete bucket
 * (one bucket span of grace for late rows). A request advances the checkpoint, then looks ahead on a clone
 * for the still-filling buckets, so partial buckets never enter the kept model.
 * In-process only (DESIGN.md §4 read-only fallback); rows back-dated before the checkpoint are not seen until
 * the entry is evicted.
 */
import type pg from 'pg';
import { DetectionRun, alignDown, prepareDetection, resolveRange, type DetectionRequest, type DetectionResult } from './detection.ts';

interface Entry {
  run: DetectionRun;
  lastUsed: number;
  /** Serialises advances of one run: concurrent panels must not feed the same buckets twice. */
  lock: Promise<unknown>;
}

export interface IncrementalOptions {
  maxEntries?: number;
  now?: () => number;
}

export class IncrementalDetections {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: IncrementalOptions = {}) {
    this.maxEntries = options.maxEntries ?? 16;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  async detect(pool: pg.Pool, scope: string, request: DetectionRequest): Promise<DetectionResult> {
    const prepared = await prepareDetection(pool, request);
    const { from, to, historyFrom } = resolveRange(prepared, request);
    // The kept run starts where the data starts, whatever `from` this request has.
    const start = prepared.dataFrom ? alignDown(prepared.dataFrom.getTime(), prepared.spanMs) : historyFrom;
    const key = `${scope}|${prepared.key}`;
    let entry = this.entries.get(key);
    // Data earlier than the kept history means the table changed under us: start again.
    if (!entry || start < entry.run.historyStart) {
      entry = { run: new DetectionRun(prepared, start), lastUsed: 0, lock: Promise.resolve() };
      this.entries.set(key, entry);
      this.evict(key);
    }
    entry.lastUsed = this.now();
    const checkpoint = Math.min(alignDown(to.getTime(), prepared.spanMs), alignDown(this.now() - prepared.spanMs, prepared.spanMs));
    const current = entry;
    const work = current.lock.then(async () => {
      await current.run.advance(pool, checkpoint, request.signal);
      if (to.getTime() <= current.run.processedUntil) return current.run.snapshot(from, to);
      const ahead = current.run.clone();
      await ahead.advance(pool, to.getTime(), request.signal);
      return ahead.snapshot(from, to);
    });
    current.lock = work.catch(() => undefined);
    try {
      return await work;
    } catch (e) {
      // A failed advance may have fed part of a range: drop the entry rather than trust it.
      if (this.entries.get(key) === current) this.entries.delete(key);
      throw e;
    }
  }

  private evict(keep: string): void {
    while (this.entries.size > this.maxEntries) {
      let oldest: string | undefined;
      let oldestUse = Infinity;
      for (const [k, e] of this.entries) if (k !== keep && e.lastUsed < oldestUse) [oldest, oldestUse] = [k, e.lastUsed];
      if (oldest === undefined) return;
      this.entries.delete(oldest);
    }
  }
}
