/**
 * Where a job's analysed history may end: the last complete bucket, with one bucket span of grace for rows
 * that arrive a little late (as incremental.ts does). Buckets after it are only ever scored as interim.
 */
import { alignDown } from '../detection.ts';

export function checkpointAt(now: number, spanMs: number): number {
  return alignDown(now - spanMs, spanMs);
}

/** Share of the job's history analysed, 0–100, for the "processing history" notice. */
export function progressPercent(historyStart: number | null, processedUntil: number | null, target: number): number {
  if (historyStart === null || processedUntil === null || target <= historyStart) {
    return processedUntil === null ? 0 : 100;
  }
  return Math.max(0, Math.min(100, Math.floor(((processedUntil - historyStart) / (target - historyStart)) * 100)));
}
