/**
 * One error type for everything the store can fail at. A user sees these messages in Grafana, so each one
 * names what was wrong (table, column, value, host) and what is allowed; the server's own fields (SQLSTATE,
 * position, detail) are kept for logs and support.
 */

export type StoreErrorKind =
  | 'connection'
  | 'auth'
  | 'database_missing'
  | 'table_missing'
  /** A system catalogue, or a table outside the schemas the datasource may read. */
  | 'table_forbidden'
  | 'column_missing'
  | 'column_type'
  | 'invalid_identifier'
  | 'invalid_filter'
  | 'timeout'
  /** The caller cancelled (Grafana cancelled the request, or the plugin is stopping); the statement was cancelled too. */
  | 'cancelled'
  /** Every connection of the pool stayed in use for the whole connect timeout: too much work, not bad settings. */
  | 'busy'
  | 'range_too_large'
  | 'query'
  /** The state schema is newer than this code knows. */
  | 'state_version'
  /** A state write would contradict what is stored (progress backwards, another definition under a key). */
  | 'state_conflict'
  /** A chunk or snapshot handed to the state store breaks an invariant (a bug in the caller). */
  | 'state_invalid'
  | 'job_missing';

export interface StoreErrorInit {
  field?: string;
  value?: string;
  pgCode?: string;
  detail?: string;
  position?: string;
  hint?: string;
  cause?: unknown;
}

/** Kinds caused by what the user asked for (fix the query or settings), as opposed to the database being unwell. */
const USER_ERROR_KINDS: ReadonlySet<StoreErrorKind> = new Set([
  'table_missing',
  'table_forbidden',
  'column_missing',
  'column_type',
  'invalid_identifier',
  'invalid_filter',
  'range_too_large',
]);

export class StoreError extends Error {
  readonly kind: StoreErrorKind;
  field?: string;
  value?: string;
  pgCode?: string;
  detail?: string;
  position?: string;
  hint?: string;

  constructor(kind: StoreErrorKind, message: string, init: StoreErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'StoreError';
    this.kind = kind;
    this.field = init.field;
    this.value = init.value;
    this.pgCode = init.pgCode;
    this.detail = init.detail;
    this.position = init.position;
    this.hint = init.hint;
  }
  /** True when the request was wrong, not the database. */
  get isUserError(): boolean {
    return USER_ERROR_KINDS.has(this.kind);
  }
}

/** The error of work stopped because its caller cancelled it. */
export function cancelledError(): StoreError {
  return new StoreError('cancelled', 'detection was cancelled: the request was cancelled or the plugin is stopping');
}

/** What the caller was doing; used to make the message concrete. */
export interface ErrorContext {
  table?: string;
  column?: string;
  host?: string;
  port?: number | string;
  database?: string;
  user?: string;
  statementTimeoutMs?: number;
  /** Set when bind values came from user filters, so type errors become 'invalid_filter'. */
  filters?: boolean;
  /** Short description of the operation, e.g. "pushdown aggregate". */
  operation?: string;
}

interface PgLikeError {
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
  position?: string;
  table?: string;
  column?: string;
  errno?: number;
  syscall?: string;
  hostname?: string;
  address?: string;
  port?: number;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EPIPE',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02',
  '57P03', // cannot_connect_now (starting up / shutting down)
]);

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const VALUE_CODES = new Set(['22P02', '22007', '22008', '22009', '22003', '22023', '22021', '22001', '22P05']);

function where(ctx: ErrorContext): string {
  const host = ctx.host ? `${ctx.host}${ctx.port ? `:${ctx.port}` : ''}` : 'the configured host';
  return host;
}

function serverFields(e: PgLikeError, cause: unknown): StoreErrorInit {
  return { pgCode: e.code, detail: e.detail, position: e.position, hint: e.hint, cause };
}

