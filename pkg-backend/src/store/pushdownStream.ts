/**
 * Streaming the pushdown aggregate. A range is cut into bucket-aligned chunks, one statement each, so every
 * statement stays within the statement timeout however long the history is; the next chunk's statement is
 * sent before the current one is consumed, so PostgreSQL aggregates chunk k+1 while the engine works on
 * chunk k instead of each waiting for the other. Chunks meet on bucket boundaries and the aggregate groups by
 * bucket, so the concatenation of the chunks is exactly the single statement's result.
 *
 * Each open chunk holds one pooled client running one plain statement whose rows are read as they arrive;
 * past a bound of rows waiting for the consumer, the socket is paused and PostgreSQL waits to send, so memory
 * stays flat however many tuples a chunk has. A client is released when its chunk is consumed; a consumer that
 * stops early, or an error, destroys it (its statement may still be sending).
 */
import pg from 'pg';
import type { BucketInput } from '../engine/types.ts';
import { EventLoopSlice } from '../runtime/eventLoop.ts';
import { sendCancel } from './cancel.ts';
import { errorBetweenStatements } from './connection.ts';
import { cancelledError, StoreError, toStoreError, type ErrorContext } from './errors.ts';
import { pushdownStatement } from './partitionPushdown.ts';
import { parseStats, type PushdownPlan, type PushdownRow } from './pushdown.ts';
import { errorContext, type Statement } from './query.ts';

/**
 * Few enough that the rows waiting are not carried through young-generation collections: with 20 000 per chunk,
 * scavenges took 1.66 s of a 3 M × 1 M detection, with 2 000 0.37 s (and 50 MB less resident).
 */
const DEFAULT_BUFFER_ROWS = 2000;

export interface StreamOptions {
  /**
   * Rows a chunk holds for its consumer before it stops reading its socket (default 2 000). The rows of the
   * network read under way are parsed too, so a pause can hold a few hundred more.
   */
  bufferRows?: number;
  /** Observes each pause with the rows then held (tests use it to prove the result is not buffered whole). */
  onPause?: (heldRows: number) => void;
  /** Aborting cancels the statements running on the server and fails the stream with a "cancelled" error. */
  signal?: AbortSignal;
}

export interface ChunkedStreamOptions extends StreamOptions {
  /** Exclusive end (ms) of the chunk starting at `from`; callers keep it bucket-aligned. */
  chunkEnd: (from: number) => number;
  /** Chunks whose statements run ahead of the one being consumed; default 1, 0 turns the overlap off. */
  prefetch?: number;
  /**
   * A chunk's statement took `elapsedMs`, from being sent to its last row: the time the statement timeout
   * counts, waits for a slower consumer included.
   */
  onChunkTimed?: (chunk: { from: number; to: number; elapsedMs: number }) => void;
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

/** SQLSTATE of a statement cancelled on request (and of a statement timeout). */
const QUERY_CANCELED = '57014';

/**
 * One chunk's statement, started at construction; its rows are read by `buckets()`.
 *
 * The statement is sent whole (Execute without a row limit) rather than through a cursor or a portal read in
 * batches: PostgreSQL never plans those in parallel, and the aggregate's scan and sort then run on one core
 * where the same statement sent plainly runs on several (3 M rows × 1 M addresses: 7.9 s against 9.5–10.6 s
 * through a cursor, the plain statement read whole 7.8–8.4 s). Its rows wait for the consumer in memory up to
 * `bufferRows`; past that the socket is paused and the server blocks sending, so the statement timeout counts
 * the consumer's time too, which the chunk sizer measures (`onChunkTimed`) and sizes chunks by.
 * COMMIT is sent the moment the last row has arrived, so the read-only transaction never sits idle while the
 * consumer works through what it holds.
 *
 * A signal that aborts cancels the running statement on the server (cancel.ts) and fails the chunk; a client
 * that was sent a cancel, or whose statement had not finished, is destroyed, never returned to the pool.
 */
export class OpenChunk<Row, B> {
  private client: pg.PoolClient | undefined;
  private failed: Error | undefined;
  private released = false;
  private cancelSent = false;
  /** The statement has sent its last row (or failed): nothing of it is still on the server. */
  private ended = false;
  private paused = false;
  /** Rows received and not yet taken by the consumer. */
  private incoming: Row[] = [];
  private wake: (() => void) | undefined;
  /** The COMMIT queued behind the statement: the client is free once it has answered. */
  private committed: Promise<unknown> | undefined;
  /** Settles once connected and the statement is sent; it carries a connection or BEGIN failure. */
  private readonly started: Promise<void>;
  private readonly bufferRows: number;
  private readonly onAbort = () => void this.cancel();

