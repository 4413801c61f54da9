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
import type { BucketInput } from '../engine/types.ts';
import { sendCancel } from './cancel.ts';
import { errorBetweenStatements } from './connection.ts';
import { cancelledError, toStoreError, type ErrorContext } from './errors.ts';
import { pushdownStatement } from './partitionPushdown.ts';
import { parseStats, type PushdownPlan, type PushdownRow } from './pushdown.ts';
import { errorContext, type Statement } from './query.ts';

const DEFAULT_BATCH_SIZE = 5000;

export interface StreamOptions {
  /** Rows fetched per round trip; default 5000. */
  batchSize?: number;
  /** Observes each fetch (tests use it to prove the result is not buffered whole). */
  onBatch?: (rows: number) => void;
  /** Aborting cancels the statements running on the server and fails the stream with a "cancelled" error. */
  signal?: AbortSignal;
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

/**
 * Turns a chunk's rows, which arrive ordered by bucket, into one value per bucket: `add` returns the bucket a
 * row closes (the previous one) when the row starts a new bucket, `finish` the last one. The pushdown and the
 * job pushdown differ only in this step.
 */
export interface BucketAssembler<Row, B> {
  add(row: Row): B | undefined;
  finish(): B | undefined;
}

/** Synchronous work the consumer may do between two looks at the event loop. */
const SLICE_MS = 8;

/**
 * Lets timers and sockets run (health checks, other queries, gRPC cancels) when the consumer has worked for a
 * slice: a bucket is handed over as a resolved promise, so a consumer that scores bucket after bucket from
 * rows already fetched would otherwise never give the event loop a turn.
 */
class EventLoopSlice {
  private since = performance.now();

  async maybeYield(): Promise<void> {
    if (performance.now() - this.since >= SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.since = performance.now();
    }
  }
}

/** SQLSTATE of a statement cancelled on request (and of a statement timeout). */
const QUERY_CANCELED = '57014';

/** The cursor's name within its chunk's transaction (one cursor per client). */
const CURSOR = 'rarity_chunk';

/**
 * One chunk's statement, started at construction; its rows are read by `buckets()`.
 *
 * The statement runs as an SQL cursor (DECLARE … then FETCH per batch) in a read-only transaction rather than a
 * protocol-level portal: a portal's statement timeout runs from its first row to its last, so the time the
 * engine spends between batches would count against it, whereas each FETCH is a statement of its own and only
 * PostgreSQL's time counts. `cursor_tuple_fraction = 1` keeps the plan a plain statement would get.
 *
 * A signal that aborts cancels the running statement on the server (cancel.ts) and fails the chunk; a client
 * that was sent a cancel is destroyed, never returned to the pool, as a late cancel could hit its next user.
 */
export class OpenChunk<Row, B> {
  private client: pg.PoolClient | undefined;
  private failed: Error | undefined;
  private released = false;
  private cancelSent = false;
  /** A statement of this chunk is on the server: a cancel now hits it. */
  private busy = false;
  private readonly first: Promise<Row[]>;
  private readonly onAbort = () => void this.cancel();

  constructor(
    pool: pg.Pool,
    statement: Statement,
    readonly from: number,
    readonly to: number,
    private readonly assembler: () => BucketAssembler<Row, B>,
    private readonly ctx: ErrorContext,
    private readonly batchSize: number,
    private readonly options: StreamOptions,
    onReady?: (elapsedMs: number) => void,
  ) {
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.first = (async () => {
      this.throwIfCancelled();
      try {
        this.client = await pool.connect();
      } catch (err) {
        throw toStoreError(err, ctx);
      }
      const started = Date.now();
      await this.statement({ text: 'BEGIN READ ONLY', values: [] });
      await this.statement({ text: 'SET LOCAL cursor_tuple_fraction = 1', values: [] });
      await this.statement({
        text: `DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${statement.text}`,
        values: statement.values,
      });
      const rows = await this.read();
      onReady?.(Date.now() - started);
      return rows;
    })();
    // Failures surface when the chunk is consumed; a chunk dropped unconsumed must not crash the process.
    this.first.catch(() => undefined);
  }

  private throwIfCancelled(): void {
    if (this.cancelSent || this.options.signal?.aborted) {
      throw cancelledError();
    }
  }

  private async statement(statement: Statement, rowMode?: 'array'): Promise<pg.QueryResult> {
    this.throwIfCancelled();
    this.busy = true;
    try {
      const query = { text: statement.text, values: statement.values };
      return rowMode ? await this.client!.query({ ...query, rowMode }) : await this.client!.query(query);
    } catch (caught) {
      // Between two fetches the transaction is idle while the engine scores: a server ending it there (its
      // idle_in_transaction_session_timeout) says why on the client, not on this statement.
      const err = ((caught as { code?: string }).code ? undefined : errorBetweenStatements(this.client!)) ?? caught;
      this.failed = err as Error;
      // Only the cancel's own error (57014) reads as a cancellation: a server that died meanwhile (which may be
      // what aborted the signal, through a lost job lock) is reported as what it is.
      const ours = this.cancelSent && (err as { code?: string }).code === QUERY_CANCELED;
      throw ours ? cancelledError() : toStoreError(err, this.ctx);
    } finally {
      this.busy = false;
    }
  }

  private async read(): Promise<Row[]> {
    const result = await this.statement(
      { text: `FETCH FORWARD ${this.batchSize} FROM ${CURSOR}`, values: [] },
      'array',
    );
    const rows = result.rows as Row[];
    this.options.onBatch?.(rows.length);
    return rows;
  }

