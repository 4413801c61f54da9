/**
 * Streaming the pushdown aggregate. A range is cut into bucket-aligned chunks, one statement each, so every
 * statement stays within the statement timeout however long the history is; the next chunk's statement is
 * sent before the current one is consumed, so PostgreSQL aggregates chunk k+1 while the engine works on
 * chunk k instead of each waiting for the other. Chunks meet on bucket boundaries and the aggregate groups by
 * bucket, so the concatenation of the chunks is exactly the single statement's result.
 *
 * Each open chunk holds one pooled client and a server-side cursor: rows are fetched in batches, so memory
 * stays flat however many tuples a chunk has. A client is released when its chunk is consumed, when the
 * consumer stops early, or on error (then it is destroyed, its protocol state being unknown).
 */
import type pg from 'pg';
import Cursor from 'pg-cursor';
import type { BucketInput } from '../engine/types.ts';
import { toStoreError, type ErrorContext } from './errors.ts';
import { parseStats, pushdownSql, type PushdownPlan, type PushdownRow } from './pushdown.ts';
import { errorContext } from './query.ts';

const DEFAULT_BATCH_SIZE = 5000;

export interface StreamOptions {
  /** Rows fetched per round trip; default 5000. */
  batchSize?: number;
  /** Observes each fetch (tests use it to prove the result is not buffered whole). */
  onBatch?: (rows: number) => void;
}

export interface ChunkedStreamOptions extends StreamOptions {
  /** Exclusive end (ms) of the chunk starting at `from`; callers keep it bucket-aligned. */
  chunkEnd: (from: number) => number;
  /** Chunks whose statements run ahead of the one being consumed; default 1, 0 turns the overlap off. */
  prefetch?: number;
  /** A chunk's aggregate is computed (its first batch has arrived) after `elapsedMs` of statement time. */
  onChunkReady?: (chunk: { from: number; to: number; elapsedMs: number }) => void;
}

export type ChunkEvent = { kind: 'bucket'; input: BucketInput } | { kind: 'chunk_end'; from: number; to: number };

/** One chunk's statement, started at construction; its rows are read by `buckets()`. */
class OpenChunk {
  readonly from: number;
  readonly to: number;
  private client: pg.PoolClient | undefined;
  private cursor: Cursor<PushdownRow> | undefined;
  private failed: Error | undefined;
  private released = false;
  private readonly first: Promise<PushdownRow[]>;

  constructor(
    pool: pg.Pool,
    plan: PushdownPlan,
    private readonly ctx: ErrorContext,
    private readonly batchSize: number,
    private readonly options: StreamOptions,
    onReady?: (elapsedMs: number) => void,
  ) {
    this.from = plan.from.getTime();
    this.to = plan.to.getTime();
    const statement = pushdownSql(plan);
    this.first = (async () => {
      try {
        this.client = await pool.connect();
      } catch (err) {
        throw toStoreError(err, ctx);
      }
      const started = Date.now();
      this.cursor = this.client.query(new Cursor<PushdownRow>(statement.text, statement.values, { rowMode: 'array' }));
      const rows = await this.read();
      onReady?.(Date.now() - started);
      return rows;
    })();
    // Failures surface when the chunk is consumed; a chunk dropped unconsumed must not crash the process.
    this.first.catch(() => undefined);
  }

  private async read(): Promise<PushdownRow[]> {
    try {
      const rows = await this.cursor!.read(this.batchSize);
      this.options.onBatch?.(rows.length);
      return rows;
    } catch (err) {
      this.failed = err as Error;
      throw toStoreError(err, this.ctx);
    }
  }

