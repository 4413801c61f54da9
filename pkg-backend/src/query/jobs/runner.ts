/**
 * The background runner, our datafeed: keeps the jobs queried recently current, so alert evaluations and
 * dashboard refreshes find their buckets already analysed, and finishes backfills a request had to leave.
 * Each job is advanced at most once per bucket span (and at most once a minute), a few at a time, each
 * under its job lock (another process advancing it is simply skipped). Retention runs once an hour per
 * state store. stop() aborts in-flight advances: the chunk being committed is in or out, never half.
 */
import { DEFAULT_RETENTION_DAYS } from '../../../../common/limits.ts';
import type pg from 'pg';
import type { StateStore } from '../../store/index.ts';
import type { Logger } from '../contract.ts';
import { prepareDetection } from '../detection.ts';
import type { DetectorRequest } from '../request.ts';
import { advanceJob } from './advance.ts';
import type { JobModel } from './model.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface RunnerOptions {
  concurrency?: number;
  /** Jobs not queried for this long are no longer kept current. */
  keepUsedForMs?: number;
  tickMs?: number;
  retentionEveryMs?: number;
  logger?: Logger;
}

/** A job the runner keeps current, whatever its kind. */
export interface RunnerWork {
  spanMs: number;
  /** Advances the job under its lock; true when it is not yet current (the runner comes back at once). */
  advance(signal: AbortSignal): Promise<boolean>;
}

interface Tracked {
  work: RunnerWork;
  lastUsed: number;
  /** 0: due now (a backfill is unfinished). */
  lastRun: number;
}

interface StoreEntry {
  store: StateStore;
  retentionDays: number;
  lastRetention: number;
}

export class JobRunner {
  private readonly jobs = new Map<string, Tracked>();
  private readonly stores = new Map<string, StoreEntry>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly concurrency: number;
  private readonly keepUsedForMs: number;
  private readonly tickMs: number;
  private readonly retentionEveryMs: number;

  constructor(private readonly options: RunnerOptions = {}) {
    this.concurrency = options.concurrency ?? 2;
    this.keepUsedForMs = options.keepUsedForMs ?? 6 * HOUR;
    this.tickMs = options.tickMs ?? 5_000;
    this.retentionEveryMs = options.retentionEveryMs ?? HOUR;
  }

  get tracked(): number {
    return this.jobs.size;
  }

  /** A query used this detector's job: keep it current from now on; `unfinished` asks for an advance right away. */
  touch(
    scope: string,
    pool: pg.Pool,
    store: StateStore,
    request: DetectorRequest,
    options: { unfinished?: boolean; retentionDays?: number; resume?: JobModel } = {},
  ): void {
    // The request's model, taken by the first advance only (advance.ts checks it is still where the job is).
    let resume = options.resume;
    const work: RunnerWork = {
      spanMs: request.bucketSpanMs,
      advance: async (signal) => {
        const prepared = await prepareDetection(pool, request);
        const model = resume;
        resume = undefined;
        const res = await advanceJob(pool, store, prepared, { signal, waitMs: 0, resume: model });
        return res.acquired && !res.value.complete;
      },
    };
    this.touchWork(scope, JSON.stringify(request), store, work, options);
  }

  /** As touch, for any kind of job: `id` names it within the scope. */
  touchWork(
    scope: string,
    id: string,
    store: StateStore,
    work: RunnerWork,
    options: { unfinished?: boolean; retentionDays?: number } = {},
  ): void {
    if (this.stopped) {
      return;
    }
    const key = `${scope}|${id}`;
    const now = Date.now();
    const seen = this.jobs.get(key);
    this.jobs.set(key, {
      work,
      lastUsed: now,
      lastRun: options.unfinished ? 0 : (seen?.lastRun ?? now),
    });
    if (!this.stores.has(scope)) {
      this.stores.set(scope, {
        store,
        retentionDays: options.retentionDays ?? DEFAULT_RETENTION_DAYS,
        lastRetention: 0,
      });
    }
    this.start();
    if (options.unfinished) {
      setImmediate(() => this.tick());
    }
  }

  start(): void {
    if (this.timer || this.stopped) {
      return;
    }
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  /** Stops within `graceMs`: in-flight advances are aborted between (or inside) chunks. */
  async stop(graceMs = 1500): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.abort.abort(new Error('shutting down'));
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timeout);
  }

  /** One round: drop stale jobs, start due advances up to the concurrency, apply retention when due. */
  tick(): void {
    if (this.stopped) {
      return;
    }
    const now = Date.now();
    for (const [key, job] of this.jobs) {
      if (now - job.lastUsed > this.keepUsedForMs) {
        this.jobs.delete(key);
      }
    }
    const due = [...this.jobs.values()]
      .filter((j) => now - j.lastRun >= Math.max(j.work.spanMs, MINUTE))
      .sort((a, b) => a.lastRun - b.lastRun);
    for (const job of due) {
      if (this.inFlight.size >= this.concurrency) {
        break;
      }
      job.lastRun = now;
      this.launch(() => this.advance(job));
    }
    const scopes = new Set([...this.jobs.keys()].map((k) => k.slice(0, k.indexOf('|'))));
    for (const [scope, entry] of this.stores) {
      if (!scopes.has(scope)) {
        // The instance's settings changed or it is no longer queried: its store may be closed.
        this.stores.delete(scope);
        continue;
      }
      if (now - entry.lastRetention >= this.retentionEveryMs && this.inFlight.size < this.concurrency) {
        entry.lastRetention = now;
        this.launch(async () => {
          const removed = await entry.store.applyRetention(entry.retentionDays);
          this.options.logger?.debug('retention applied', { scope, ...removed });
        });
      }
    }
  }

  private launch(work: () => Promise<void>): void {
    const p: Promise<void> = work()
      .catch((e: unknown) => {
        if (!this.stopped) {
          this.options.logger?.warn('background job advance failed', {
            error: e instanceof Error ? e.message : String(e),
          });
        }
      })
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async advance(job: Tracked): Promise<void> {
    const unfinished = await job.work.advance(this.abort.signal);
    if (unfinished && !this.abort.signal.aborted) {
      job.lastRun = 0;
      setImmediate(() => this.tick());
    }
  }
}
