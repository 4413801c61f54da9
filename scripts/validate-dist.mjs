#!/usr/bin/env node
/**
 * Checks dist/ the way Grafana's plugin validator and loader would, before anyone copies it into Grafana:
 * plugin.json fields and id rules, filled placeholders, logos, includes, AMD modules that require only what
 * Grafana shares, source maps that stay inside the package, and the backend executables where Grafana looks
 * for them (beside the plugin.json that names them, one file per OS/arch).
 *
 *   node scripts/validate-dist.mjs [dist-folder]
 * Env: RARITY_BACKEND_TARGETS=linux-amd64,linux-arm64,darwin-arm64,windows-amd64 (platforms to require)
 * Exit status 1 when there are errors; warnings alone pass.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { EXTERNAL_MODULES, AMD_PSEUDO_MODULES } = await import(
  pathToFileURL(join(root, '.config/bundler/externals.ts')).href
);

export const PLUGIN_ID_PATTERN = /^[0-9a-z]+-([0-9a-z]+-)?(app|panel|datasource)$/;
const PLUGIN_TYPES = ['app', 'panel', 'datasource'];
const DEFAULT_TARGETS = ['linux-amd64', 'linux-arm64', 'darwin-arm64', 'windows-amd64'];
const PLACEHOLDER = /%(VERSION|TODAY|PLUGIN_ID)%/;
const TEXT_FILE = /\.(json|js|map|md|txt|svg|html|css)$|^LICENSE$/;

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

/** The dependency list of `define([...], factory)`, or an error text when the file is not such a module. */
export function amdDependencies(code) {
  // Only comments may come before define(): any statement there would run in the page's global scope.
  const body = code.replace(/^(\s|\/\*[\s\S]*?\*\/|\/\/[^\n]*\n)*/, '');
  const match = /^define\(\s*(\[[^\]]*\])\s*,/.exec(body);
  if (!match) return { error: 'is not an AMD module: it must start with define([...], factory)' };
  try {
    return { deps: JSON.parse(match[1].replace(/'/g, '"')) };
  } catch {
    return { error: `has an unreadable define() dependency list ${match[1].slice(0, 80)}` };
  }
}

export function validateDist(distDir, options = {}) {
  const errors = [];
  const warnings = [];
  const notes = [];
  const dist = resolve(distDir);
  const rel = (path) => relative(dist, path) || '.';
  const targets = (options.targets ?? DEFAULT_TARGETS).map((t) => t.replace('-', '_'));

  if (!existsSync(dist)) return { errors: [`${dist} does not exist; run npm run build`], warnings, notes };
  const files = walk(dist);
  const pluginFiles = files.filter((f) => f.endsWith(`${sep}plugin.json`));
  if (!files.includes(join(dist, 'plugin.json'))) errors.push('plugin.json is missing at the top of dist/');
  for (const name of ['README.md', 'LICENSE'])
    if (!existsSync(join(dist, name))) errors.push(`${name} is missing at the top of dist/`);
  if (!existsSync(join(dist, 'CHANGELOG.md'))) warnings.push('CHANGELOG.md is missing at the top of dist/');

  const plugins = [];
  for (const file of pluginFiles) {
    const dir = dirname(file);
    let json;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      errors.push(`${rel(file)} is not valid JSON: ${error.message}`);
      continue;
    }
    plugins.push({ dir, json, file });
    const where = rel(file);
    for (const key of ['id', 'type', 'name', 'info']) if (!json[key]) errors.push(`${where}: "${key}" is required`);
    if (json.id && !PLUGIN_ID_PATTERN.test(json.id)) {
      errors.push(`${where}: id "${json.id}" does not match ${PLUGIN_ID_PATTERN} (org-name-type, lower case)`);
    }
    if (json.type && !PLUGIN_TYPES.includes(json.type))
      errors.push(`${where}: type "${json.type}" is not one of ${PLUGIN_TYPES.join(', ')}`);
    if (json.id && json.type && !json.id.endsWith(`-${json.type}`)) {
      errors.push(`${where}: id "${json.id}" must end in "-${json.type}" because type is "${json.type}"`);
    }
    const info = json.info ?? {};
    if (!info.version || !/^\d+\.\d+\.\d+([-+][\w.-]+)?$/.test(info.version)) {
      errors.push(`${where}: info.version "${info.version}" must be a filled semantic version`);
    }
    if (!info.updated || !/^\d{4}-\d{2}-\d{2}$/.test(info.updated)) {
      errors.push(`${where}: info.updated "${info.updated}" must be a filled date (YYYY-MM-DD)`);
    }
    if (!info.author?.name) warnings.push(`${where}: info.author.name is empty`);
    if (!json.dependencies?.grafanaDependency) errors.push(`${where}: dependencies.grafanaDependency is required`);
    for (const size of ['small', 'large']) {
      const logo = info.logos?.[size];
      if (!logo) errors.push(`${where}: info.logos.${size} is required`);
      else if (!existsSync(join(dir, logo)))
        errors.push(`${where}: logo ${logo} does not exist (looked for ${rel(join(dir, logo))})`);
    }

    const modulePath = join(dir, 'module.js');
    if (!existsSync(modulePath)) {
      errors.push(`${where}: module.js is missing beside it`);
    } else {
      checkModule(modulePath);
    }

    if (json.type === 'datasource' && json.backend) checkBackend(json, dir, where);
    else if (json.executable && !json.backend) warnings.push(`${where}: "executable" is set but "backend" is not true`);
  }

  // includes: nested datasources and panels must exist in the package under the same type and name.
  for (const { json, file } of plugins) {
    for (const include of json.includes ?? []) {
      if (include.type === 'datasource' || include.type === 'panel') {
        const found = plugins.find(
          (p) =>
            p !== plugins.find((q) => q.file === file) && p.json.type === include.type && p.json.name === include.name,
        );
        if (!found)
          errors.push(
            `${rel(file)}: includes ${include.type} "${include.name}", but no nested ${include.type} plugin.json has that name`,
          );
      } else if (include.type === 'page' && !include.path && !include.component) {
        errors.push(`${rel(file)}: page include "${include.name}" needs a path`);
      }
    }
    if (json.type === 'app') {
      for (const nested of plugins.filter((p) => p.file !== file)) {
        const listed = (json.includes ?? []).some((i) => i.type === nested.json.type && i.name === nested.json.name);
        if (!listed)
          errors.push(
            `${rel(file)}: nested ${nested.json.type} ${nested.json.id} (${rel(nested.file)}) is not listed in includes`,
          );
      }
    }
  }

  for (const file of files) {
    const name = file.split(sep).pop();
    if (!TEXT_FILE.test(name) || statSync(file).size > 20_000_000) continue;
    const text = readFileSync(file, 'utf8');
    const left = PLACEHOLDER.exec(text);
    if (left) errors.push(`${rel(file)}: placeholder ${left[0]} was not filled by the build`);
    if (text.includes(root) && !name.endsWith('.md'))
      errors.push(`${rel(file)}: contains the build machine's path ${root}`);
  }

  const total = files.reduce((sum, f) => sum + statSync(f).size, 0);
  const frontEnd = files.filter((f) => !/gpx_/.test(f)).reduce((sum, f) => sum + statSync(f).size, 0);
  notes.push(
    `${files.length} files, ${(total / 1e6).toFixed(1)} MB in all, front end ${(frontEnd / 1e3).toFixed(0)} kB`,
  );
  return { errors, warnings, notes };

  function checkModule(modulePath) {
    const code = readFileSync(modulePath, 'utf8');
    const where = rel(modulePath);
    const amd = amdDependencies(code);
    if (amd.error) {
      errors.push(`${where} ${amd.error}`);
    } else {
      const allowed = new Set([...EXTERNAL_MODULES, ...AMD_PSEUDO_MODULES]);
      const bad = amd.deps.filter((dep) => !allowed.has(dep));
      if (bad.length)
        errors.push(`${where} requires ${bad.join(', ')}, which Grafana does not provide; bundle them or drop them`);
      notes.push(`${where}: AMD, requires ${amd.deps.filter((d) => !AMD_PSEUDO_MODULES.includes(d)).join(', ')}`);
    }
    // A second copy of React or of @grafana/* singletons breaks hooks and services at run time.
    if (/Copyright \(c\) Meta Platforms|react\.production\.min\.js|__SECRET_INTERNALS_DO_NOT_USE/.test(code)) {
      errors.push(`${where} bundles React; it must stay external`);
    }
    const mapRef = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(code);
    if (mapRef) {
      if (/^(data:|https?:|file:|\/)/.test(mapRef[1])) {
        errors.push(`${where}: sourceMappingURL ${mapRef[1]} must be a file beside the module`);
        return;
      }
      const mapPath = join(dirname(modulePath), mapRef[1]);
      if (!existsSync(mapPath)) {
        errors.push(`${where}: source map ${mapRef[1]} does not exist`);
        return;
      }
      const map = JSON.parse(readFileSync(mapPath, 'utf8'));
      for (const source of map.sources ?? []) {
        const escapes = normalize(source).startsWith('..');
        if (isAbsolute(source) || /^file:/.test(source) || escapes) {
          errors.push(`${rel(mapPath)}: source "${source}" points outside the package`);
        }
      }
    }
  }

  function checkBackend(json, dir, where) {
    if (!json.executable) {
      errors.push(`${where}: "backend": true needs "executable"`);
      return;
    }
    const expected = targets.map((t) => `${json.executable}_${t}${t.startsWith('windows') ? '.exe' : ''}`);
    const present = expected.filter((name) => existsSync(join(dir, name)));
    const elsewhere = files.filter((f) => dirname(f) !== dir && expected.includes(f.split(sep).pop()));
    if (present.length === 0) {
      if (elsewhere.length) {
        errors.push(
          `${where}: Grafana runs <folder of plugin.json>/${json.executable}_<os>_<arch>, so the executables must be in ` +
            `${rel(dir)}/, but they are at ${elsewhere.map(rel).join(', ')}`,
        );
      } else {
        warnings.push(`${where}: no ${json.executable}_<os>_<arch> executable yet (has the backend build run?)`);
      }
      return;
    }
    for (const name of expected) {
      const path = join(dir, name);
      if (!existsSync(path)) {
        errors.push(`${where}: executable ${rel(path)} is missing for a declared platform`);
        continue;
      }
      if (!name.endsWith('.exe') && (statSync(path).mode & 0o111) === 0)
        errors.push(`${rel(path)} is not executable (chmod 0755)`);
      const head = readFileSync(path).subarray(0, 512).toString('latin1');
      if (head.startsWith('#!') && head.includes('\r\n'))
        errors.push(`${rel(path)} is a script with CRLF line endings`);
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const distDir = process.argv[2] ?? join(root, 'dist');
  const targets = process.env.RARITY_BACKEND_TARGETS?.split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const { errors, warnings, notes } = validateDist(distDir, { targets });
  for (const note of notes) console.log(`  ${note}`);
  for (const warning of warnings) console.log(`warning: ${warning}`);
  for (const error of errors) console.log(`error: ${error}`);
  console.log(
    errors.length
      ? `dist/ is NOT valid: ${errors.length} error(s), ${warnings.length} warning(s)`
      : `dist/ is valid (${warnings.length} warning(s))`,
  );
  process.exit(errors.length ? 1 : 0);
}
