/**
 * Datasource instance settings as Grafana sends them in PluginContext, parsed into one typed value (apart
 * from the handlers, as grafana-plugin-examples' datasource-with-backend keeps models/settings apart from
 * plugin/datasource). jsonData arrives as raw JSON bytes that may be empty (a datasource saved without
 * options) or, in a broken provisioning file, not JSON at all; the latter is reported, never guessed around.
 */
import {
  DEFAULT_RETENTION_DAYS,
  DEFAULT_STATE_SCHEMA,
  MAX_RETENTION_DAYS,
  MIN_RETENTION_DAYS,
} from '../../../common/limits.ts';
import { modelMemoryLimitBytesOf, modelMemoryLimitProblem } from '../../../common/modelMemoryLimit.ts';
import { maxResponseMbOf, maxResponseMbProblem } from '../../../common/responseLimit.ts';
import type { RarityDataSourceOptions, RaritySecureJsonData } from '../../../common/queryModel.ts';
import { allowedSchemaEntries, allowedSchemaProblem } from '../../../common/allowedSchemas.ts';
import { truncateEcho } from '../../../common/echo.ts';
import {
  configFromDataSourceSettings,
  parseHostPort,
  parseStateSchema,
  parseTableName,
  SSL_MODES,
  type ConnectionConfig,
} from '../store/index.ts';

/**
 * The settings message as decoded from the wire (pluginv2.DataSourceInstanceSettings): int64s arrive as
 * strings, absent fields as undefined.
 */
export interface InstanceSettingsMessage {
  id?: string | number | null;
  uid?: string | null;
  name?: string | null;
  url?: string | null;
  user?: string | null;
  database?: string | null;
  basicAuthEnabled?: boolean | null;
  basicAuthUser?: string | null;
  jsonData?: Uint8Array | null;
  decryptedSecureJsonData?: Record<string, string> | null;
  lastUpdatedMS?: string | number | null;
  apiVersion?: string | null;
}

export interface DataSourceSettings {
  /** Deprecated internal id; uid is the stable identity. */
  id: number;
  uid: string;
  name: string;
  /** Top-level url/user/database as Grafana stores them; jsonData may override (see connection config). */
  url: string;
  user: string;
  database: string;
  basicAuthEnabled: boolean;
  basicAuthUser: string;
  jsonData: RarityDataSourceOptions;
  /** Decrypted secrets (password, TLS material). Never log this object. */
  secureJsonData: RaritySecureJsonData;
  lastUpdatedMS: number;
  apiVersion: string;
}

/** A datasource whose settings cannot be used; the message is meant for the person configuring it. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

export function parseJsonData(bytes: Uint8Array | undefined | null): RarityDataSourceOptions {
  if (!bytes || bytes.length === 0) {
    return {};
  }
  const text = new TextDecoder().decode(bytes).trim();
  if (text === '' || text === 'null') {
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SettingsError(`datasource jsonData is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SettingsError('datasource jsonData must be a JSON object');
  }
  return value as RarityDataSourceOptions;
}

export function parseDataSourceSettings(pb: InstanceSettingsMessage | null | undefined): DataSourceSettings {
  if (!pb) {
    throw new SettingsError('the request carries no datasource settings (is this plugin called as a datasource?)');
  }
  return {
    id: Number(pb.id ?? 0),
    uid: pb.uid ?? '',
    name: pb.name ?? '',
    url: pb.url ?? '',
    user: pb.user ?? '',
    database: pb.database ?? '',
    basicAuthEnabled: Boolean(pb.basicAuthEnabled),
    basicAuthUser: pb.basicAuthUser ?? '',
    jsonData: parseJsonData(pb.jsonData),
    secureJsonData: { ...(pb.decryptedSecureJsonData ?? {}) } as RaritySecureJsonData,
    lastUpdatedMS: Number(pb.lastUpdatedMS ?? 0),
    apiVersion: pb.apiVersion ?? '',
  };
}

/**
 * The "Model memory limit (MB)" setting in bytes; undefined when it is not set, so the engine's default
 * applies (and requests without the setting stay as they were). Refused with a message naming the setting.
 */
export function modelMemoryLimitBytes(o: RarityDataSourceOptions): number | undefined {
  const mb: unknown = o.modelMemoryLimitMb;
  const problem = modelMemoryLimitProblem(mb, 'Model memory limit (modelMemoryLimitMb)');
  if (problem) {
    throw new SettingsError(problem);
  }
  return mb === undefined || mb === null ? undefined : modelMemoryLimitBytesOf(mb as number);
}

/** Encoded frames one refId may answer with (jsonData.maxResponseMb), refused with a message naming the setting. */
export function maxResponseBytes(o: RarityDataSourceOptions): number {
  const problem = maxResponseMbProblem(o.maxResponseMb);
  if (problem) {
    throw new SettingsError(problem);
  }
  return maxResponseMbOf(o.maxResponseMb) * 1024 * 1024;
}

