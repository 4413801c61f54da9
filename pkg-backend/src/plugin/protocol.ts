/**
 * gRPC service definitions from the embedded .proto text (protos.ts), plus TypeScript shapes of the decoded
 * messages. Parsing in memory (protobufjs) and handing the JSON root to @grpc/proto-loader means the compiled
 * executable opens no file at run time.
 */
import * as grpc from '@grpc/grpc-js';
import { fromJSON, type Options } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { PROTO_FILES } from './protos.ts';

/** Decoding options shared by server and test host: int64 → decimal strings (no precision loss), enums → names. */
export const LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

let cached: grpc.GrpcObject | undefined;

/** The loaded grpc object; `.pluginv2.Data.service` etc. */
export function protocol(): grpc.GrpcObject {
  if (cached) {
    return cached;
  }
  const root = new protobuf.Root();
  for (const [file, text] of Object.entries(PROTO_FILES)) {
    try {
      protobuf.parse(text, root, { keepCase: true });
    } catch (err) {
      throw new Error(`embedded ${file} does not parse: ${(err as Error).message}`);
    }
  }
  cached = grpc.loadPackageDefinition(fromJSON(root.toJSON(), LOADER_OPTIONS));
  return cached;
}

type ServiceCtor = grpc.ServiceClientConstructor;

function lookup(path: string): ServiceCtor {
  let node: unknown = protocol();
  for (const part of path.split('.')) {
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node !== 'function') {
    throw new Error(`service ${path} missing from embedded protos`);
  }
  return node as ServiceCtor;
}

export const services = {
  data: () => lookup('pluginv2.Data'),
  diagnostics: () => lookup('pluginv2.Diagnostics'),
  resource: () => lookup('pluginv2.Resource'),
  stream: () => lookup('pluginv2.Stream'),
  health: () => lookup('grpc.health.v1.Health'),
  controller: () => lookup('plugin.GRPCController'),
};

// ---- Decoded message shapes (as produced with LOADER_OPTIONS; int64 fields arrive as strings) ----

export interface PbUser {
  login: string;
  name: string;
  email: string;
  role: string;
}

export interface PbDataSourceInstanceSettings {
  id: string;
  name: string;
  url: string;
  user: string;
  database: string;
  basicAuthEnabled: boolean;
  basicAuthUser: string;
  jsonData: Uint8Array;
  decryptedSecureJsonData: Record<string, string>;
  lastUpdatedMS: string;
  uid: string;
  apiVersion: string;
}

export interface PbPluginContext {
  orgId: string;
  pluginId: string;
  user: PbUser | null;
  dataSourceInstanceSettings: PbDataSourceInstanceSettings | null;
  grafanaConfig: Record<string, string>;
  pluginVersion: string;
  userAgent: string;
  apiVersion: string;
  namespace: string;
}

export interface PbTimeRange {
  fromEpochMS: string;
  toEpochMS: string;
}

export interface PbDataQuery {
  refId: string;
  maxDataPoints: string;
  intervalMS: string;
  timeRange: PbTimeRange | null;
  json: Uint8Array;
  queryType: string;
}

export interface PbQueryDataRequest {
  pluginContext: PbPluginContext | null;
  headers: Record<string, string>;
  queries: PbDataQuery[];
}

export interface PbDataResponse {
  frames?: Uint8Array[];
  error?: string;
  status?: number;
  errorSource?: string;
}

export interface PbQueryDataResponse {
  responses: Record<string, PbDataResponse>;
}

export interface PbCheckHealthRequest {
  pluginContext: PbPluginContext | null;
  headers: Record<string, string>;
}

export interface PbCheckHealthResponse {
  status: 'UNKNOWN' | 'OK' | 'ERROR';
  message: string;
  jsonDetails?: Uint8Array;
}

export interface PbStringList {
  values: string[];
}

export interface PbCallResourceRequest {
  pluginContext: PbPluginContext | null;
  path: string;
  method: string;
  url: string;
  headers: Record<string, PbStringList>;
  body: Uint8Array;
}

export interface PbCallResourceResponse {
  code?: number;
  headers?: Record<string, PbStringList>;
  body?: Uint8Array;
}

export interface PbCollectMetricsResponse {
  metrics: { prometheus: Uint8Array };
}

export interface PbQueryChunkedDataResponse {
  refId?: string;
  frameId?: string;
  frame?: Uint8Array;
  error?: string;
  status?: number;
  errorSource?: string;
}