  /** Cancels the chunk's running statement, if any; the chunk then fails with a "cancelled" error. */
  async cancel(): Promise<void> {
    if (this.released || this.cancelSent) {
      return;
    }
    this.cancelSent = true;
    if (this.client && this.busy) {
      await sendCancel(this.client);
    }
  }

  /**
   * Each batch is requested before the previous one is consumed: a cursor computes its rows only when asked
   * (the group aggregate over the sorted input is most of a chunk's work), so asking first lets PostgreSQL
   * aggregate the next batch while the engine scores this one.
   */
  async *buckets(): AsyncGenerator<B> {
    let ahead: Promise<Row[]> | undefined;
    const assembler = this.assembler();
    const slice = new EventLoopSlice();
    try {
      let rows = await this.first;
      for (;;) {
        ahead = rows.length < this.batchSize ? undefined : this.read();
        // A failed read-ahead surfaces when awaited below; an early stop must not leave it unhandled.
        ahead?.catch(() => undefined);
        for (const row of rows) {
          const done = assembler.add(row);
          if (done !== undefined) {
            yield done;
            await slice.maybeYield();
            this.throwIfCancelled();
          }
        }
        if (!ahead) {
          break;
        }
        rows = await ahead;
        ahead = undefined;
      }
      const last = assembler.finish();
      if (last !== undefined) {
        yield last;
      }
    } finally {
      await ahead?.catch(() => undefined);
      await this.close();
    }
  }

  /** Ends the chunk's transaction and returns the client; a statement still running releases it once it answers. */
  async close(): Promise<void> {
    await this.first.catch(() => undefined);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    if (this.released || !this.client) {
      return;
    }
    this.released = true;
    if (!this.failed && !this.cancelSent) {
      try {
        // Ends the transaction, which closes the cursor.
        await this.client.query('COMMIT');
      } catch (err) {
        this.failed = err as Error;
      }
    }
    this.client.release(this.failed ?? this.cancelSent);
  }
}

/** The single-detector aggregate's rows as BucketInputs. */
function pushdownAssembler(): BucketAssembler<PushdownRow, BucketInput> {
  let current: BucketInput | undefined;
  return {
    add(row) {
      const stats = parseStats(row[2]);
      let done: BucketInput | undefined;
      if (!current || current.start !== stats.bucket) {
        done = current;
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
      return done;
    },
    finish: () => current,
  };
}

export function streamContext(pool: pg.Pool, table: { schema: string; name: string }, operation: string): ErrorContext {
  return errorContext(pool, { table: `${table.schema}.${table.name}`, operation, filters: true });
}

export function batchSizeOf(options: StreamOptions): number {
  return Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
}

/** Yields one BucketInput per non-empty bucket of the plan's range, in time order, from one statement. */
export async function* streamBuckets(
  pool: pg.Pool,
  plan: PushdownPlan,
  options: StreamOptions = {},
): AsyncGenerator<BucketInput> {
  const statement = await pushdownStatement(pool, plan, 'pushdown aggregate');
  const chunk = new OpenChunk(
    pool,
    statement(plan.from.getTime(), plan.to.getTime()),
    plan.from.getTime(),
    plan.to.getTime(),
    pushdownAssembler,
    streamContext(pool, plan.table, 'pushdown aggregate'),
    batchSizeOf(options),
    options,
  );
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
  const ctx = streamContext(pool, plan.table, 'pushdown aggregate');
  const batchSize = batchSizeOf(options);
  const statement = await pushdownStatement(pool, plan, 'pushdown aggregate');
  yield* chunkedStream<PushdownRow, BucketInput>(
    plan.from.getTime(),
    plan.to.getTime(),
    options,
    (from, to, onReady) =>
      new OpenChunk(pool, statement(from, to), from, to, pushdownAssembler, ctx, batchSize, options, onReady),
  );
}

/** The chunking and prefetch shared by every bucket stream: `open` starts the statement of [from, to). */
export async function* chunkedStream<Row, B>(
  start: number,
  end: number,
  options: ChunkedStreamOptions,
  open: (from: number, to: number, onReady?: (elapsedMs: number) => void) => OpenChunk<Row, B>,
): AsyncGenerator<{ kind: 'bucket'; input: B } | { kind: 'chunk_end'; from: number; to: number }> {
  const prefetch = Math.max(0, Math.floor(options.prefetch ?? 1));
  let next = start;
  const running: Array<OpenChunk<Row, B>> = [];
  const fill = () => {
    while (running.length <= prefetch && next < end) {
      const from = next;
      const proposed = options.chunkEnd(from);
      // A chunk always moves forward, so a bad chunkEnd cannot loop forever.
      const to = Math.min(end, proposed > from ? proposed : end);
      const onReady = options.onChunkReady
        ? (elapsedMs: number) => options.onChunkReady!({ from, to, elapsedMs })
        : undefined;
      running.push(open(from, to, onReady));
      next = to;
    }
  };
  try {
    fill();
    while (running.length > 0) {
      const chunk = running[0];
      for await (const input of chunk.buckets()) {
        yield { kind: 'bucket', input };
      }
      running.shift();
      fill();
      yield { kind: 'chunk_end', from: chunk.from, to: chunk.to };
    }
  } finally {
    // Chunks not consumed (early stop, error, cancel): their statements are cancelled rather than left to run
    // for nothing, and their clients destroyed.
    for (const chunk of running) {
      void chunk.cancel().then(() => chunk.close());
    }
  }
}
