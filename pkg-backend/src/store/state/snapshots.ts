/**
 * Model snapshots: one per committed chunk, at the job's progress. The latest is always kept (it is where
 * the job resumes); older ones are thinned to one per period and dropped after a while, so a job can
 * rewind to before late rows without keeping every chunk's state forever.
 */
import type { SnapshotColumns } from '../../runtime/jsonColumn.ts';
import { StoreError } from '../errors.ts';
import { exec, type StateContext } from './context.ts';
import { decodeSnapshot } from './snapshotCodec.ts';
import { isoTime, msSql } from './rows.ts';
import type { Snapshot, SnapshotInfo } from './types.ts';

interface SnapshotDbRow {
  until: number;
  format_version: number;
  state_bytes: number;
  compressed_bytes: number;
  created_at: number;
}

interface SnapshotPartRow extends SnapshotDbRow {
  part: Buffer;
}

const INFO_COLUMNS = `${msSql('until')} AS until, format_version, state_bytes::float8 AS state_bytes,
  octet_length(state)::float8 AS compressed_bytes, ${msSql('created_at')} AS created_at`;

/**
 * Bytes of the compressed state per row read. A bytea comes back as hex text: read whole, a million entities'
 * 12 MB snapshot was a 23 MB message, a 23 MB string and its decoding at once, some 100 MB under bun.
 */
const PART_BYTES = 1 << 20;

/**
 * The snapshot to resume from: the latest, or the latest at or before `atOrBefore` (ms); with `columns`, the
 * arrays under those keys are read as columns (decodeSnapshot). The state comes in parts of one row each.
 */
export async function latestSnapshot(
  ctx: StateContext,
  key: string,
  atOrBefore?: number,
  columns?: SnapshotColumns,
): Promise<Snapshot | undefined> {
  const values: unknown[] = [key, PART_BYTES];
  let bound = '';
  if (atOrBefore !== undefined) {
    values.push(isoTime(atOrBefore, 'snapshot time'));
    bound = ' AND until <= $3::timestamptz';
  }
  // One statement, so the parts are of one snapshot whatever is committed or pruned meanwhile.
  const res = await exec<SnapshotPartRow>(
    ctx,
    ctx.pool,
    `read snapshot of job ${key}`,
    `SELECT ${INFO_COLUMNS}, substring(s.state FROM p * $2 + 1 FOR $2) AS part
     FROM (SELECT until, format_version, state_bytes, created_at, state FROM ${ctx.tables.snapshots}
           WHERE job_key = $1${bound} ORDER BY until DESC LIMIT 1) s,
          generate_series(0, greatest(octet_length(s.state) - 1, 0) / $2) AS p
     ORDER BY p`,
    values,
  );
  if (res.rows.length === 0) {
    return undefined;
  }
  const r = res.rows[0];
  const bytes = Buffer.concat(res.rows.map((row) => row.part));
  res.rows.length = 0;
  return {
    until: r.until,
    formatVersion: r.format_version,
    state: await decodeSnapshot(bytes, `job ${key} at ${new Date(r.until).toISOString()}`, {
      columns,
      jsonBytes: r.state_bytes,
    }),
    stateBytes: r.state_bytes,
    createdAt: r.created_at,
  };
}

export async function listSnapshots(ctx: StateContext, key: string): Promise<SnapshotInfo[]> {
  const res = await exec<SnapshotDbRow>(
    ctx,
    ctx.pool,
    `list snapshots of job ${key}`,
    `SELECT ${INFO_COLUMNS} FROM ${ctx.tables.snapshots} WHERE job_key = $1 ORDER BY until`,
    [key],
  );
  return res.rows.map((r) => ({
    until: r.until,
    formatVersion: r.format_version,
    stateBytes: r.state_bytes,
    compressedBytes: r.compressed_bytes,
    createdAt: r.created_at,
  }));
}

/**
 * Keeps the latest snapshot, the earliest one of every `keepEveryMs` period (epoch-aligned) and nothing
 * before `olderThan` (ms). Returns how many were deleted.
 */
export async function pruneSnapshots(
  ctx: StateContext,
  key: string,
  keepEveryMs: number,
  olderThan: number,
): Promise<number> {
  if (!Number.isFinite(keepEveryMs) || keepEveryMs <= 0) {
    throw new StoreError(
      'state_invalid',
      `snapshot period must be a positive number of milliseconds, not ${String(keepEveryMs)}`,
    );
  }
  const s = ctx.tables.snapshots;
  const res = await exec(
    ctx,
    ctx.pool,
    `prune snapshots of job ${key}`,
    `WITH ranked AS (
       SELECT until,
              row_number() OVER (PARTITION BY floor(extract(epoch FROM until) * 1000 / $2::numeric) ORDER BY until) AS n,
              max(until) OVER () AS latest
       FROM ${s} WHERE job_key = $1
     )
     DELETE FROM ${s} AS s USING ranked AS r
     WHERE s.job_key = $1 AND s.until = r.until AND r.until < r.latest AND (r.n > 1 OR r.until < $3::timestamptz)`,
    [key, keepEveryMs, isoTime(olderThan, 'snapshot cut-off')],
  );
  return res.rowCount ?? 0;
}
