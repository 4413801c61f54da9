/**
 * The state store of a datasource instance, opened on first use and kept: migrated once, privileges checked
 * once. A failure to reach the server is not kept (the next query tries again); "this role cannot keep
 * state" is, and becomes the fallback's notice.
 */
import type pg from 'pg';
import { openStateStore, StoreError } from '../../store/index.ts';
import type { JobStateHandle } from '../contract.ts';

export function jobStateOf(pool: pg.Pool, options: { schema?: string } = {}): () => Promise<JobStateHandle> {
  let opened: Promise<JobStateHandle> | undefined;
  return () =>
    (opened ??= openStateStore(pool, options).then(
      (r): JobStateHandle =>
        r.status === 'ready'
          ? { persisted: true, store: r.store, schema: r.store.schema.name }
          : { persisted: false, reason: r.reason, advice: r.advice },
      (e: unknown): JobStateHandle => {
        // A schema newer than this code stays refused until the plugin is upgraded: not worth retrying.
        if (e instanceof StoreError && e.kind === 'state_version') {
          return { persisted: false, reason: e.message, advice: `results are not persisted: ${e.message}` };
        }
        opened = undefined;
        throw e;
      },
    ));
}
