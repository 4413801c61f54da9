/**
 * `rarity jobs backfill`: creates the detector's job if needed and advances it to now, chunk by chunk,
 * printing progress on stderr; the job's summary goes to stdout as JSON. Takes the flags of `detect` plus
 * where the state is kept. Interrupting it (Ctrl-C) loses at most the chunk in flight: run it again to
 * resume.
 */
import { detectorRequest } from '../query/request.ts';
import { DETECT_LABELS, UsageError, parseDetectArgs } from './args.ts';

export const BACKFILL_USAGE = `  rarity jobs backfill <the flags of detect> [--state-database-url URL] [--state-schema rarity]`;

const STATE_FLAGS = ['state-database-url', 'state-schema'] as const;
type StateFlag = (typeof STATE_FLAGS)[number];

/** Takes the state flags out, so the rest is exactly what `detect` accepts. */
function splitStateFlags(argv: string[]): { rest: string[]; state: Partial<Record<StateFlag, string>> } {
  const rest: string[] = [];
  const state: Partial<Record<StateFlag, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const flag = STATE_FLAGS.find((f) => arg === `--${f}` || arg.startsWith(`--${f}=`));
    if (!flag) {
      rest.push(arg);
      continue;
    }
    const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
    if (value === undefined || value === '') {
      throw new UsageError(`--${flag} needs a value`);
    }
    state[flag] = value;
  }
  return { rest, state };
}

export async function jobsBackfill(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  progress: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
  const { rest, state } = splitStateFlags(argv);
  const args = parseDetectArgs(rest);
  const request = detectorRequest(args.query, args.settings, { tuning: args.tuning, labels: DETECT_LABELS });
  const { openDatabase } = await import('./database.ts');
  const { createPool, openStateStore } = await import('../store/index.ts');
  const { prepareDetection } = await import('../query/detection.ts');
  const { advanceJob } = await import('../query/jobs/advance.ts');
  const { progressPercent } = await import('../query/jobs/checkpoint.ts');
  const db = await openDatabase(args.databaseUrl);
  const statePool = state['state-database-url']
    ? createPool({ connectionString: state['state-database-url'], applicationName: 'rarity-cli' })
    : db.pool;
  const abort = new AbortController();
  const onSigint = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  try {
    const opened = await openStateStore(statePool, { schema: state['state-schema'] });
    if (opened.status !== 'ready') {
      progress(`rarity: results cannot be persisted: ${opened.advice}\n`);
      return 1;
    }
    const prepared = await prepareDetection(db.pool, request);
    progress(`backfilling job ${prepared.key} (${prepared.describe.table}, ${prepared.describe.bucketSpan})\n`);
    const started = Date.now();
    const res = await advanceJob(db.pool, opened.store, prepared, {
      signal: abort.signal,
      onProgress: (p) =>
        progress(
          `  ${progressPercent(p.historyStart, p.processedUntil, p.target)} %, up to ${new Date(p.processedUntil).toISOString()}\n`,
        ),
    });
    if (!res.acquired) {
      progress(`rarity: another process is advancing job ${prepared.key}; try again when it has finished\n`);
      return 1;
    }
    const job = await opened.store.getJob(prepared.key);
    out(
      JSON.stringify({
        key: prepared.key,
        status: job?.status ?? 'created',
        processedUntil: job?.processedUntil === null || !job ? null : new Date(job.processedUntil).toISOString(),
        complete: res.value.complete,
        chunks: res.value.chunks,
        bucketsProcessed: res.value.bucketsProcessed,
        ms: Date.now() - started,
      }) + '\n',
    );
    return res.value.complete ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    if (statePool !== db.pool) {
      await statePool.end();
    }
    await db.close();
  }
}