/** Maps a pg / socket / TLS error to a StoreError. StoreErrors pass through unchanged. */
export function toStoreError(err: unknown, context: ErrorContext = {}): StoreError {
  if (err instanceof StoreError) {
    return err;
  }
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as PgLikeError;
  const code = e.code ?? '';
  const message = e.message ?? String(err);
  const fields = serverFields(e, err);
  const table = context.table ? ` on table ${context.table}` : '';

  if (code === '28P01' || code === '28000') {
    return new StoreError(
      'auth',
      `authentication failed for user "${context.user ?? '?'}" at ${where(context)}: ${message}. ` +
        'Check the user and the password in the datasource settings (and pg_hba.conf on the server).',
      { ...fields, field: 'user', value: context.user },
    );
  }
  if (code === '3D000') {
    return new StoreError(
      'database_missing',
      `database "${context.database ?? '?'}" does not exist at ${where(context)}: ${message}. ` +
        'Set Database to an existing database.',
      { ...fields, field: 'database', value: context.database },
    );
  }
  if (code === '57014') {
    const limit = context.statementTimeoutMs ? ` of ${context.statementTimeoutMs} ms` : '';
    return new StoreError(
      'timeout',
      `query${table} exceeded the statement timeout${limit}${context.operation ? ` (${context.operation})` : ''}: ${message}. ` +
        'Narrow the time range, add filters, or raise the query timeout in the datasource settings.',
      fields,
    );
  }
  if (code === '25P03') {
    return new StoreError(
      'timeout',
      `PostgreSQL ended the session of the query${table}${context.operation ? ` (${context.operation})` : ''} while it was idle in a transaction: ${message}. ` +
        'A detection reads each chunk in one transaction and waits between fetches while it scores; set ' +
        "idle_in_transaction_session_timeout to 0 for the plugin's role, or well above a second.",
      fields,
    );
  }
  if (code === '55P03') {
    return new StoreError('timeout', `query${table} waited too long for a lock: ${message}.`, fields);
  }
  // pg-pool's words when no pooled client came free within connectionTimeoutMillis: the server answered every
  // connection it has, so the settings are fine and "Check Host URL" would send people the wrong way.
  if (/^timeout exceeded when trying to connect$/i.test(message)) {
    return new StoreError(
      'busy',
      `all connections to PostgreSQL at ${where(context)} stayed in use${context.operation ? ` (${context.operation})` : ''}: ` +
        'too many queries are running at once; retry in a few seconds.',
      fields,
    );
  }
  if (TLS_CODES.has(code) || /does not support SSL/i.test(message)) {
    return new StoreError(
      'connection',
      `TLS connection to ${where(context)} failed: ${message}. ` +
        "Check the TLS/SSL mode ('disable', 'require', 'verify-ca', 'verify-full') and the CA certificate.",
      { ...fields, field: 'sslmode' },
    );
  }
  // The server dying under a statement (postmaster killed, immediate shutdown) reads as any of these; a
  // parallel query's leader reports its lost workers (SQLSTATE 55000) rather than the crash itself.
  if (
    CONNECTION_CODES.has(code) ||
    /connection terminated|timeout expired|connect ECONNREFUSED|getaddrinfo|postmaster exit|lost connection to parallel worker/i.test(
      message,
    )
  ) {
    return new StoreError(
      'connection',
      `cannot connect to PostgreSQL at ${where(context)}: ${message}. ` +
        'Check Host URL (host:port), that the server is running and that it accepts TCP connections.',
      {
        ...fields,
        field: 'url',
        value: context.host ? `${context.host}${context.port ? `:${context.port}` : ''}` : undefined,
      },
    );
  }
  if (code === '42P01') {
    return new StoreError('table_missing', `table ${context.table ?? '?'} does not exist: ${message}.`, {
      ...fields,
      field: 'table',
      value: context.table,
    });
  }
  if (code === '42703') {
    return new StoreError('column_missing', `column not found${table}: ${message}.`, {
      ...fields,
      field: context.column ?? e.column,
      value: context.column,
    });
  }
  if (VALUE_CODES.has(code) && context.filters) {
    return new StoreError('invalid_filter', `a filter value does not fit its column${table}: ${message}.`, fields);
  }
  return new StoreError(
    'query',
    `query${table} failed${context.operation ? ` (${context.operation})` : ''}: ${message}${code ? ` [SQLSTATE ${code}]` : ''}`,
    fields,
  );
}
