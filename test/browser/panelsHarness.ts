/**
 * Builds test/browser/panels-harness with Vite and serves it, plus JSON fixtures (frames from the real
 * backend) under /frames/<name>.json and @grafana/ui's icons where Grafana serves them. Shared by
 * test/browser/panels.test.ts and the draw benchmark (bench/panels.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

import { serveStatic } from './staticFiles.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface PanelsHarness {
  url: string;
  fixtures: Map<string, unknown>;
  close(): Promise<void>;
}

export async function startPanelsHarness(): Promise<PanelsHarness> {
  const outDir = mkdtempSync(join(tmpdir(), 'rarity-panels-harness-'));
  await build({
    configFile: false,
    // Vitest runs with NODE_ENV=test; the page is a production build (jsx, not jsxDEV).
    mode: 'production',
    root: join(here, 'panels-harness'),
    base: './',
    logLevel: 'warn',
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    esbuild: { jsx: 'automatic', jsxDev: false },
    build: {
      outDir,
      emptyOutDir: true,
      sourcemap: false,
      target: 'es2022',
      chunkSizeWarningLimit: 20_000,
      reportCompressedSize: false,
    },
  });
  const fixtures = new Map<string, unknown>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const fixture = /^\/frames\/([\w-]+)\.json$/.exec(url.pathname);
    if (fixture) {
      const body = fixtures.get(fixture[1]);
      res
        .writeHead(body ? 200 : 404, { 'content-type': 'application/json' })
        .end(JSON.stringify(body ?? { message: 'no such fixture' }));
      return;
    }
    serveStatic(res, url.pathname, outDir);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    fixtures,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}
