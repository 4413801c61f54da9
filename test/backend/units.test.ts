/** Small pieces of the protocol layer: logger, handshake, settings, headers, metrics, embedded protos. */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isFromAlert } from '../../pkg-backend/src/plugin/context.ts';
import { handshakeLine, hasMagicCookie, hostSupportsProtocol } from '../../pkg-backend/src/plugin/handshake.ts';
import { createLogger, levelFromEnv } from '../../pkg-backend/src/plugin/logger.ts';
import { PluginMetrics } from '../../pkg-backend/src/plugin/metrics.ts';
import { PROTO_FILES } from '../../pkg-backend/src/plugin/protos.ts';
import { protocol } from '../../pkg-backend/src/plugin/protocol.ts';
import { parseDataSourceSettings, parseJsonData, SettingsError } from '../../pkg-backend/src/query/settings.ts';
import { HANDSHAKE_RE, parsePrometheus, ROOT } from './host.ts';

describe('logger', () => {
  it('writes @level/@message JSON lines, no @timestamp, honours the level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', sink: (l) => lines.push(l) });
    log.debug('hidden');
    log.info('shown', { a: 1, big: 2n, err: new Error('boom'), '@timestamp': 'x' });
    log.child({ uid: 'u' }).warn('child');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith('\n') && l.indexOf('\n') === l.length - 1)).toBe(true);
    const first = JSON.parse(lines[0]);
    expect(first).toMatchObject({ '@level': 'info', '@message': 'shown', a: 1, big: '2' });
    expect(first.err).toMatch(/boom/);
    expect(first).not.toHaveProperty('@timestamp');
    expect(JSON.parse(lines[1])).toMatchObject({ '@level': 'warn', uid: 'u' });
  });

  it('reads the level from GF_PLUGIN_LOG_LEVEL, defaulting to info', () => {
    expect(levelFromEnv({})).toBe('info');
    expect(levelFromEnv({ GF_PLUGIN_LOG_LEVEL: 'DEBUG' })).toBe('debug');
    expect(levelFromEnv({ GF_PLUGIN_LOG_LEVEL: 'warning' })).toBe('warn');
    expect(levelFromEnv({ GF_PLUGIN_LOG_LEVEL: 'loud' })).toBe('info');
  });
});

describe('handshake', () => {
  it('line and cookie', () => {
    expect(handshakeLine(1234)).toBe('1|2|tcp|127.0.0.1:1234|grpc\n');
    expect(HANDSHAKE_RE.test(handshakeLine(1234).trimEnd())).toBe(true);
    expect(hasMagicCookie({ grafana_plugin_type: 'datasource' })).toBe(true);
    expect(hasMagicCookie({ grafana_plugin_type: 'app' })).toBe(false);
    expect(hasMagicCookie({})).toBe(false);
    expect(hostSupportsProtocol({ PLUGIN_PROTOCOL_VERSIONS: '1,2' })).toBe(true);
    expect(hostSupportsProtocol({ PLUGIN_PROTOCOL_VERSIONS: '1' })).toBe(false);
  });
});

describe('settings', () => {
  const base = {
    id: '3',
    name: 'n',
    url: 'db:5432',
    user: 'u',
    database: 'd',
    basicAuthEnabled: false,
    basicAuthUser: '',
    decryptedSecureJsonData: { password: 'p' },
    lastUpdatedMS: '17',
    uid: 'abc',
    apiVersion: '',
  };
  it('empty jsonData is {}; invalid JSON is a clear SettingsError', () => {
    expect(parseJsonData(new Uint8Array())).toEqual({});
    expect(parseJsonData(Buffer.from('  '))).toEqual({});
    expect(() => parseJsonData(Buffer.from('{x'))).toThrow(/jsonData is not valid JSON/);
    expect(() => parseJsonData(Buffer.from('[1]'))).toThrow(SettingsError);
  });
  it('parses ids, secrets and jsonData', () => {
    const s = parseDataSourceSettings({ ...base, jsonData: Buffer.from('{"table":"t"}') });
    expect(s).toMatchObject({
      id: 3,
      uid: 'abc',
      lastUpdatedMS: 17,
      jsonData: { table: 't' },
      secureJsonData: { password: 'p' },
    });
    expect(() => parseDataSourceSettings(null)).toThrow(/no datasource settings/);
  });
});

