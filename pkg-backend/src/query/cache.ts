/**
 * Short-lived sharing of detection results: a dashboard asks for scores, groups and logs of the same detector
 * at once, and panels refresh together; one detection serves them all. Entries expire after a few seconds,
 * so new data is never hidden for long, and at most a handful are kept.
 *
 * A shared run belongs to everyone waiting for it: a caller that cancels stops waiting at once, and the run
 * itself (its statements in PostgreSQL included) is cancelled only when no caller waits any more. A cancelled
 * run leaves the cache that instant, so a later request starts afresh instead of inheriting its error.
 */
import { cancelledError } from '../store/index.ts';

interface Entry<T> {
  at: number;
  value: Promise<T>;
  controller: AbortController;
  /** Callers still waiting for `value`. */
  waiting: number;
  settled: boolean;
}

export class ResultCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly ttlMs = 10_000,
    private readonly maxEntries = 32,
    private readonly now: () => number = Date.now,
  ) {}

  /** The shared result for `key`, computed by `compute` (whose signal aborts when nobody waits) if absent. */
  get(key: string, compute: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) {
      return Promise.reject(cancelledError());
    }
    const t = this.now();
    for (const [k, e] of this.entries) {
      if (t - e.at > this.ttlMs) {
        this.entries.delete(k);
      }
    }
    let entry = this.entries.get(key);
    if (!entry || entry.controller.signal.aborted) {
      entry = this.start(key, t, compute);
    }
    return this.wait(key, entry, signal);
  }

  private start(key: string, at: number, compute: (signal: AbortSignal) => Promise<T>): Entry<T> {
    const controller = new AbortController();
    const entry: Entry<T> = { at, value: compute(controller.signal), controller, waiting: 0, settled: false };
    this.entries.set(key, entry);
    entry.value.then(
      () => {
        entry.settled = true;
      },
      () => {
        entry.settled = true;
        // A failure is not worth remembering: the next call retries.
        this.forget(key, entry);
      },
    );
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    return entry;
  }

  /** Waits for `entry` as one of its callers: a caller whose signal aborts leaves, the last one cancels the run. */
  private wait(key: string, entry: Entry<T>, signal?: AbortSignal): Promise<T> {
    entry.waiting += 1;
    return new Promise<T>((resolve, reject) => {
      let left = false;
      const leave = () => {
        if (!left) {
          left = true;
          entry.waiting -= 1;
          signal?.removeEventListener('abort', onAbort);
        }
      };
      const onAbort = () => {
        leave();
        reject(cancelledError());
        if (entry.waiting === 0 && !entry.settled) {
          this.forget(key, entry);
          entry.controller.abort(cancelledError());
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      entry.value.then(
        (v) => {
          leave();
          resolve(v);
        },
        (e: unknown) => {
          leave();
          reject(e);
        },
      );
    });
  }

  private forget(key: string, entry: Entry<T>): void {
    if (this.entries.get(key) === entry) {
      this.entries.delete(key);
    }
  }
}
