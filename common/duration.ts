/** Grafana durations ("30s", "5m", "1h30m"), the form bucket spans are written in. */

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Milliseconds of a duration such as "30s", "5m", "1h", "1d" or "1h30m"; NaN for anything else (signs,
 * decimals, spaces inside, unknown units), so callers word the refusal for the field they check.
 */
export function parseDurationMs(text: string): number {
  const trimmed = String(text ?? '').trim();
  const re = /(\d+)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(trimmed)) !== null) {
    total += Number(match[1]) * DURATION_UNITS[match[2]];
    consumed = re.lastIndex;
  }
  return trimmed === '' || consumed !== trimmed.length ? Number.NaN : total;
}