describe('headers', () => {
  it('FromAlert is matched case-insensitively', () => {
    expect(isFromAlert({ FromAlert: 'true' })).toBe(true);
    expect(isFromAlert({ fromalert: 'TRUE' })).toBe(true);
    expect(isFromAlert({ FromAlert: 'false' })).toBe(false);
    expect(isFromAlert({})).toBe(false);
  });
});

describe('metrics', () => {
  it('renders valid Prometheus text with escaped labels', () => {
    const m = new PluginMetrics();
    m.recordQuery('scores', 'ok');
    m.recordQuery('weird"\n', 'error');
    m.recordQueryDuration(0.2, 'ok');
    m.recordHealth('OK');
    m.recordResource('GET', 404);
    const samples = parsePrometheus(m.render());
    expect(samples.get('rarity_queries_total{query_type="scores",outcome="ok"}')).toBe(1);
    expect(samples.get('rarity_queries_total{query_type="other",outcome="error"}')).toBe(1);
    expect(samples.get('rarity_query_duration_seconds_bucket{outcome="ok",le="0.25"}')).toBe(1);
    expect(samples.get('rarity_query_duration_seconds_bucket{outcome="ok",le="0.1"}')).toBe(0);
    expect(samples.get('rarity_resource_calls_total{method="GET",status="4xx"}')).toBe(1);
    expect(samples.has('rarity_gc_paced_collections_total')).toBe(false);
    const paced = parsePrometheus(new PluginMetrics({ gcCollections: () => 3 }).render());
    expect(paced.get('rarity_gc_paced_collections_total')).toBe(3);
  });
});

describe('embedded protos', () => {
  it('protos.ts matches proto/*.proto (run `node scripts/build-backend.mjs --protos-only` after editing)', () => {
    const dir = join(ROOT, 'pkg-backend/src/plugin/proto');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.proto'))
      .sort();
    expect(Object.keys(PROTO_FILES).sort()).toEqual(files);
    for (const f of files) {
      expect(PROTO_FILES[f]).toBe(readFileSync(join(dir, f), 'utf8'));
    }
  });

  it('field numbers match docs/protocol.md (Field numbers)', () => {
    const root = protocol() as unknown as {
      pluginv2: Record<string, { type: { field: Array<{ name: string; number: number }> } }>;
    };
    const numbers = (msg: string) => Object.fromEntries(root.pluginv2[msg].type.field.map((f) => [f.name, f.number]));
    expect(numbers('PluginContext')).toEqual({
      orgId: 1,
      pluginId: 2,
      user: 3,
      appInstanceSettings: 4,
      dataSourceInstanceSettings: 5,
      grafanaConfig: 6,
      pluginVersion: 7,
      userAgent: 8,
      apiVersion: 9,
      namespace: 10,
    });
    expect(numbers('DataSourceInstanceSettings')).toMatchObject({
      jsonData: 8,
      decryptedSecureJsonData: 9,
      lastUpdatedMS: 10,
      uid: 11,
      apiVersion: 12,
    });
    expect(numbers('DataQuery')).toEqual({
      refId: 1,
      maxDataPoints: 2,
      intervalMS: 3,
      timeRange: 4,
      json: 5,
      queryType: 6,
    });
    expect(numbers('QueryDataRequest')).toEqual({ pluginContext: 1, headers: 2, queries: 3 });
    expect(numbers('DataResponse')).toEqual({ frames: 1, error: 2, jsonMeta: 3, status: 4, errorSource: 5 });
    expect(numbers('QueryChunkedDataResponse')).toEqual({
      refId: 1,
      frameId: 2,
      frame: 3,
      error: 4,
      status: 5,
      errorSource: 6,
    });
    expect(numbers('CallResourceRequest')).toEqual({
      pluginContext: 1,
      path: 2,
      method: 3,
      url: 4,
      headers: 5,
      body: 6,
    });
    expect(numbers('CallResourceResponse')).toEqual({ code: 1, headers: 2, body: 3 });
    expect(numbers('CheckHealthResponse')).toEqual({ status: 1, message: 2, jsonDetails: 3 });
  });
});

describe('conventions', () => {
  it('no console.* calls and no stdout writes in the backend (stdout belongs to the handshake)', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          walk(p);
        } else if (p.endsWith('.ts')) {
          const text = readFileSync(p, 'utf8');
          if (/console\.(log|info|debug|warn|error|trace)\(/.test(text) || /process\.stdout\.write/.test(text)) {
            offenders.push(p);
          }
        }
      }
    };
    walk(join(ROOT, 'pkg-backend/src/plugin'));
    expect(offenders).toEqual([]);
  });
});
