/**
 * A test host that behaves like Grafana towards a backend plugin (docs/protocol.md): it spawns the built
 * executable with only Grafana's environment (no PATH) from a throw-away working directory, validates the
 * go-plugin handshake strictly, watches stdout/stderr for protocol violations, and talks pluginv2 over real
 * gRPC with the same message shapes Grafana sends.
 *
 * The executable is (re)built for this machine by `ensureBuiltExecutable()` when dist/datasource/ lacks it or it is older
 * than the backend sources; CI's `npm run build` builds every target beforehand, which makes that a no-op.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { tableFromIPC, type Table } from 'apache-arrow';
import { backendOutDir } from '../../scripts/backend-out-dir.mjs';
import {
  services,
  type PbCallResourceRequest,
  type PbCallResourceResponse,
  type PbCheckHealthResponse,
  type PbCollectMetricsResponse,
  type PbPluginContext,
  type PbQueryChunkedDataResponse,
  type PbQueryDataResponse,
} from '../../pkg-backend/src/plugin/protocol.ts';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const HANDSHAKE_RE = /^1\|2\|tcp\|127\.0\.0\.1:(\d{1,5})\|grpc$/;

export function hostExecutableName(): string {
  const goos = platform() === 'win32' ? 'windows' : platform();
  const goarch = arch() === 'x64' ? 'amd64' : arch();
  return `gpx_rarity_${goos}_${goarch}${goos === 'windows' ? '.exe' : ''}`;
}

export { backendOutDir };

export function executablePath(): string {
  return join(backendOutDir(), hostExecutableName());
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds this machine's target when dist/datasource/ lacks it or the sources changed since. */
export function ensureBuiltExecutable(): string {
  const exe = executablePath();
  const compiled = exe.replace(/(\.exe)?$/, (m) => (platform() === 'linux' ? '_glibc' : m));
  const stale =
    !existsSync(exe) ||
    !existsSync(compiled) ||
    statSync(compiled).mtimeMs < newestMtime(join(ROOT, 'pkg-backend', 'src'));
  if (stale) {
    const goarch = arch() === 'x64' ? 'amd64' : arch();
    const target = `${platform() === 'win32' ? 'windows' : platform()}-${goarch}`;
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-backend.mjs'), `--targets=${target}`], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      throw new Error(`building the backend failed:\n${result.stdout}\n${result.stderr}`);
    }
  }
  return exe;
}

/** Exactly what Grafana puts in a plugin's environment (plus optional GF_PLUGIN_* keys). */
export function grafanaEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    grafana_plugin_type: 'datasource',
    PLUGIN_PROTOCOL_VERSIONS: '2',
    PLUGIN_MIN_PORT: '10000',
    PLUGIN_MAX_PORT: '25000',
    GF_VERSION: '12.1.0',
    GF_EDITION: 'Open Source',
    GF_PLUGIN_LOG_LEVEL: 'debug',
    ...extra,
  };
}

export interface StderrLine {
  raw: string;
  json?: Record<string, unknown>;
}

