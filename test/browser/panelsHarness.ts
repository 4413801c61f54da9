/**
 * Builds test/browser/panels-harness with Vite and serves it, plus JSON fixtures (frames from the real
 * backend) under /frames/<name>.json and @grafana/ui's icons where Grafana serves them. Shared by
 * test/browser/panels.test.ts and the draw benchmark (bench/panels.ts).
 */
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..', '..');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.woff2': 'font/woff2' };
const ICONS_DIR = normalize(join(ROOT, 'node_modules/@grafana/ui/dist/public/img'));

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

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
    build: { outDir, emptyOutDir: true, sourcemap: false, target: 'es2022', chunkSizeWarningLimit: 20_000, reportCompressedSize: false },
  });
  const fixtures = new Map<string, unknown>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const fixture = /^\/frames\/([\w-]+)\.json$/.exec(url.pathname);
    if (fixture) {
      const body = fixtures.get(fixture[1]);
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? { message: 'no such fixture' }));
      return;
    }
    const icon = url.pathname.startsWith('/public/build/img/');
    const base = icon ? ICONS_DIR : outDir;
    const file = icon ? url.pathname.slice('/public/build/img/'.length) : url.pathname === '/' ? 'index.html' : url.pathname;
    const path = normalize(join(base, file));
    if (!path.startsWith(base) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
    createReadStream(path).pipe(res);
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
