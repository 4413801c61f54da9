/**
 * The per-refId response limit (jsonData.maxResponseMb): one rule for the settings page and the backend, so a
 * value the editor accepts is one the backend accepts.
 */
import { DEFAULT_MAX_RESPONSE_MB, MAX_MAX_RESPONSE_MB, MIN_MAX_RESPONSE_MB } from './limits.ts';

/** What is wrong with a maxResponseMb setting, or undefined when it is fine (unset means the default). */
export function maxResponseMbProblem(mb: unknown): string | undefined {
  if (mb === undefined || mb === null) {
    return undefined;
  }
  if (typeof mb === 'number' && Number.isInteger(mb) && mb >= MIN_MAX_RESPONSE_MB && mb <= MAX_MAX_RESPONSE_MB) {
    return undefined;
  }
  const shown = typeof mb === 'number' && !Number.isFinite(mb) ? String(mb) : JSON.stringify(mb);
  return `Max response size (maxResponseMb) ${shown} must be a whole number of MB from ${MIN_MAX_RESPONSE_MB} to ${MAX_MAX_RESPONSE_MB}`;
}

/** The limit in MB of a setting maxResponseMbProblem accepted. */
export function maxResponseMbOf(mb: number | null | undefined): number {
  return mb === undefined || mb === null ? DEFAULT_MAX_RESPONSE_MB : mb;
}
