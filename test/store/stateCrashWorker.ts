/**
 * Child process of stateCrash.test.ts: resumes the job from its latest snapshot and commits fixture chunks
 * until the end, the way an advancer does. The test kills it with SIGKILL at a random moment.
 * Arguments: database URL, job key, end (minutes), buckets per chunk.
 */
import { createPool } from '../../pkg-backend/src/store/connection.ts';
import { openStateStore } from '../../pkg-backend/src/store/state/index.ts';
import { SPAN_MS, START, chunkFor, minutes } from './stateFixtures.ts';

export const RECORDS_PER_BUCKET = 40;

async function main(): Promise<void> {
  const [url, key, endText, chunkText] = process.argv.slice(2);
  const end = minutes(Number(endText));
  const chunkMs = Number(chunkText) * SPAN_MS;
  const pool = createPool({ connectionString: url, max: 3, applicationName: 'rarity-crash-worker' });
  const opened = await openStateStore(pool);
  if (opened.status !== 'ready') {
    throw new Error(opened.reason);
  }
  const store = opened.store;
  await store.ensureJob(key, { fixture: 'crash' }, { historyStart: START });
  const result = await store.withJobLock(
    key,
    async (signal) => {
      const snapshot = await store.latestSnapshot(key);
      let from = snapshot?.until ?? START;
      process.stdout.write(`resume ${from}\n`);
      while (from < end && !signal.aborted) {
        const to = Math.min(end, from + chunkMs);
        await store.commitChunk(key, chunkFor(from, to, RECORDS_PER_BUCKET));
        await store.pruneSnapshots(key, 10 * chunkMs, to - 5 * chunkMs);
        process.stdout.write(`committed ${to}\n`);
        from = to;
      }
    },
    { waitMs: 60_000, pollMs: 20 },
  );
  if (!result.acquired) {
    throw new Error(`job ${key} stayed locked`);
  }
  process.stdout.write('done\n');
  await pool.end();
}

// Imported by the test for its constants; runs only as the child's entry point.
if (process.argv[1]?.endsWith('stateCrashWorker.ts')) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
