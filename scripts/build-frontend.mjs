#!/usr/bin/env node
/**
 * Front-end build, shaped like @grafana/create-plugin's: every src/**\/module.ts(x) becomes an AMD
 * dist/**\/module.js (Grafana's modules external), next to its plugin.json with %VERSION% / %TODAY% /
 * %PLUGIN_ID% filled, plus img/, README.md, CHANGELOG.md and LICENSE. The backend build writes its
 * executables into dist/ too, so this script deletes only what it produces itself.
 *
 *   node scripts/build-frontend.mjs [--dev]
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

// The Vite config and the externals list are TypeScript (as in create-plugin's .config/).
register();

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const production = !process.argv.includes('--dev');

const { build } = await import('vite');
const { pluginViteConfig } = await import(pathToFileURL(join(root, '.config/vite.plugin.config.ts')).href);

/**
 * The app's plugin.json is the repository's top-level one (the project layout), its module src/module.ts;
 * nested plugins (datasource, panels/*) keep their plugin.json beside their module.
 */
function pluginJsonOf(dir) {
  return dir === src ? join(root, 'plugin.json') : join(dir, 'plugin.json');
}

/** Folders under src/ holding a plugin: the app (src/ itself) and the nested plugins. */
function pluginDirs(dir = src) {
  const found = existsSync(pluginJsonOf(dir)) ? [dir] : [];
  for (const name of readdirSync(dir)) {
    const child = join(dir, name);
    if (statSync(child).isDirectory() && !['img', 'node_modules'].includes(name)) found.push(...pluginDirs(child));
  }
  return found;
}

function moduleEntry(dir) {
  return ['module.ts', 'module.tsx'].map((name) => join(dir, name)).find(existsSync);
}

function fillPlaceholders(text, values) {
  return text
    .replaceAll('%VERSION%', values.version)
    .replaceAll('%TODAY%', values.today)
    .replaceAll('%PLUGIN_ID%', values.pluginId);
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const appJson = JSON.parse(readFileSync(pluginJsonOf(src), 'utf8'));
const values = { version: pkg.version, today: new Date().toISOString().slice(0, 10), pluginId: appJson.id };

const OWN_OUTPUTS = ['module.js', 'module.js.map', 'plugin.json', 'img', 'README.md', 'CHANGELOG.md', 'LICENSE'];
const started = Date.now();
mkdirSync(dist, { recursive: true });

for (const dir of pluginDirs()) {
  const rel = relative(src, dir);
  const out = join(dist, rel);
  for (const name of OWN_OUTPUTS) rmSync(join(out, name), { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  const entry = moduleEntry(dir);
  if (!entry) throw new Error(`${relative(root, pluginJsonOf(dir))} has no module.ts in ${relative(root, dir)}`);
  await build(pluginViteConfig({ entry, outDir: out, production }));

  const pluginJson = fillPlaceholders(readFileSync(pluginJsonOf(dir), 'utf8'), values);
  writeFileSync(join(out, 'plugin.json'), pluginJson);

  // Logo paths are relative to each plugin.json; nested plugins without images of their own share src/img.
  const images = existsSync(join(dir, 'img')) ? join(dir, 'img') : join(src, 'img');
  if (existsSync(images)) cpSync(images, join(out, 'img'), { recursive: true });
  console.log(`  ${rel || '.'}: module.js, plugin.json (${JSON.parse(pluginJson).id})`);
}

// The catalogue README is src/README.md when present (create-plugin's rule), else the repository's.
const readme = existsSync(join(src, 'README.md')) ? join(src, 'README.md') : join(root, 'README.md');
writeFileSync(join(dist, 'README.md'), fillPlaceholders(readFileSync(readme, 'utf8'), values));
for (const name of ['CHANGELOG.md', 'LICENSE']) cpSync(join(root, name), join(dist, name));

console.log(
  `front end built into ${relative(root, dist)}/ in ${((Date.now() - started) / 1000).toFixed(1)} s (${production ? 'production' : 'development'})`,
);
