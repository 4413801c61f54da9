/**
 * How many buckets the next pushdown chunk covers (jobs and in-process runs alike). Bounded in buckets (so a commit stays small and a kill
 * loses little) and sized from the previous chunk's time per bucket, so each pushdown statement stays well
 * within the datasource's statement timeout however dense the table is.
 */

/** Default upper bound of a chunk; `RARITY_JOB_CHUNK_BUCKETS` lowers it (tests make long backfills with it). */
export const DEFAULT_MAX_CHUNK_BUCKETS = 2016;
/** Share of the statement timeout one chunk may take. */
const TIMEOUT_SHARE = 0.25;
/** A chunk grows at most this much over the previous one: the next stretch of history may be denser. */
const MAX_GROWTH = 4;

export function maxChunkBuckets(explicit?: number): number {
  const fromEnv = Number(process.env.RARITY_JOB_CHUNK_BUCKETS);
  const n = explicit ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_MAX_CHUNK_BUCKETS);
  return Math.max(1, Math.floor(n));
}

export class ChunkSizer {
  private next: number;

  constructor(
    private readonly max: number,
    private readonly statementTimeoutMs: number,
    initial = 64,
  ) {
    this.next = Math.min(max, initial);
  }

  get buckets(): number {
    return this.next;
  }

  /** Records that a chunk of `buckets` buckets took `elapsedMs`. */
  observe(buckets: number, elapsedMs: number): void {
    const perBucket = Math.max(elapsedMs, 1) / Math.max(buckets, 1);
    // A timeout of 0 is no timeout: only the bucket bound and the growth limit apply.
    const fits =
      this.statementTimeoutMs > 0 ? Math.floor((this.statementTimeoutMs * TIMEOUT_SHARE) / perBucket) : Infinity;
    this.next = Math.max(1, Math.min(this.max, buckets * MAX_GROWTH, fits));
  }
}