  constructor(
    pool: pg.Pool,
    statement: Statement,
    readonly from: number,
    readonly to: number,
    private readonly assembler: () => BucketAssembler<Row, B>,
    private readonly ctx: ErrorContext,
    private readonly options: StreamOptions,
    onTimed?: (elapsedMs: number) => void,
  ) {
    this.bufferRows = Math.max(1, Math.floor(options.bufferRows ?? DEFAULT_BUFFER_ROWS));
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.started = (async () => {
      this.throwIfCancelled();
      this.client = await pool.connect();
      await this.client.query('BEGIN READ ONLY');
      this.throwIfCancelled();
      this.send(this.client, statement, onTimed);
    })();
    // Failures surface when the chunk is consumed; a chunk dropped unconsumed must not crash the process.
    this.started.catch((err: Error) => this.finish(err));
  }

  private send(client: pg.PoolClient, statement: Statement, onTimed?: (elapsedMs: number) => void): void {
    const sentAt = Date.now();
    const query = new QueryStream<Row>(statement, {
      row: (row) => {
        this.incoming.push(row);
        if (!this.paused && this.incoming.length >= this.bufferRows) {
          this.paused = true;
          socketOf(client).pause();
          this.options.onPause?.(this.incoming.length);
        }
        this.notify();
      },
      end: () => {
        onTimed?.(Date.now() - sentAt);
        // Sent at once, so the transaction is not left idle while the consumer works through the rows.
        this.committed = client.query('COMMIT');
        this.committed.catch(() => undefined);
        this.finish();
      },
      error: (err) => this.finish(err),
    });
    client.query(query as never);
  }

