/** The per-datasource line of detections: a few run, a bounded number wait in order, the rest are refused. */
import { describe, expect, it } from 'vitest';
import { BusyError, DetectionQueue, queueFor } from '../../pkg-backend/src/query/detectionQueue.ts';

function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('DetectionQueue', () => {
  it('runs up to its concurrency, starts waiters in order, refuses past the line with the numbers', async () => {
    const queue = new DetectionQueue({ concurrency: 2, maxWaiting: 2, datasource: '"Logs"' });
    const gates = Array.from({ length: 4 }, gate);
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      queue.run(async () => {
        started.push(i);
        await g.opened;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect([queue.running, queue.queued]).toEqual([2, 2]);
    await expect(queue.run(async () => 99)).rejects.toThrow(
      new BusyError(
        'Rarity is busy: 2 detections are running and 2 waiting for datasource "Logs"; retry in a few seconds ' +
          '(fewer panels or alert rules querying at once, or longer refresh intervals, leave room)',
      ),
    );
    gates[1].open();
    await runs[1];
    expect(started).toEqual([0, 1, 2]);
    gates[0].open();
    gates[2].open();
    gates[3].open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect([queue.running, queue.queued]).toEqual([0, 0]);
  });

  it('hands the turn on when a detection fails, and lets a cancelled waiter leave the line', async () => {
    const queue = new DetectionQueue({ concurrency: 1, maxWaiting: 5, datasource: 'x' });
    const first = gate();
    const failing = queue.run(async () => {
      await first.opened;
      throw new Error('boom');
    });
    const cancel = new AbortController();
    const leaving = queue.run(async () => 'never', cancel.signal);
    const waiting = queue.run(async () => 'ran');
    expect(queue.queued).toBe(2);
    cancel.abort(new Error('cancelled by Grafana'));
    await expect(leaving).rejects.toThrow('cancelled by Grafana');
    expect(queue.queued).toBe(1);
    first.open();
    await expect(failing).rejects.toThrow('boom');
    expect(await waiting).toBe('ran');
    expect([queue.running, queue.queued]).toEqual([0, 0]);
  });

  it('is sized to the pool, leaving a connection for health and the pickers', () => {
    const run = (max: number) => queueFor(max, 'x').concurrency;
    expect([run(1), run(4), run(10), run(20)]).toEqual([1, 1, 3, 6]);
  });
});
