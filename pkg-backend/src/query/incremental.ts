/**
 * Incremental detection: a dashboard refresh or an alert evaluation only processes the buckets that are new.
 * Per datasource and detector definition we keep a live DetectionRun checkpointed at the last complete bucket
 * (one bucket span of grace for late rows). A request advances the checkpoint, then looks ahead on a clone
 * for the still-filling buckets, so partial buckets never enter the kept model.
 * Rows appended later but dated before the checkpoint (found through the id watermark) make us start the run
 * again; updates and deletes of rows already read are not noticed. In-process only, lost on restart
 * (docs/persistence.md, In-process state); with a state store, persisted jobs (jobs/) are used instead.
 */
import type pg from 'pg';
import { hasLateRows, maxId } from '../store/index.ts';
import { DetectionRun, alignDown, prepareDetection, resolveRange, type DetectionResult } from './detection.ts';
import type { DetectorRequest, TimeWindow } from './request.ts';

/**
 * A kept run holds every bucket and record of its history; past this many the entry is not kept (a long
 * history at a short span would otherwise hold hundreds of MB per detector) and requests recompute.
 */
export const MAX_KEPT_RESULTS = 250_000;

interface Entry {
  run: DetectionRun;
  /** Largest id in the table before the run last read from it. */
  watermark: bigint | null;
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

  async detect(
    pool: pg.Pool,
    scope: string,
    request: DetectorRequest,
    window: TimeWindow = {},
    signal?: AbortSignal,
  ): Promise<DetectionResult> {
    const prepared = await prepareDetection(pool, request);
    const { from, to, historyFrom } = resolveRange(prepared, window);
    const { definition } = prepared;
    const spanMs = definition.spanMs;
    // The kept run starts where the data starts, whatever `from` this request has.
    const start = prepared.dataFrom ? alignDown(prepared.dataFrom.getTime(), spanMs) : historyFrom;
    // A kept run's detector holds the limit it was made with, so another limit keeps a run of its own.
    const key = `${scope}|${prepared.key}|${prepared.modelMemoryLimitBytes ?? 'default'}`;
    let entry = this.entries.get(key);
    // Data earlier than the kept history means the table changed under us: start again.
    if (!entry || start < entry.run.historyStart) {
      entry = { run: new DetectionRun(prepared, start), watermark: null, lastUsed: 0, lock: Promise.resolve() };
      this.entries.set(key, entry);
      this.evict(key);
    }
    entry.lastUsed = this.now();
    const checkpoint = Math.min(alignDown(to.getTime(), spanMs), alignDown(this.now() - spanMs, spanMs));
    const current = entry;
    const work = current.lock.then(async () => {
      const late =
        current.run.processedUntil > current.run.historyStart &&
        (await hasLateRows(pool, {
          table: definition.table,
          idColumn: definition.idColumn,
          timeColumn: definition.timeColumn,
          afterId: current.watermark,
          before: new Date(current.run.processedUntil),
          filters: definition.filters,
        }));
      if (late) {
        current.run = new DetectionRun(prepared, start);
        current.watermark = null;
      }
      // Read before streaming: rows appended meanwhile are checked again next time.
      if (checkpoint > current.run.processedUntil) {
        current.watermark = await maxId(pool, definition.table, definition.idColumn);
      }
      await current.run.advance(pool, checkpoint, signal);
      if (to.getTime() <= current.run.processedUntil) {
        return await current.run.snapshot(from, to);
      }
      const ahead = current.run.clone();
      await ahead.advance(pool, to.getTime(), signal);
      return await ahead.snapshot(from, to);
    });
    current.lock = work.catch(() => undefined);
    try {
      const result = await work;
      if (
        current.run.buckets.length + current.run.records.length > MAX_KEPT_RESULTS &&
        this.entries.get(key) === current
      ) {
        this.entries.delete(key);
      }
      return result;
    } catch (e) {
      // A failed advance may have fed part of a range: drop the entry rather than trust it.
      if (this.entries.get(key) === current) {
        this.entries.delete(key);
      }
      throw e;
    }
  }

  private evict(keep: string): void {
    while (this.entries.size > this.maxEntries) {
      let oldest: string | undefined;
      let oldestUse = Infinity;
      for (const [k, e] of this.entries) {
        if (k !== keep && e.lastUsed < oldestUse) {
          [oldest, oldestUse] = [k, e.lastUsed];
        }
      }
      if (oldest === undefined) {
        return;
      }
      this.entries.delete(oldest);
    }
  }
}
