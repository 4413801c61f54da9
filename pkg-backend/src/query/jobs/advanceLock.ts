/**
 * Every advance of a persisted job, whatever its kind, runs under the job's advisory lock: `fn` gets a signal
 * that aborts with the request or when the lock's connection is lost, and a failure that is not a cancel is
 * recorded on the job so the Jobs page and health show it.
 */
import type { JobLockResult, StateStore } from '../../store/index.ts';

export function withAdvanceLock<T>(
  store: StateStore,
  key: string,
  options: { signal?: AbortSignal; waitMs?: number },
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<JobLockResult<T>> {
  return store.withJobLock(
    key,
    async (lost) => {
      const signal = options.signal ? AbortSignal.any([options.signal, lost]) : lost;
      try {
        return await fn(signal);
      } catch (e) {
        // A cancelled request or a shutdown is no fault of the job; anything else is shown with it.
        if (!signal.aborted) {
          const message = e instanceof Error ? e.message : String(e);
          await store.setJobError(key, message).catch(() => undefined);
        }
        throw e;
      }
    },
    { waitMs: options.waitMs ?? 0 },
  );
}