  private finish(err?: Error): void {
    if (err && !this.failed) {
      this.failed = err;
    }
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private throwIfCancelled(): void {
    if (this.cancelSent || this.options.signal?.aborted) {
      throw cancelledError();
    }
  }

  /** The failure as the caller should see it. */
  private failure(caught: Error): Error {
    if (caught instanceof StoreError) {
      // Already in the caller's words: a cancellation seen before the statement was sent.
      return caught;
    }
    // A server that ended the session says why on the client rather than on the statement.
    const err =
      ((caught as { code?: string }).code ? undefined : this.client && errorBetweenStatements(this.client)) ?? caught;
    // Only the cancel's own error (57014) reads as a cancellation: a server that died meanwhile (which may be
    // what aborted the signal, through a lost job lock) is reported as what it is.
    const ours = this.cancelSent && (err as { code?: string }).code === QUERY_CANCELED;
    return ours ? cancelledError() : toStoreError(err, this.ctx);
  }

  /** The rows received since the last call, waiting for some if none are; an empty array once all are read. */
  private async take(): Promise<Row[]> {
    await this.started.catch(() => undefined);
    for (;;) {
      if (this.failed) {
        throw this.failure(this.failed);
      }
      if (this.incoming.length > 0) {
        const rows = this.incoming;
        this.incoming = [];
        if (this.paused) {
          this.paused = false;
          socketOf(this.client!).resume();
        }
        return rows;
      }
      if (this.ended) {
        return [];
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Cancels the chunk's running statement, if any; the chunk then fails with a "cancelled" error. */
  async cancel(): Promise<void> {
    if (this.released || this.cancelSent) {
      return;
    }
    this.cancelSent = true;
    if (this.client && !this.ended) {
      await sendCancel(this.client);
    }
  }

  async *buckets(): AsyncGenerator<B> {
    const assembler = this.assembler();
    const slice = new EventLoopSlice();
    try {
      for (let rows = await this.take(); rows.length > 0; rows = await this.take()) {
        for (const row of rows) {
          const done = assembler.add(row);
          if (done !== undefined) {
            yield done;
            // A bucket is handed over as a resolved promise: without this, a consumer scoring bucket after
            // bucket from rows already fetched would never give the event loop a turn.
            await slice.maybeYield();
            this.throwIfCancelled();
          }
        }
      }
      const last = assembler.finish();
      if (last !== undefined) {
        yield last;
      }
    } finally {
      await this.close();
    }
  }

  /**
   * Returns the client once its statement and COMMIT have answered; a client whose statement is unfinished
   * (the consumer stopped early), failed or was cancelled is destroyed: its protocol state is not known.
   */
  async close(): Promise<void> {
    await this.started.catch(() => undefined);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    if (this.released || !this.client) {
      return;
    }
    this.released = true;
    const client = this.client;
    if (this.ended && !this.failed && !this.cancelSent) {
      try {
        await this.committed;
        client.release();
      } catch (err) {
        client.release(err as Error);
      }
      return;
    }
    this.incoming = [];
    // pg closes the socket of a client released with its query unfinished, rather than saying goodbye: a
    // server blocked sending into a paused socket hears neither a cancel nor a Terminate, but fails its next
    // write and ends the statement.
    client.release(this.failed ?? new Error('chunk closed before its statement finished'));
  }
}

/** The socket under a client, paused to stop reading (PostgreSQL then blocks sending) and resumed. */
function socketOf(client: pg.PoolClient): { pause(): void; resume(): void } {
  return (client as unknown as { connection: { stream: { pause(): void; resume(): void } } }).connection.stream;
}

export interface QueryHandlers<Row> {
  row(row: Row): void;
  end(): void;
  error(err: Error): void;
}

/** pg's row description and data row messages, which its typings do not declare. */
interface FieldDescription {
  dataTypeID: number;
  format: string;
}
interface RowMessages {
  handleRowDescription(msg: { fields: FieldDescription[] }): void;
  handleDataRow(msg: { fields: Array<string | null> }): void;
}

/** OID of PostgreSQL's text type, whose text-format values pg hands over as they are. */
const TEXT_OID = 25;
const pgRows = pg.Query.prototype as unknown as RowMessages;

/**
 * A statement whose rows are handed over one by one as they arrive instead of collected into a result: pg's
 * Query, listened to. rowMode 'array' keeps a row an array of the fields.
 *
 * When every column is text (the pushdown's are), a row is the protocol message's own array of fields: pg's
 * parsers would return each string as it is, into one more array per row and through an event (3 M rows ×
 * 1 M addresses under node: 140 scavenges without them, 167 with). A statement with any other column (the job
 * pushdown's mask) goes through pg's parsers as before.
 */
export class QueryStream<Row> extends pg.Query {
  private textRows = false;

  constructor(
    statement: Statement,
    private readonly handlers: QueryHandlers<Row>,
  ) {
    super({ text: statement.text, values: statement.values, rowMode: 'array' } as pg.QueryConfig);
    this.on('row', (row: Row) => handlers.row(row));
    this.on('end', () => handlers.end());
    this.on('error', (err: Error) => handlers.error(err));
  }

  /** Called by pg's connection for each result set's columns. */
  handleRowDescription(msg: { fields: FieldDescription[] }): void {
    pgRows.handleRowDescription.call(this, msg);
    this.textRows = msg.fields.every((f) => f.dataTypeID === TEXT_OID && f.format === 'text');
  }

  /** Called by pg's connection for each row. */
  handleDataRow(msg: { fields: Array<string | null> }): void {
    if (this.textRows) {
      this.handlers.row(msg.fields as Row);
    } else {
      pgRows.handleDataRow.call(this, msg);
    }
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
  const statement = await pushdownStatement(pool, plan, 'pushdown aggregate');
  yield* chunkedStream<PushdownRow, BucketInput>(
    plan.from.getTime(),
    plan.to.getTime(),
    options,
    (from, to, onTimed) => new OpenChunk(pool, statement(from, to), from, to, pushdownAssembler, ctx, options, onTimed),
  );
}

/** The chunking and prefetch shared by every bucket stream: `open` starts the statement of [from, to). */
export async function* chunkedStream<Row, B>(
  start: number,
  end: number,
  options: ChunkedStreamOptions,
  open: (from: number, to: number, onTimed?: (elapsedMs: number) => void) => OpenChunk<Row, B>,
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
      const onTimed = options.onChunkTimed
        ? (elapsedMs: number) => options.onChunkTimed!({ from, to, elapsedMs })
        : undefined;
      running.push(open(from, to, onTimed));
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
