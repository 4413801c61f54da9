/**
 * Connection settings and the pool. Every connection carries statement_timeout and lock_timeout as startup
 * parameters, so no statement of ours can run unbounded, whichever module issues it.
 */
import pg from 'pg';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { DEFAULT_SSLMODE, type RarityDataSourceOptions } from '../../../common/queryModel.ts';
import { StoreError } from './errors.ts';

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';
export const SSL_MODES: readonly SslMode[] = ['disable', 'require', 'verify-ca', 'verify-full'];

export interface ConnectionConfig {
  connectionString?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  sslmode?: SslMode;
  /** PEM text, or a path to a PEM file. */
  sslRootCert?: string;
  sslCert?: string;
  sslKey?: string;
  /** Default 30000. */
  statementTimeoutMs?: number;
  /** Default 10000. */
  connectTimeoutMs?: number;
  applicationName?: string;
  max?: number;
}

const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

function pem(valueOrPath: string | undefined, field: string): string | undefined {
  if (!valueOrPath) {
    return undefined;
  }
  if (valueOrPath.includes('-----BEGIN')) {
    return valueOrPath;
  }
  try {
    return readFileSync(valueOrPath, 'utf8');
  } catch (err) {
    throw new StoreError('connection', `cannot read ${field} file "${valueOrPath}": ${(err as Error).message}`, {
      field,
      value: valueOrPath,
      cause: err,
    });
  }
}

function sslOptions(config: ConnectionConfig): false | ConnectionOptions | undefined {
  const mode = config.sslmode;
  if (mode === undefined) {
    return undefined;
  } // let a connection string's own sslmode decide
  if (!SSL_MODES.includes(mode)) {
    throw new StoreError('connection', `sslmode "${mode}" is not supported; use one of ${SSL_MODES.join(', ')}`, {
      field: 'sslmode',
      value: String(mode),
    });
  }
  if (mode === 'disable') {
    return false;
  }
  const tls: ConnectionOptions = {
    ca: pem(config.sslRootCert, 'sslRootCert'),
    cert: pem(config.sslCert, 'sslCert'),
    key: pem(config.sslKey, 'sslKey'),
  };
  if (mode === 'require') {
    return { ...tls, rejectUnauthorized: false };
  }
  // verify-ca trusts the chain but, like libpq, does not check the host name.
  if (mode === 'verify-ca') {
    return { ...tls, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  }
  return { ...tls, rejectUnauthorized: true };
}

/** The pg client configuration for a ConnectionConfig (exposed for tests and the health check). */
export function poolConfig(config: ConnectionConfig): pg.PoolConfig {
  const statementTimeout = config.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const ssl = sslOptions(config);
  const out: pg.PoolConfig = {
    connectionString: config.connectionString,
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    password: config.password,
    statement_timeout: statementTimeout,
    lock_timeout: Math.min(statementTimeout, 10_000),
    connectionTimeoutMillis: config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    application_name: config.applicationName ?? 'rarity',
    max: config.max ?? 10,
    idleTimeoutMillis: 30_000,
  };
  if (ssl !== undefined) {
    out.ssl = ssl;
  }
  for (const key of Object.keys(out) as Array<keyof pg.PoolConfig>) {
    if (out[key] === undefined) {
      delete out[key];
    }
  }
  return out;
}

/** Where a pool connects, for error messages (never includes the password). */
export interface ConnectionTarget {
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  statementTimeoutMs: number;
}

const targets = new WeakMap<pg.Pool, ConnectionTarget>();

export function connectionTarget(pool: pg.Pool): ConnectionTarget {
  return targets.get(pool) ?? { statementTimeoutMs: DEFAULT_STATEMENT_TIMEOUT_MS };
}

const serverErrors = new WeakMap<pg.ClientBase, Error>();

/** What ended a checked-out client between two of its statements, if anything did. */
export function errorBetweenStatements(client: pg.ClientBase): Error | undefined {
  return serverErrors.get(client);
}

export function createPool(config: ConnectionConfig): pg.Pool {
  const pool = new pg.Pool(poolConfig(config));
  // An idle client losing its server (restart, network) emits 'error' on the pool; unhandled, Node would
  // crash the whole plugin process. The pool already discards that client, so logging is all that is left.
  pool.on('error', (err) => {
    process.stderr.write(
      JSON.stringify({ '@level': 'warn', '@message': 'idle PostgreSQL client error', error: err.message }) + '\n',
    );
  });
  // A checked-out client whose server vanishes without an error message (postmaster SIGKILLed, immediate
  // shutdown) emits 'error' from inside the socket's close handler, and the pool only listens while the
  // client is idle. Unheard, that emit throws through the runtime's socket code: under bun (the shipped
  // executable) the throw leaves its close handling half done and the event loop spins at 100 % CPU,
  // answering nothing, SIGTERM included. An error under a statement already reached it (pg errors every
  // queued query first); one between statements (the server ending an idle transaction) is kept, as the next
  // statement only hears that the client is "not queryable".
  pool.on('connect', (client) => {
    // The first error is the server's reason; the socket closing right after adds "terminated unexpectedly".
    client.on('error', (err) => {
      if (!serverErrors.has(client)) {
        serverErrors.set(client, err);
      }
    });
  });
  let parsed: { host?: string; port?: number; database?: string; user?: string } = {};
  if (config.connectionString) {
    try {
      const u = new URL(config.connectionString);
      parsed = {
        host: u.hostname || undefined,
        port: u.port ? Number(u.port) : undefined,
        database: decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined,
        user: decodeURIComponent(u.username) || undefined,
      };
    } catch {
      // a libpq key=value string; the explicit fields below still apply
    }
  }
  targets.set(pool, {
    host: config.host ?? parsed.host,
    port: config.port ?? parsed.port,
    database: config.database ?? parsed.database,
    user: config.user ?? parsed.user,
    statementTimeoutMs: config.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
  });
  return pool;
}

export interface DataSourceSettingsLike {
  url?: string;
  database?: string;
  user?: string;
  jsonData?: RarityDataSourceOptions;
  secure?: Record<string, string | undefined>;
}

/** A pasted connection URL's password must never come back in an error message or a log line. */
function redactCredentials(url: string): string {
  return url.replace(/^(\s*(?:postgres(?:ql)?:\/\/)?)([^@/]*)@/i, (_m, scheme: string, userInfo: string) => {
    const colon = userInfo.indexOf(':');
    return `${scheme}${colon < 0 ? userInfo : `${userInfo.slice(0, colon)}:***`}@`;
  });
}

/** Splits Grafana's "host:port" (also "[::1]:5432", a bare host, or a socket directory) into parts. */
export function parseHostPort(url: string): { host: string; port?: number } {
  const text = url
    .trim()
    .replace(/^postgres(ql)?:\/\//i, '')
    .replace(/\/.*$/, '');
  if (text.startsWith('/') || url.trim().startsWith('/')) {
    return { host: url.trim() };
  }
  if (text.includes('@')) {
    const shown = redactCredentials(url);
    throw new StoreError(
      'connection',
      `Host URL "${shown}" carries credentials: enter host:port only (e.g. localhost:5432); user and password have their own fields`,
      { field: 'url', value: shown },
    );
  }
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) {
    return { host: v6[1], port: v6[2] ? Number(v6[2]) : undefined };
  }
  const m = /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m) {
    throw new StoreError('connection', `Host URL "${url}" is not host:port (e.g. localhost:5432)`, {
      field: 'url',
      value: url,
    });
  }
  const port = m[2] ? Number(m[2]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) {
    throw new StoreError('connection', `port ${port} in Host URL "${url}" is outside 1–65535`, {
      field: 'url',
      value: url,
    });
  }
  return { host: m[1], port };
}