export class PluginProcess {
  readonly stderr: StderrLine[] = [];
  /** Everything written to stdout after the handshake line (must stay empty). */
  extraStdout = '';
  handshake = '';
  port = 0;
  handshakeMs = 0;
  private exitInfo?: { code: number | null; signal: NodeJS.Signals | null; at: number };
  private readonly exited: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    readonly cwd: string,
  ) {
    this.exited = new Promise((resolveExit) =>
      child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal, at: Date.now() };
        resolveExit();
      }),
    );
    let pending = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const raw = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let json: Record<string, unknown> | undefined;
        try {
          const parsed: unknown = JSON.parse(raw);
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
            json = parsed as Record<string, unknown>;
          }
        } catch {
          // kept as raw; assertStderrIsJson reports it
        }
        this.stderr.push({ raw, json });
      }
    });
  }

  /** Reads the first stdout line like go-plugin (60 s start timeout) and checks it strictly. */
  async waitForHandshake(timeoutMs = 60_000): Promise<void> {
    const started = Date.now();
    const stdout = this.child.stdout!;
    stdout.setEncoding('utf8');
    let buffered = '';
    await new Promise<void>((resolveLine, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no handshake within ${timeoutMs} ms; stderr:\n${this.stderrText()}`)),
        timeoutMs,
      );
      const onData = (chunk: string): void => {
        if (this.handshake) {
          this.extraStdout += chunk;
          return;
        }
        buffered += chunk;
        const nl = buffered.indexOf('\n');
        if (nl < 0) {
          return;
        }
        this.handshake = buffered.slice(0, nl);
        this.extraStdout += buffered.slice(nl + 1);
        clearTimeout(timer);
        resolveLine();
      };
      stdout.on('data', onData);
      this.child.on('exit', (code) => {
        clearTimeout(timer);
        if (!this.handshake) {
          reject(
            new Error(
              `plugin exited (${code}) before the handshake; stdout: ${JSON.stringify(buffered)}; stderr:\n${this.stderrText()}`,
            ),
          );
        }
      });
    });
    this.handshakeMs = Date.now() - started;
    const match = HANDSHAKE_RE.exec(this.handshake);
    if (!match) {
      throw new Error(`malformed handshake line ${JSON.stringify(this.handshake)}`);
    }
    this.port = Number(match[1]);
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  stderrText(): string {
    return this.stderr.map((l) => l.raw).join('\n');
  }

  /** Lines Grafana would not parse as structured logs. */
  nonJsonStderr(): string[] {
    return this.stderr
      .filter(
        (l) =>
          !l.json ||
          typeof l.json['@level'] !== 'string' ||
          typeof l.json['@message'] !== 'string' ||
          '@timestamp' in l.json,
      )
      .map((l) => l.raw);
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** Resolves with the exit status, or rejects after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.exited,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`plugin still running after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    return this.exitInfo!;
  }

  /** Kills (if needed) and removes the temp working directory. */
  async dispose(): Promise<void> {
    if (this.alive) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    rmSync(this.cwd, { recursive: true, force: true });
  }
}

/** Spawns the executable the way Grafana does: no shell, no arguments, only Grafana's env, cwd elsewhere. */
export function spawnPlugin(options: { exe?: string; env?: Record<string, string> } = {}): PluginProcess {
  const cwd = mkdtempSync(join(tmpdir(), 'rarity-grafana-cwd-'));
  const child = spawn(options.exe ?? executablePath(), [], {
    cwd,
    env: options.env ?? grafanaEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
    shell: false,
  });
  return new PluginProcess(child, cwd);
}

export async function startPlugin(
  options: { exe?: string; env?: Record<string, string> } = {},
): Promise<PluginProcess> {
  const plugin = spawnPlugin(options);
  await plugin.waitForHandshake();
  return plugin;
}

// ---- Requests shaped like Grafana's ----

export interface TestDatasource {
  uid?: string;
  /** Default 'Rarity'. */
  name?: string;
  id?: number;
  lastUpdatedMS?: number;
  /** Raw jsonData bytes; an object is JSON-encoded, a string is sent verbatim (to test invalid JSON). */
  jsonData?: Record<string, unknown> | string;
  secure?: Record<string, string>;
  url?: string;
  user?: string;
  database?: string;
}

/** Connection fields for the test database, in the form Grafana's datasource settings hold them. */
export function datasourceFromDatabaseUrl(databaseUrl = process.env.DATABASE_URL ?? ''): TestDatasource {
  const u = new URL(databaseUrl);
  return {
    url: `${u.hostname}:${u.port || 5432}`,
    user: decodeURIComponent(u.username),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
    jsonData: { database: decodeURIComponent(u.pathname.replace(/^\//, '')), sslmode: 'disable' },
    secure: { password: decodeURIComponent(u.password) },
  };
}

export function pluginContext(
  ds: TestDatasource | null,
  user: PbPluginContext['user'] | null = { login: 'admin', name: 'Admin', email: 'admin@localhost', role: 'Admin' },
): Record<string, unknown> {
  const jsonData =
    ds?.jsonData === undefined ? '' : typeof ds.jsonData === 'string' ? ds.jsonData : JSON.stringify(ds.jsonData);
  return {
    orgId: 1,
    pluginId: 'rarity-anomaly-datasource',
    pluginVersion: '0.1.0',
    userAgent: 'Grafana/12.1.0 (linux; amd64)',
    grafanaConfig: { concurrent_query_count: '10' },
    ...(user ? { user } : {}),
    ...(ds
      ? {
          dataSourceInstanceSettings: {
            id: ds.id ?? 7,
            uid: ds.uid ?? 'rarity-test',
            name: ds.name ?? 'Rarity',
            url: ds.url ?? '',
            user: ds.user ?? '',
            database: ds.database ?? '',
            jsonData: Buffer.from(jsonData, 'utf8'),
            decryptedSecureJsonData: ds.secure ?? {},
            lastUpdatedMS: ds.lastUpdatedMS ?? 1_700_000_000_000,
          },
        }
      : {}),
  };
}

export function dataQuery(
  refId: string,
  json: unknown,
  options: { raw?: string; queryType?: string; from?: number; to?: number } = {},
): Record<string, unknown> {
  const to = options.to ?? Date.now();
  return {
    refId,
    queryType: options.queryType ?? '',
    maxDataPoints: 43200,
    intervalMS: 1000,
    timeRange: { fromEpochMS: options.from ?? to - 3_600_000, toEpochMS: to },
    json: Buffer.from(options.raw ?? JSON.stringify(json), 'utf8'),
  };
}

// ---- Typed clients ----

function promisify<Res>(client: grpc.Client, method: string, request: unknown): Promise<Res> {
  return new Promise((resolveCall, reject) => {
    (client as unknown as Record<string, (r: unknown, cb: (e: grpc.ServiceError | null, v: Res) => void) => void>)[
      method
    ](request, (err, value) => (err ? reject(err) : resolveCall(value)));
  });
}

function cancellable<Res>(
  client: grpc.Client,
  method: string,
  request: unknown,
): { response: Promise<Res>; cancel(): void } {
  let call: grpc.ClientUnaryCall | undefined;
  const response = new Promise<Res>((resolveCall, reject) => {
    call = (
      client as unknown as Record<
        string,
        (r: unknown, cb: (e: grpc.ServiceError | null, v: Res) => void) => grpc.ClientUnaryCall
      >
    )[method](request, (err, value) => (err ? reject(err) : resolveCall(value)));
  });
  return { response, cancel: () => call?.cancel() };
}

function collectStream<Res>(client: grpc.Client, method: string, request: unknown): Promise<Res[]> {
  return new Promise((resolveCall, reject) => {
    const call = (client as unknown as Record<string, (r: unknown) => grpc.ClientReadableStream<Res>>)[method](request);
    const messages: Res[] = [];
    call.on('data', (m: Res) => messages.push(m));
    call.on('error', reject);
    call.on('end', () => resolveCall(messages));
  });
}

export interface PluginClients {
  queryData(req: {
    pluginContext: unknown;
    headers?: Record<string, string>;
    queries: unknown[];
  }): Promise<PbQueryDataResponse>;
  /** QueryData that the caller can cancel, as Grafana does when a dashboard is left or a query superseded. */
  queryDataCall(req: { pluginContext: unknown; headers?: Record<string, string>; queries: unknown[] }): {
    response: Promise<PbQueryDataResponse>;
    cancel(): void;
  };
  queryChunkedData(req: {
    pluginContext: unknown;
    headers?: Record<string, string>;
    queries: unknown[];
  }): Promise<PbQueryChunkedDataResponse[]>;
  checkHealth(req: { pluginContext: unknown; headers?: Record<string, string> }): Promise<PbCheckHealthResponse>;
  collectMetrics(req: { pluginContext?: unknown }): Promise<PbCollectMetricsResponse>;
  callResource(
    req: Omit<Partial<PbCallResourceRequest>, 'pluginContext'> & { pluginContext: unknown },
  ): Promise<PbCallResourceResponse[]>;
  subscribeStream(req: unknown): Promise<unknown>;
  publishStream(req: unknown): Promise<unknown>;
  runStream(req: unknown): Promise<unknown[]>;
  healthCheck(service: string): Promise<{ status: string }>;
  shutdown(): Promise<unknown>;
  close(): void;
}

export function connect(address: string): PluginClients {
  const creds = grpc.credentials.createInsecure();
  const opts = { 'grpc.max_receive_message_length': 64 * 1024 * 1024 };
  const data = new (services.data())(address, creds, opts);
  const diagnostics = new (services.diagnostics())(address, creds, opts);
  const resource = new (services.resource())(address, creds, opts);
  const stream = new (services.stream())(address, creds, opts);
  const health = new (services.health())(address, creds, opts);
  const controller = new (services.controller())(address, creds, opts);
  return {
    queryData: (req) => promisify(data, 'QueryData', req),
    queryDataCall: (req) => cancellable(data, 'QueryData', req),
    queryChunkedData: (req) => collectStream(data, 'QueryChunkedData', req),
    checkHealth: (req) => promisify(diagnostics, 'CheckHealth', req),
    collectMetrics: (req) => promisify(diagnostics, 'CollectMetrics', req),
    callResource: (req) => collectStream(resource, 'CallResource', req),
    subscribeStream: (req) => promisify(stream, 'SubscribeStream', req),
    publishStream: (req) => promisify(stream, 'PublishStream', req),
    runStream: (req) => collectStream(stream, 'RunStream', req),
    healthCheck: (service) => promisify(health, 'Check', { service }),
    shutdown: () => promisify(controller, 'Shutdown', {}),
    close: () => [data, diagnostics, resource, stream, health, controller].forEach((c) => c.close()),
  };
}

/** Decodes DataResponse.frames the way Grafana does: each element is one Arrow IPC file. */
export function decodeFrames(frames: readonly Uint8Array[] | undefined): Table[] {
  return (frames ?? []).map((bytes) => {
    const magic = Buffer.from(bytes.subarray(0, 6)).toString('latin1');
    if (magic !== 'ARROW1') {
      throw new Error(`frame is not an Arrow IPC file (starts with ${JSON.stringify(magic)})`);
    }
    return tableFromIPC(bytes);
  });
}

/** Checks Prometheus text exposition format line by line; returns sample name → value (first label set). */
export function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const sample =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|\+Inf|-Inf|NaN))$/;
  for (const line of text.split('\n')) {
    if (line === '') {
      continue;
    }
    if (/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(line)) {
      continue;
    }
    const m = sample.exec(line);
    if (!m) {
      throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    }
    const key = `${m[1]}${m[2] ?? ''}`;
    samples.set(key, Number(m[3]));
  }
  return samples;
}
