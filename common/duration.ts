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

const ELASTIC_TIME_UNITS: Record<string, number> = {
  nanos: 1e-6,
  micros: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Milliseconds of one of Elastic's time values ("15m", "1h", "30s", "1d"; Elasticsearch's TimeValue: one
 * whole number, an optional blank, a unit out of nanos, micros, ms, s, m, h, d, any letter case); NaN for
 * anything else, fractions ("1.5h") and compound spans ("1h30m") included, as Elastic refuses them too.
 */
export function parseElasticTimeMs(text: string): number {
  const match = /^(\d+)\s*(nanos|micros|ms|s|m|h|d)$/.exec(
    String(text ?? '')
      .trim()
      .toLowerCase(),
  );
  return match ? Number(match[1]) * ELASTIC_TIME_UNITS[match[2]] : Number.NaN;
}

/**
 * A whole number of seconds in the largest unit that divides it ("1h", "90m", "45s", "2d"): read alike by
 * parseDurationMs and by Elastic, the form both a query's and an Elastic job's bucket span are written in.
 */
export function formatSeconds(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds !== 0 && seconds % size === 0) {
      return `${seconds / size}${unit}`;
    }
  }
  return `${seconds}s`;
}
