/**
 * The built executable, spawned and called exactly as Grafana does (see host.ts). Builds this machine's
 * target first when dist/datasource/ lacks it or is stale; CI's `npm run build` makes that a no-op.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import {
  connect,
  dataQuery,
  datasourceFromDatabaseUrl,
  decodeFrames,
  ensureBuiltExecutable,
  executablePath,
  grafanaEnv,
  parsePrometheus,
  pluginContext,
  spawnPlugin,
  startPlugin,
  type PluginClients,
  type PluginProcess,
} from './host.ts';

beforeAll(() => {
  ensureBuiltExecutable();
}, 180_000);

describe('executable file', () => {
  it('the Linux entry point is a #!/bin/sh launcher using built-ins only, with LF endings', () => {
    if (process.platform !== 'linux') {
      return;
    }
    const text = readFileSync(executablePath(), 'utf8');
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).not.toContain('\r');
    expect(text).toMatch(/exec "\$dir\/gpx_rarity_linux_\w+_glibc"/);
    expect(text).toMatch(/exec "\$dir\/gpx_rarity_linux_\w+_musl"/);
    // No external commands: dirname/uname would need a PATH Grafana may not pass.
    expect(text).not.toMatch(/\b(dirname|uname|ldd|readlink|ls)\b/);
  });

  it('the musl build is linked against musl (it cannot run on this glibc machine)', () => {
    if (process.platform !== 'linux') {
      return;
    }
    const musl = readFileSync(executablePath() + '_musl');
    expect(musl.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(musl.includes(Buffer.from('/lib/ld-musl-'))).toBe(true);
  });
});

describe('handshake and lifecycle', () => {
  it('refuses to run without the magic cookie: exit non-zero, no handshake, a human message', async () => {
    const env = grafanaEnv();
    delete (env as Record<string, string | undefined>).grafana_plugin_type;
    const plugin = spawnPlugin({ env });
    let stdout = '';
    plugin.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      const exit = await plugin.waitForExit(30_000);
      expect(exit.code).not.toBe(0);
      expect(stdout).toBe('');
      expect(plugin.stderrText()).toContain('This binary is a plugin');
    } finally {
      await plugin.dispose();
    }
  });

  it('exits on SIGTERM within 2 s', async () => {
    const plugin = await startPlugin();
    try {
      const client = connect(plugin.address);
      expect((await client.healthCheck('plugin')).status).toBe('SERVING');
      client.close();
      const sent = Date.now();
      plugin.child.kill('SIGTERM');
      const exit = await plugin.waitForExit(2_000);
      expect(exit.at - sent).toBeLessThan(2_000);
      expect(exit.code).toBe(0);
      expect(plugin.extraStdout).toBe('');
      expect(plugin.nonJsonStderr()).toEqual([]);
    } finally {
      await plugin.dispose();
    }
  });

  it('closes and exits on SIGINT within 2 s (issue #4; the go-plugin convention would ignore it)', async () => {
    const plugin = await startPlugin();
    try {
      const sent = Date.now();
      plugin.child.kill('SIGINT');
      const exit = await plugin.waitForExit(2_000);
      expect(exit.at - sent).toBeLessThan(2_000);
      expect(exit.code).toBe(0);
      expect(plugin.nonJsonStderr()).toEqual([]);
    } finally {
      await plugin.dispose();
    }
  });

  it('exits when orphaned (Grafana SIGKILLed): parent pid watch', async () => {
    if (process.platform !== 'linux') {
      return;
    }
    // sh starts the plugin in the background, waits for its handshake (it is running, as under Grafana), and
    // exits, so the plugin is re-parented. A fixed sleep instead raced a slow start on a loaded machine.
    const compiled = executablePath() + '_glibc';
    const script = `f=$(mktemp); "${compiled}" >"$f" 2>/dev/null & echo $!; i=0; while [ ! -s "$f" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; rm -f "$f"`;
    const sh = spawn('/bin/sh', ['-c', script], { env: grafanaEnv() });
    const pid = Number(
      (await new Promise<string>((r) => sh.stdout.once('data', (d: Buffer) => r(d.toString())))).trim(),
    );
    await new Promise((r) => sh.on('exit', r));
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 6_000;
    while (alive() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const stillAlive = alive();
    if (stillAlive) {
      process.kill(pid, 'SIGKILL');
    }
    expect(stillAlive).toBe(false);
  });

  it('exits after plugin.GRPCController/Shutdown', async () => {
    const plugin = await startPlugin();
    try {
      const client = connect(plugin.address);
      await client.shutdown();
      client.close();
      const exit = await plugin.waitForExit(2_000);
      expect(exit.code).toBe(0);
    } finally {
      await plugin.dispose();
    }
  });
});

describe('pluginv2 over gRPC', () => {
  let plugin: PluginProcess;
  let client: PluginClients;
  const ds = () => datasourceFromDatabaseUrl();

  beforeAll(async () => {
    plugin = await startPlugin();
    client = connect(plugin.address);
  });

  afterAll(async () => {
    client?.close();
    await plugin?.dispose();
  });

  it('printed exactly one strict handshake line', () => {
    expect(plugin.handshake).toMatch(/^1\|2\|tcp\|127\.0\.0\.1:\d+\|grpc$/);
    expect(plugin.port).toBeGreaterThan(0);
  });

  it('grpc.health.v1 answers SERVING for "plugin" and ""', async () => {
    expect((await client.healthCheck('plugin')).status).toBe('SERVING');
    expect((await client.healthCheck('')).status).toBe('SERVING');
  });

  it('CheckHealth connects to Postgres with the settings Grafana sends, and asks for the log table', async () => {
    const res = await client.checkHealth({ pluginContext: pluginContext(ds()), headers: {} });
    expect(res.status, res.message).toBe('ERROR');
    expect(res.message).toBe('Connected, but no log table is configured: choose one under Log table.');
  });

  it('CheckHealth reports a wrong password as ERROR, not a crash', async () => {
    const bad = { ...ds(), uid: 'bad-password', secure: { password: 'definitely-wrong' } };
    const res = await client.checkHealth({ pluginContext: pluginContext(bad), headers: {} });
    expect(res.status).toBe('ERROR');
    expect(res.message.length).toBeGreaterThan(0);
  });

  it('CheckHealth with invalid jsonData says so', async () => {
    const res = await client.checkHealth({
      pluginContext: pluginContext({ ...ds(), uid: 'bad-json', jsonData: '{not json' }),
      headers: {},
    });
    expect(res.status).toBe('ERROR');
    expect(res.message).toMatch(/jsonData is not valid JSON/);
  });

  it('QueryData answers every refId, and invalid JSON in one query does not affect another', async () => {
    const res = await client.queryData({
      pluginContext: pluginContext(ds(), null),
      headers: { FromAlert: 'true' },
      queries: [
        dataQuery(
          'A',
          { refId: 'A', queryType: 'scores', function: 'rare', byField: 'state' },
          { queryType: 'scores' },
        ),
        dataQuery('B', null, { raw: '{"refId": "B", ' }),
        dataQuery('C', null, { raw: '' }),
        dataQuery('D', { refId: 'D', queryType: 'records', function: 'rare', byField: 'state' }),
      ],
    });
    expect(Object.keys(res.responses).sort()).toEqual(['A', 'B', 'C', 'D']);
    expect(res.responses.B.error).toMatch(/query JSON is invalid/);
    expect(res.responses.B.status).toBe(400);
    expect(res.responses.B.errorSource).toBe('plugin');
    expect(res.responses.C.error).toMatch(/empty/);
    for (const refId of ['A', 'D']) {
      const r = res.responses[refId];
      expect(r.error ?? '').not.toMatch(/JSON/);
      // Either frames (query layer wired) or a per-refId error, never a missing answer.
      expect(r.error || r.frames?.length !== undefined).toBeTruthy();
      decodeFrames(r.frames);
    }
  });

  it('QueryData without datasource settings answers each refId with an error', async () => {
    const res = await client.queryData({
      pluginContext: pluginContext(null),
      queries: [dataQuery('A', {}), dataQuery('B', {})],
    });
    expect(Object.keys(res.responses).sort()).toEqual(['A', 'B']);
    expect(res.responses.A.error).toMatch(/no datasource settings/);
  });

  it('QueryChunkedData answers one message with status 501', async () => {
    const messages = await client.queryChunkedData({
      pluginContext: pluginContext(ds()),
      queries: [dataQuery('A', {})],
    });
    expect(messages).toHaveLength(1);
    expect(messages[0].status).toBe(501);
    expect(messages[0].error).toBeTruthy();
  });

  it('Stream methods are UNIMPLEMENTED', async () => {
    const req = { pluginContext: pluginContext(ds()), path: 'x' };
    await expect(client.subscribeStream(req)).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    await expect(client.publishStream(req)).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    await expect(client.runStream(req)).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });

  it('CallResource answers with at least one message carrying the status', async () => {
    const messages = await client.callResource({
      pluginContext: pluginContext(ds()),
      path: 'does-not-exist',
      method: 'GET',
      url: '/does-not-exist?x=1',
      headers: { Accept: { values: ['application/json'] } },
    });
    expect(messages.length).toBeGreaterThanOrEqual(1);
    expect(messages[0].code).toBeGreaterThanOrEqual(200);
    const body = Buffer.concat(messages.map((m) => Buffer.from(m.body ?? new Uint8Array()))).toString('utf8');
    expect(body.length).toBeGreaterThan(0);
  });

  it('CallResource with unusable settings is a 400, still one message', async () => {
    const messages = await client.callResource({
      pluginContext: pluginContext({ ...ds(), uid: 'bad-json-2', jsonData: '[1,' }),
      path: 'x',
      method: 'GET',
    });
    expect(messages).toHaveLength(1);
    expect(messages[0].code).toBe(400);
  });

  it('CollectMetrics returns parseable Prometheus text with our counters', async () => {
    const res = await client.collectMetrics({ pluginContext: pluginContext(null) });
    const text = Buffer.from(res.metrics.prometheus).toString('utf8');
    const samples = parsePrometheus(text);
    expect([...samples.keys()].some((k) => k.startsWith('rarity_queries_total{'))).toBe(true);
    expect([...samples.keys()].some((k) => k.startsWith('rarity_query_duration_seconds_bucket{'))).toBe(true);
    expect([...samples.keys()].some((k) => k.startsWith('rarity_health_checks_total{'))).toBe(true);
    expect([...samples.keys()].some((k) => k.startsWith('rarity_resource_calls_total{'))).toBe(true);
    expect(samples.get('rarity_process_uptime_seconds')).toBeGreaterThan(0);
    expect(samples.get('rarity_process_resident_memory_bytes')).toBeGreaterThan(0);
    // The executable runs on bun, whose collector the plugin paces (gcPacer.ts): the series says it is on.
    expect(samples.get('rarity_gc_paced_collections_total')).toBeGreaterThanOrEqual(0);
  });

  it('survives garbage: malformed protobuf bytes, an unknown method, a huge query', async () => {
    // Raw bytes that are not a valid QueryDataRequest.
    const raw = new grpc.Client(plugin.address, grpc.credentials.createInsecure());
    const garbage = await new Promise<grpc.ServiceError | null>((resolve) =>
      raw.makeUnaryRequest(
        '/pluginv2.Data/QueryData',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
        (err) => resolve(err),
      ),
    );
    expect(garbage?.code).toBeDefined();
    const unknown = await new Promise<grpc.ServiceError | null>((resolve) =>
      raw.makeUnaryRequest(
        '/pluginv2.Nope/Nothing',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        (err) => resolve(err),
      ),
    );
    expect(unknown?.code).toBe(grpc.status.UNIMPLEMENTED);
    raw.close();
    // A 6 MB query JSON: above grpc-js's 4 MB default receive limit.
    const big = await client.queryData({
      pluginContext: pluginContext(ds()),
      queries: [dataQuery('A', { refId: 'A', padding: 'x'.repeat(6 * 1024 * 1024) })],
    });
    expect(Object.keys(big.responses)).toEqual(['A']);
    expect((await client.healthCheck('plugin')).status).toBe('SERVING');
    expect(plugin.alive).toBe(true);
  });

  it('never wrote to stdout after the handshake and logged only Grafana-readable JSON', () => {
    expect(plugin.extraStdout).toBe('');
    expect(plugin.nonJsonStderr()).toEqual([]);
    expect(plugin.stderr.some((l) => l.json?.['@message'] === 'Rarity backend started')).toBe(true);
  });
});
