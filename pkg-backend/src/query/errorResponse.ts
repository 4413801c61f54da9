/**
 * Maps what went wrong to a per-refId DataResponse error: mistakes in the query or settings are the plugin's
 * (4xx), a database that is down, slow or refuses us is downstream (5xx).
 */
import { queryError, type DataResponseOut } from '../plugin/handlers.ts';
import { SettingsError } from '../plugin/settings.ts';
import { StoreError } from '../store/errors.ts';
import { QueryError } from './errors.ts';

const STATUS: Record<string, number> = { connection: 502, auth: 502, database_missing: 502, timeout: 504, query: 500 };

export function errorResponse(err: unknown): DataResponseOut {
  if (err instanceof QueryError || err instanceof SettingsError) return queryError(err.message, 400, 'plugin');
  if (err instanceof StoreError) {
    if (err.isUserError) return queryError(err.message, 400, 'plugin');
    return queryError(err.message, STATUS[err.kind] ?? 500, 'downstream');
  }
  const message = err instanceof Error ? err.message : String(err);
  return queryError(`internal error: ${message}`, 500, 'plugin');
}

export function httpStatusOf(err: unknown): number {
  const r = errorResponse(err) as { status: number };
  if (err instanceof StoreError && (err.kind === 'table_missing' || err.kind === 'column_missing')) return 404;
  return r.status;
}
