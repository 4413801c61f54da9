/**
 * One Vite (Rollup) library build per plugin entry, emitting the AMD module Grafana's SystemJS loader expects
 * (`define([...externals], factory)`), the shape @grafana/create-plugin's webpack build produces. Everything
 * is inlined into that one file: a lazily loaded chunk would need the public-path dance webpack does.
 */
import { resolve } from 'node:path';
import type { InlineConfig } from 'vite';

import { isExternal } from './bundler/externals.ts';

export interface PluginEntry {
  /** Source entry, e.g. src/datasource/module.ts. */
  entry: string;
  /** Output folder of this plugin inside dist/, e.g. dist/datasource. */
  outDir: string;
  production: boolean;
}

export function pluginViteConfig({ entry, outDir, production }: PluginEntry): InlineConfig {
  return {
    configFile: false,
    root: process.cwd(),
    logLevel: 'warn',
    mode: production ? 'production' : 'development',
    // Plugins run inside Grafana's page: process.env is not there, so React's build flags are fixed here.
    define: { 'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development') },
    esbuild: { jsx: 'automatic', jsxDev: false, legalComments: 'none' },
    publicDir: false,
    build: {
      outDir: resolve(outDir),
      emptyOutDir: false,
      // ES2022 keeps class fields native; lower targets make esbuild hoist helpers above define(), into globals.
      target: 'es2022',
      minify: production ? 'esbuild' : false,
      sourcemap: true,
      // Grafana serves images from the plugin folder; nothing is imported as an asset.
      assetsInlineLimit: 0,
      copyPublicDir: false,
      lib: {
        entry: resolve(entry),
        formats: ['amd' as never],
        fileName: () => 'module.js',
      },
      rollupOptions: {
        external: (id) => isExternal(id),
        output: {
          format: 'amd',
          entryFileNames: 'module.js',
          inlineDynamicImports: true,
          exports: 'named',
          // Source paths in the map stay relative to the map, never absolute paths of the build machine.
          sourcemapPathTransform: (relativeSourcePath) => relativeSourcePath.replace(/^(\.\.\/)+/, 'rarity/'),
        },
      },
    },
  };
}
