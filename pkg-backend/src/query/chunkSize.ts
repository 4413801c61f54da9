/**
 * How many buckets the next pushdown chunk covers (jobs and in-process runs alike). Bounded in buckets (so a
 * commit stays small and a kill loses little) and sized from the previous chunk's time per bucket, so each
 * pushdown statement stays well within the datasource's statement timeout however dense the table is.
 */

/** Default upper bound of a chunk; `RARITY_JOB_CHUNK_BUCKETS` lowers it (tests make long backfills with it). */
export const DEFAULT_MAX_CHUNK_BUCKETS = 2016;
/** Share of the statement timeout one chunk may take. */
const TIMEOUT_SHARE = 0.25;
/** A chunk is at most this much larger than one already measured: the next stretch of history may be denser. */
const MAX_GROWTH = 4;
/**
 * Each chunk opened is at most this much larger than the one opened before it. A chunk is prefetched while
 * the one before is consumed, and PostgreSQL has sorted a chunk in about half the time its consumption takes
 * (measured at 10 M rows: 3.1–3.9 s against 6–7.6 s for 7 days): doubling, the next chunk is ready when it is
 * needed. Quadrupling, the stream waited for each larger chunk's sort on the way up (1–3 s of 27–35).
 */
const RAMP = 2;

export function maxChunkBuckets(explicit?: number): number {
  const fromEnv = Number(process.env.RARITY_JOB_CHUNK_BUCKETS);
  const n = explicit ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_MAX_CHUNK_BUCKETS);
  return Math.max(1, Math.floor(n));
}

export class ChunkSizer {
  /** What the measurements so far allow a chunk to be. */
  private bound: number;
  /** The size handed out last; 0 before the first chunk. */
  private last = 0;

  constructor(
    private readonly max: number,
    private readonly statementTimeoutMs: number,
    initial = 64,
  ) {
    this.bound = Math.max(1, Math.min(max, initial));
  }

  /** The size of the chunk being opened now. */
  take(): number {
    const n = this.last === 0 ? this.bound : Math.max(1, Math.min(this.bound, Math.ceil(this.last * RAMP)));
    this.last = n;
    return n;
  }

  /**
   * Records that a chunk of `buckets` buckets took `elapsedMs`: its statement from sent to last row, waits for
   * a slower consumer included, which the statement timeout counts too.
   */
  observe(buckets: number, elapsedMs: number): void {
    const perBucket = Math.max(elapsedMs, 1) / Math.max(buckets, 1);
    // A timeout of 0 is no timeout: only the bucket bound and the growth limit apply.
    const fits =
      this.statementTimeoutMs > 0 ? Math.floor((this.statementTimeoutMs * TIMEOUT_SHARE) / perBucket) : Infinity;
    this.bound = Math.max(1, Math.min(this.max, buckets * MAX_GROWTH, fits));
  }
}