/** Schemas a datasource may list to read tables from; more is a mistake, not a scope. */
const MAX_ALLOWED_SCHEMAS = 100;

/**
 * The "Allowed schemas" setting (jsonData.allowedSchemas: a list, or one comma-separated text as a provisioning
 * file may write it), each a schema name as PostgreSQL folds it. Empty: the caller falls back to the log
 * table's own schema. A system schema is refused here, so Save & test says so.
 */
export function allowedSchemasOf(o: RarityDataSourceOptions): string[] {
  const raw: unknown = o.allowedSchemas;
  const names = allowedSchemaEntries(raw);
  if (!names) {
    throw new SettingsError(
      `Allowed schemas (allowedSchemas) must be a list of schema names, got ${truncateEcho(JSON.stringify(raw) ?? String(raw))}`,
    );
  }
  if (names.length > MAX_ALLOWED_SCHEMAS) {
    throw new SettingsError(`Allowed schemas: ${names.length} given; at most ${MAX_ALLOWED_SCHEMAS}`);
  }
  const schemas = names.map((name) => {
    let parsed: { schema?: string; name: string };
    try {
      parsed = parseTableName(name);
    } catch (e) {
      throw new SettingsError(`Allowed schemas: ${(e as Error).message.replace(/^table /, 'schema ')}`);
    }
    if (parsed.schema !== undefined) {
      throw new SettingsError(`Allowed schemas: "${truncateEcho(name)}" is not a schema name (it has a dot)`);
    }
    const problem = allowedSchemaProblem(name);
    if (problem) {
      throw new SettingsError(problem);
    }
    return parsed.name;
  });
  return [...new Set(schemas)];
}

/** Where a datasource keeps its detection jobs, parsed from the "Results storage" settings. */
export interface StateSettings {
  /** The state schema as written (validated; the store folds its case). */
  schema: string;
  /** A separate state database; null: the log database keeps the state. */
  database: ConnectionConfig | null;
  retentionDays: number;
}

/** The state pool holds a job's advisory lock on one client while another writes the chunk. */
export const STATE_POOL_MAX = 4;

/**
 * The "Results storage" settings, refused with a message naming the setting. A separate state database
 * follows the log database's rules; what it leaves empty (host, user and password, TLS) is taken from the
 * log database, so naming only another database on the same server is enough.
 */
export function parseStateSettings(settings: DataSourceSettings): StateSettings {
  const o = settings.jsonData;
  const schema = o.stateSchema?.trim() || DEFAULT_STATE_SCHEMA;
  try {
    parseStateSchema(schema);
  } catch (e) {
    throw new SettingsError(`Results storage: ${(e as Error).message}`);
  }
  const retentionDays = o.retentionDays ?? DEFAULT_RETENTION_DAYS;
  if (
    typeof retentionDays !== 'number' ||
    !Number.isInteger(retentionDays) ||
    retentionDays < MIN_RETENTION_DAYS ||
    retentionDays > MAX_RETENTION_DAYS
  ) {
    throw new SettingsError(
      `Results storage: retention "${String(retentionDays)}" must be a whole number of days from ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS}`,
    );
  }
  const url = o.stateUrl?.trim() ?? '';
  const database = o.stateDatabase?.trim() ?? '';
  if (url === '' && database === '') {
    return { schema, database: null, retentionDays };
  }
  if (o.stateSslmode !== undefined && !SSL_MODES.includes(o.stateSslmode)) {
    throw new SettingsError(
      `Results storage: state database TLS mode "${String(o.stateSslmode)}" is not one of ${SSL_MODES.join(', ')}`,
    );
  }
  const stateUser = o.stateUser?.trim() ?? '';
  let log: ConnectionConfig;
  try {
    log = configFromDataSourceSettings({
      url: settings.url,
      database: settings.database,
      user: settings.user,
      jsonData: o,
      secure: { ...settings.secureJsonData },
    });
    if (url !== '') {
      const { host, port } = parseHostPort(url);
      log = { ...log, host, port: port ?? 5432 };
    }
  } catch (e) {
    throw new SettingsError(`Results storage: state database ${(e as Error).message}`);
  }
  return {
    schema,
    retentionDays,
    database: {
      ...log,
      database: database || log.database,
      // Another user never borrows the log user's password.
      user: stateUser || log.user,
      password: stateUser
        ? settings.secureJsonData.statePassword
        : // A reset secret arrives as '': the log user keeps its own password.
          settings.secureJsonData.statePassword || log.password,
      sslmode: o.stateSslmode ?? log.sslmode,
      applicationName: 'rarity-state',
      max: STATE_POOL_MAX,
    },
  };
}
