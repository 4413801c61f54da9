/**
 * What can go wrong with a request, and how it is answered: mistakes in the query or settings are the
 * plugin's (4xx), a database that is down, slow or refuses us is downstream (5xx).
 */
import { StoreError } from '../store/index.ts';
import { dataError, type DataErrorResponse } from './contract.ts';
import { BusyError } from './detectionQueue.ts';
import { QueryError } from './queryError.ts';
import { SettingsError } from './settings.ts';

const STATUS: Record<string, number> = {
  connection: 502,
  auth: 502,
  database_missing: 502,
  timeout: 504,
  cancelled: 504,
  query: 500,
};

/**
 * The plugin has more work than connections: 503, and the plugin's own (errorSource plugin), so Grafana does not
 * count it against the database or blame its settings.
 */
const BUSY_STATUS = 503;

/** The per-refId answer for a failed query. */
export function errorResponse(err: unknown): DataErrorResponse {
  if (err instanceof QueryError || err instanceof SettingsError) {
    return dataError(err.message, 400, 'plugin');
  }
  if (err instanceof BusyError || (err instanceof StoreError && err.kind === 'busy')) {
    return dataError(err.message, BUSY_STATUS, 'plugin');
  }
  if (err instanceof StoreError) {
    if (err.isUserError) {
      return dataError(err.message, 400, 'plugin');
    }
    return dataError(err.message, STATUS[err.kind] ?? 500, 'downstream');
  }
  const message = err instanceof Error ? err.message : String(err);
  return dataError(`internal error: ${message}`, 500, 'plugin');
}

/** The HTTP status of a failed resource call: as a query's, except that a missing table or column is 404. */
export function httpStatusOf(err: unknown): number {
  if (err instanceof StoreError && (err.kind === 'table_missing' || err.kind === 'column_missing')) {
    return 404;
  }
  if (err instanceof StoreError && err.kind === 'table_forbidden') {
    return 403;
  }
  return errorResponse(err).status;
}