/** PostgreSQL's statement_timeout is an int4 of milliseconds; 0 would disable it. */
const MAX_STATEMENT_TIMEOUT_MS = 2_147_483_647;

/**
 * A positive setting never becomes 0: rounding 0.0004 s to 0 ms would switch the timeout off, the opposite of
 * what a tiny value asks for. Anything not a positive finite number falls back to the default.
 */
export function statementTimeoutFromSeconds(seconds: unknown): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    return DEFAULT_STATEMENT_TIMEOUT_MS;
  }
  return Math.min(MAX_STATEMENT_TIMEOUT_MS, Math.max(1, Math.ceil(seconds * 1000)));
}

/** Datasource settings (same keys as Grafana's PostgreSQL datasource) → ConnectionConfig. */
export function configFromDataSourceSettings(settings: DataSourceSettingsLike): ConnectionConfig {
  const json = settings.jsonData ?? {};
  const secure = settings.secure ?? {};
  const url = settings.url || json.url || 'localhost:5432';
  const { host, port } = parseHostPort(url);
  const byContent = json.tlsConfigurationMethod === 'file-content';
  const timeoutSeconds = json.queryTimeoutSeconds;
  return {
    host,
    port: port ?? 5432,
    database: settings.database || json.database,
    user: settings.user || json.user,
    password: secure.password,
    sslmode: json.sslmode ?? DEFAULT_SSLMODE,
    sslRootCert: byContent ? secure.tlsCACert : json.sslRootCertFile,
    sslCert: byContent ? secure.tlsClientCert : json.sslCertFile,
    sslKey: byContent ? secure.tlsClientKey : json.sslKeyFile,
    statementTimeoutMs: statementTimeoutFromSeconds(timeoutSeconds),
    applicationName: 'rarity',
  };
}
