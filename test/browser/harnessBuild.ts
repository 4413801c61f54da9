/**
 * The Vite build of test/browser/harness (the editors and the Jobs page inside Grafana's ThemeContext) into a
 * temporary folder, as the browser tests serve it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

export async function buildHarness(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'rarity-harness-'));
  await build({
    configFile: false,
    // Vitest runs with NODE_ENV=test; the page is a production build (jsx, not jsxDEV).
    mode: 'production',
    root: join(here, 'harness'),
    base: './',
    logLevel: 'warn',
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    esbuild: { jsx: 'automatic', jsxDev: false },
    build: { outDir, emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 20_000, reportCompressedSize: false },
  });
  return outDir;
}
