/**
 * The rule for the datasource's model memory limit, shared by the config editor (which points at a bad value
 * before Save & test) and the backend (which refuses it), so both say the same thing.
 */
import { DEFAULT_MODEL_MEMORY_LIMIT_BYTES, MAX_MODEL_MEMORY_LIMIT_MB, MIN_MODEL_MEMORY_LIMIT_MB } from './limits.ts';

export const BYTES_PER_MB = 1024 * 1024;

/**
 * Why `mb` is not a usable limit, or undefined when it is. Absent (undefined or null, as a cleared field or a
 * provisioning file without it) means the default. `name` is how the message calls the setting.
 */
export function modelMemoryLimitProblem(mb: unknown, name = 'Model memory limit'): string | undefined {
  if (mb === undefined || mb === null) {
    return undefined;
  }
  if (
    typeof mb === 'number' &&
    Number.isInteger(mb) &&
    mb >= MIN_MODEL_MEMORY_LIMIT_MB &&
    mb <= MAX_MODEL_MEMORY_LIMIT_MB
  ) {
    return undefined;
  }
  const shown = typeof mb === 'number' && !Number.isFinite(mb) ? String(mb) : JSON.stringify(mb);
  return `${name} ${shown} must be a whole number of MB from ${MIN_MODEL_MEMORY_LIMIT_MB} to ${MAX_MODEL_MEMORY_LIMIT_MB}`;
}

/** The limit in bytes of a setting modelMemoryLimitProblem accepted. */
export function modelMemoryLimitBytesOf(mb: number | null | undefined): number {
  return mb === undefined || mb === null ? DEFAULT_MODEL_MEMORY_LIMIT_BYTES : mb * BYTES_PER_MB;
}

/** "512 MB", as the settings page writes the limit. */
export function formatMegabytes(bytes: number): string {
  const mb = bytes / BYTES_PER_MB;
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
}