  /**
   * Each batch is requested before the previous one is consumed: a cursor computes its rows only when asked
   * (the group aggregate over the sorted input is most of a chunk's work), so asking first lets PostgreSQL
   * aggregate the next batch while the engine scores this one.
   */
  async *buckets(): AsyncGenerator<BucketInput> {
    let ahead: Promise<PushdownRow[]> | undefined;
    try {
      let rows = await this.first;
      let current: BucketInput | undefined;
      for (;;) {
        ahead = rows.length < this.batchSize ? undefined : this.read();
        // A failed read-ahead surfaces when awaited below; an early stop must not leave it unhandled.
        ahead?.catch(() => undefined);
        for (const row of rows) {
          const stats = parseStats(row[2]);
          if (!current || current.start !== stats.bucket) {
            if (current) {
              yield current;
            }
            current = { start: stats.bucket, tuples: [] };
          }
          current.tuples.push({
            by: row[0],
            over: row[1],
            count: stats.count,
            successful: stats.successful,
            minId: stats.minId,
            maxId: stats.maxId,
          });
        }
        if (!ahead) {
          break;
        }
        rows = await ahead;
        ahead = undefined;
      }
      if (current) {
        yield current;
      }
    } finally {
      await ahead?.catch(() => undefined);
      await this.close();
    }
  }

  /** Returns the client to the pool; a statement still running releases it once it answers. */
  async close(): Promise<void> {
    await this.first.catch(() => undefined);
    if (this.released || !this.client) {
      return;
    }
    this.released = true;
    if (!this.failed) {
      try {
        await this.cursor?.close();
      } catch (err) {
        this.failed = err as Error;
      }
    }
    this.client.release(this.failed ?? false);
  }
}

function context(pool: pg.Pool, plan: PushdownPlan): ErrorContext {
  return errorContext(pool, {
    table: `${plan.table.schema}.${plan.table.name}`,
    operation: 'pushdown aggregate',
    filters: true,
  });
}

function batchSizeOf(options: StreamOptions): number {
  return Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
}

/** Yields one BucketInput per non-empty bucket of the plan's range, in time order, from one statement. */
export async function* streamBuckets(
  pool: pg.Pool,
  plan: PushdownPlan,
  options: StreamOptions = {},
): AsyncGenerator<BucketInput> {
  const chunk = new OpenChunk(pool, plan, context(pool, plan), batchSizeOf(options), options);
  yield* chunk.buckets();
}

/**
 * The plan's range chunk by chunk: every non-empty bucket in time order, and after each chunk a `chunk_end`
 * (a job commits there). Up to `prefetch` later chunks are already running while one is consumed.
 */
export async function* streamChunks(
  pool: pg.Pool,
  plan: PushdownPlan,
  options: ChunkedStreamOptions,
): AsyncGenerator<ChunkEvent> {
  const ctx = context(pool, plan);
  const batchSize = batchSizeOf(options);
  const prefetch = Math.max(0, Math.floor(options.prefetch ?? 1));
  const end = plan.to.getTime();
  let next = plan.from.getTime();
  const open: OpenChunk[] = [];
  const fill = () => {
    while (open.length <= prefetch && next < end) {
      const from = next;
      const proposed = options.chunkEnd(from);
      // A chunk always moves forward, so a bad chunkEnd cannot loop forever.
      const to = Math.min(end, proposed > from ? proposed : end);
      const onReady = options.onChunkReady
        ? (elapsedMs: number) => options.onChunkReady!({ from, to, elapsedMs })
        : undefined;
      const chunkPlan = { ...plan, from: new Date(from), to: new Date(to) };
      open.push(new OpenChunk(pool, chunkPlan, ctx, batchSize, options, onReady));
      next = to;
    }
  };
  try {
    fill();
    while (open.length > 0) {
      const chunk = open[0];
      for await (const input of chunk.buckets()) {
        yield { kind: 'bucket', input };
      }
      open.shift();
      fill();
      yield { kind: 'chunk_end', from: chunk.from, to: chunk.to };
    }
  } finally {
    // Chunks not consumed (early stop, error): their clients go back once their statements answer.
    for (const chunk of open) {
      void chunk.close();
    }
  }
}
