/**
 * Detections of one datasource instance run a few at a time, the rest wait in a bounded line. Each detection
 * holds several pooled connections (its chunk statements, the job lock, the chunk's transaction), so fifty alert
 * rules started at once would otherwise all ask the pool together and most would time out waiting for a
 * client, which pg-pool reports in the words of a connection failure. Past the line a detection is refused
 * at once with a message that says the plugin is busy, never that the connection settings are wrong.
 */
import { DETECTION_QUEUE_LENGTH } from '../../../common/limits.ts';

/** Connections one detection may hold at once: two chunk statements (one prefetched), its job lock, its write. */
export const CONNECTIONS_PER_DETECTION = 3;

/** A detection refused because the instance already runs and queues as many as it may. */
export class BusyError extends Error {
  override name = 'BusyError';
}

export interface QueueOptions {
  /** Detections running at once. */
  concurrency: number;
  /** Detections waiting for a turn; one more is refused. */
  maxWaiting: number;
  /** How the datasource is named in the busy message. */
  datasource: string;
}

export class DetectionQueue {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: QueueOptions) {}

  /** Detections that may run at once. */
  get concurrency(): number {
    return this.options.concurrency;
  }

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** The message for a refused detection, with the numbers that explain it. */
  busyMessage(): string {
    const { datasource } = this.options;
    return (
      `Rarity is busy: ${this.active} detection${this.active === 1 ? ' is' : 's are'} running and ` +
      `${this.waiting.length} waiting for datasource ${datasource}; retry in a few seconds ` +
      '(fewer panels or alert rules querying at once, or longer refresh intervals, leave room)'
    );
  }

  /** Runs `task` when a turn comes; refuses at once when the line is full, leaves it when `signal` aborts. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.active >= this.options.concurrency) {
      if (this.waiting.length >= this.options.maxWaiting) {
        throw new BusyError(this.busyMessage());
      }
      await this.turn(signal);
    } else {
      this.active += 1;
    }
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** Waits for a running detection to hand over its turn (the count stays with the one handed it). */
  private turn(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) {
          this.waiting.splice(at, 1);
        }
        reject(signal?.reason ?? new Error('cancelled while waiting for a turn'));
      };
      const waiter = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) {
      next();
    } else {
      this.active -= 1;
    }
  }
}

/** Sized to the pool: as many detections as can hold their connections at once, leaving one for the rest. */
export function queueFor(poolMax: number, datasource: string): DetectionQueue {
  return new DetectionQueue({
    concurrency: Math.max(1, Math.floor((poolMax - 1) / CONNECTIONS_PER_DETECTION)),
    maxWaiting: DETECTION_QUEUE_LENGTH,
    datasource,
  });
}
