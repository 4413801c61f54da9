/**
 * One advancer per job across processes: two pools stand for two plugin processes. The lock excludes a
 * second holder while held, is released when the holder finishes or fails, and goes with its session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createPool } from '../../pkg-backend/src/store/connection.ts';
import { openStateStore, type StateStore } from '../../pkg-backend/src/store/state/index.ts';
import { createDatabase, dropDatabase } from '../setup/databases.ts';

const DB = 'rarity_state_lock';
const pools: pg.Pool[] = [];
let first: StateStore;
let second: StateStore;

async function open(url: string, applicationName: string): Promise<StateStore> {
  const pool = createPool({ connectionString: url, max: 3, applicationName });
  pools.push(pool);
  const opened = await openStateStore(pool);
  if (opened.status !== 'ready') {
    throw new Error(opened.reason);
  }
  return opened.store;
}

/** Resolves when released: lets a test hold the lock exactly as long as it wants, without timing. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

beforeAll(async () => {
  const url = await createDatabase(DB);
  first = await open(url, 'rarity-lock-first');
  second = await open(url, 'rarity-lock-second');
});

afterAll(async () => {
  for (const p of pools) {
    await p.end();
  }
  await dropDatabase(DB);
});

describe('withJobLock', () => {
  it('excludes a second holder in another process while held, then lets it in', async () => {
    const held = gate();
    const entered = gate();
    const holding = first.withJobLock('job-1', async () => {
      entered.open();
      await held.wait;
      return 'first';
    });
    await entered.wait;
    expect(await second.withJobLock('job-1', async () => 'second', { waitMs: 0 })).toEqual({ acquired: false });
    // Another job is not blocked by it.
    expect(await second.withJobLock('job-2', async () => 'other job')).toEqual({ acquired: true, value: 'other job' });
    // A waiter polling while the holder finishes gets the lock.
    const waiting = second.withJobLock('job-1', async () => 'second after first', { waitMs: 60_000, pollMs: 10 });
    held.open();
    expect(await holding).toEqual({ acquired: true, value: 'first' });
    expect(await waiting).toEqual({ acquired: true, value: 'second after first' });
  });

  it('two holders in one process exclude each other too', async () => {
    const held = gate();
    const entered = gate();
    const holding = first.withJobLock('job-3', async () => {
      entered.open();
      await held.wait;
    });
    await entered.wait;
    expect(await first.withJobLock('job-3', async () => 'again', { waitMs: 0 })).toEqual({ acquired: false });
    held.open();
    await holding;
  });

  it('is released when the holder throws, and the error reaches the caller', async () => {
    await expect(first.withJobLock('job-4', async () => Promise.reject(new Error('advance failed')))).rejects.toThrow(
      'advance failed',
    );
    expect(await second.withJobLock('job-4', async () => 'free')).toEqual({ acquired: true, value: 'free' });
    const locks = await pools[0].query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`);
    expect(locks.rows[0].n).toBe(0);
  });

  it('goes with its session: a lost connection aborts the holder and frees the job for others', async () => {
    const entered = gate();
    let signal: AbortSignal | undefined;
    const holding = first.withJobLock('job-5', async (s) => {
      signal = s;
      entered.open();
      await new Promise<void>((resolve) => s.addEventListener('abort', () => resolve()));
      return 'stopped';
    });
    await entered.wait;
    const killed = await pools[0].query(
      `SELECT pg_terminate_backend(l.pid) AS ok FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND a.application_name = 'rarity-lock-first'`,
    );
    expect(killed.rows).toEqual([{ ok: true }]);
    expect(await holding).toEqual({ acquired: true, value: 'stopped' });
    expect(signal!.aborted).toBe(true);
    expect(await second.withJobLock('job-5', async () => 'taken over', { waitMs: 60_000, pollMs: 10 })).toEqual({
      acquired: true,
      value: 'taken over',
    });
    // The broken client was not handed back to the pool: the first process still works.
    expect(await first.withJobLock('job-5', async () => 'fine')).toEqual({ acquired: true, value: 'fine' });
  });
});
