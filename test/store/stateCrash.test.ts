/**
 * Crash consistency at the store level: a child process committing chunks in a loop is killed with SIGKILL
 * at random moments. After each kill the job's progress, its latest snapshot and its results agree, and
 * after a final uninterrupted resume the results equal those of a run that was never interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createPool } from '../../pkg-backend/src/store/connection.ts';
import { openStateStore, type StateStore } from '../../pkg-backend/src/store/state/index.ts';
import { createDatabase, dropDatabase } from '../setup/databases.ts';
import { START, expectedUntil, minutes, snapshotState } from './stateFixtures.ts';
import { RECORDS_PER_BUCKET } from './stateCrashWorker.ts';

const DB = 'rarity_state_crash';
const KEY = 'crash-job';
const END_MINUTES = 1200;
const CHUNK_BUCKETS = 20;
const ROOT = resolve(import.meta.dirname, '../..');
let url: string;
let pool: pg.Pool;
let store: StateStore;

beforeAll(async () => {
  url = await createDatabase(DB);
  pool = createPool({ connectionString: url, max: 3 });
  const opened = await openStateStore(pool);
  if (opened.status !== 'ready') {
    throw new Error(opened.reason);
  }
  store = opened.store;
});

afterAll(async () => {
  await pool.end();
  await dropDatabase(DB);
});

interface Worker {
  child: ChildProcess;
  /** Resolves once the child has printed a line matching `line`, or has exited. */
  printed(line: RegExp): Promise<void>;
  exited: Promise<number | null>;
  output(): string;
}

function startWorker(): Worker {
  const child = spawn(
    process.execPath,
    ['bin/run-ts.mjs', 'test/store/stateCrashWorker.ts', url, KEY, String(END_MINUTES), String(CHUNK_BUCKETS)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let done = false;
  const changed = new EventEmitter();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    changed.emit('change');
  });
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) =>
    child.on('exit', (code) => {
      done = true;
      changed.emit('change');
      res(code);
    }),
  );
  const printed = (line: RegExp) =>
    new Promise<void>((res) => {
      const check = () => {
        if (!done && !line.test(out)) {
          return;
        }
        changed.off('change', check);
        res();
      };
      changed.on('change', check);
      check();
    });
  return { child, exited, output: () => out, printed };
}

/** The server notices a killed client's socket on its own; wait for its sessions to be gone before reading. */
async function workerSessionsGone(): Promise<void> {
  for (;;) {
    const res = await pool.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'rarity-crash-worker'`,
    );
    if (res.rows[0].n === 0) {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function expectConsistent(): Promise<number | null> {
  const job = await store.getJob(KEY);
  const snapshot = await store.latestSnapshot(KEY);
  const results = await store.readResults(KEY, START, minutes(10 * END_MINUTES), { includeInterim: true });
  const processed = job?.processedUntil ?? null;
  expect(results.processedUntil).toBe(processed);
  if (processed === null) {
    expect(snapshot).toBeUndefined();
    expect(results.buckets).toEqual([]);
    expect(results.records).toEqual([]);
    expect(results.groups).toEqual([]);
    return null;
  }
  // The snapshot is the model after exactly the committed buckets.
  expect(snapshot!.until).toBe(processed);
  expect(snapshot!.state).toEqual(snapshotState(processed));
  // Every result lies before the progress, each once, and nothing committed is missing: the rows are
  // exactly those of a writer that stopped at `processed`.
  const expected = expectedUntil(processed, RECORDS_PER_BUCKET);
  expect(results.buckets.every((b) => b.time < processed) && results.records.every((r) => r.time < processed)).toBe(
    true,
  );
  expect(results.groups.every((g) => g.end <= processed)).toBe(true);
  expect(results.buckets).toEqual(expected.buckets);
  expect(results.records).toEqual(expected.records);
  expect(results.groups).toEqual(expected.groups.map((g) => ({ ...g, revised: false })));
  expect(job!.idWatermark).toBe(BigInt(Math.round((processed - START) / 60_000)) * 1000n);
  return processed;
}

describe('SIGKILL while committing chunks', () => {
  it('leaves progress, latest snapshot and results in agreement; resuming completes the uninterrupted result', async () => {
    const progress: Array<number | null> = [];
    for (let round = 0; round < 6; round++) {
      const worker = startWorker();
      await worker.printed(/resume \d+\n/);
      // A random moment after resuming: before the first commit, inside one, or between two.
      await new Promise((r) => setTimeout(r, Math.random() * 1000));
      worker.child.kill('SIGKILL');
      await worker.exited;
      expect(worker.output()).not.toContain('Error');
      await workerSessionsGone();
      progress.push(await expectConsistent());
    }
    // Progress only ever moved forward across the kills.
    const numbers = progress.map((p) => p ?? START);
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);

    const last = startWorker();
    expect(await last.exited).toBe(0);
    expect(last.output()).toContain('done');
    expect(await expectConsistent()).toBe(minutes(END_MINUTES));
    const counts = await pool.query(
      `SELECT (SELECT count(*)::int FROM rarity.bucket_results) AS buckets, (SELECT count(*)::int FROM rarity.record_results) AS records`,
    );
    expect(counts.rows[0]).toEqual({ buckets: END_MINUTES, records: END_MINUTES * RECORDS_PER_BUCKET });
  });
});
