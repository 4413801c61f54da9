/**
 * Datasource instance settings as Grafana sends them in PluginContext, parsed into one typed value (apart
 * from the handlers, as grafana-plugin-examples' datasource-with-backend keeps models/settings apart from
 * plugin/datasource). jsonData arrives as raw JSON bytes that may be empty (a datasource saved without
 * options) or, in a broken provisioning file, not JSON at all; the latter is reported, never guessed around.
 */
import type { RarityDataSourceOptions, RaritySecureJsonData } from '../../../common/queryModel.ts';

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
