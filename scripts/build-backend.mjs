#!/usr/bin/env node
/**
 * Builds the backend executables Grafana launches (PROTOCOL.md §1):
 *
 *   gpx_rarity_linux_amd64        #!/bin/sh launcher → gpx_rarity_linux_amd64_glibc | gpx_rarity_linux_amd64_musl
 *   gpx_rarity_linux_arm64        #!/bin/sh launcher → gpx_rarity_linux_arm64_glibc | gpx_rarity_linux_arm64_musl
 *   gpx_rarity_darwin_arm64       compiled executable
 *   gpx_rarity_windows_amd64.exe  compiled executable
 *
 * Why bun --compile: it is the only route on the npm registry that yields self-contained executables for
 * every target, musl included, from one machine (Node SEA has no musl Node), and it bundles the TypeScript
 * sources (explicit .ts imports) itself. Each target's runtime comes from the matching @oven/bun-* npm
 * package, fetched once with `npm pack` into node_modules/.cache and handed to bun via
 * --compile-executable-path, so nothing is downloaded behind npm's back and the version always matches the
 * installed `bun` devDependency.
 *
 * Why a launcher on Linux: Grafana runs exactly one file name per OS/arch, and its default image is Alpine.
 * The launcher picks the glibc build when a glibc loader is present (Ubuntu images, deb/rpm installs, and
 * Grafana's Alpine amd64 image, which ships glibc-compat) and the musl build otherwise; it `exec`s so the
 * pid Grafana manages is the plugin's. It uses shell built-ins only, because Grafana may pass no PATH.
 *
 * Output: beside the built plugin.json declaring "executable": "gpx_rarity" (dist/datasource/), see backendOutDir.
 * Usage: node scripts/build-backend.mjs [--targets=linux-amd64,linux-arm64,darwin-arm64,windows-amd64] [--out=DIR]
 *        node scripts/build-backend.mjs --protos-only   (regenerate src/plugin/protos.ts only)
 * Env:   RARITY_BACKEND_TARGETS (same list as --targets)
 */
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pluginDir = join(root, 'pkg-backend', 'src', 'plugin');
const entry = join(pluginDir, 'main.ts');
const EXECUTABLE = 'gpx_rarity';

/**
 * Grafana runs `<folder of plugin.json>/<executable>_<os>_<arch>`, so the executables go beside the built
 * plugin.json that declares `"executable": "gpx_rarity"` (src/datasource/plugin.json → dist/datasource/).
 * Falls back to dist/ when no plugin.json declares it. Overridable with --out=DIR.
 */
export function backendOutDir() {
  const src = join(root, 'src');
  const walk = (dir) => {
    const manifest = join(dir, 'plugin.json');
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).executable === EXECUTABLE) return dir;
      } catch {
        // an unreadable manifest is the front-end build's problem; keep looking
      }
    }
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'node_modules') continue;
      const found = walk(join(dir, entry.name));
      if (found) return found;
    }
    return undefined;
  };
  const found = existsSync(src) ? walk(src) : undefined;
  return found ? join(root, 'dist', relative(src, found)) : join(root, 'dist');
}

/** Grafana's goos/goarch naming → the bun compile targets and @oven packages that serve it. */
const TARGETS = {
  'linux-amd64': {
    launcher: true,
    builds: [
      { suffix: '_glibc', bunTarget: 'bun-linux-x64', pkg: '@oven/bun-linux-x64' },
      { suffix: '_musl', bunTarget: 'bun-linux-x64-musl', pkg: '@oven/bun-linux-x64-musl' },
    ],
    glibcLoader: '/lib64/ld-linux-x86-64.so.2',
    muslLoader: '/lib/ld-musl-x86_64.so.1',
  },
  'linux-arm64': {
    launcher: true,
    builds: [
      { suffix: '_glibc', bunTarget: 'bun-linux-arm64', pkg: '@oven/bun-linux-aarch64' },
      { suffix: '_musl', bunTarget: 'bun-linux-arm64-musl', pkg: '@oven/bun-linux-aarch64-musl' },
    ],
    glibcLoader: '/lib/ld-linux-aarch64.so.1',
    muslLoader: '/lib/ld-musl-aarch64.so.1',
  },
  'darwin-arm64': { builds: [{ suffix: '', bunTarget: 'bun-darwin-arm64', pkg: '@oven/bun-darwin-aarch64' }] },
  'windows-amd64': { builds: [{ suffix: '.exe', bunTarget: 'bun-windows-x64', pkg: '@oven/bun-windows-x64' }] },
};

// ---------------------------------------------------------------------------------------------------------
// 1. Embed the .proto files as string constants, so the executable reads no file at run time.

export function generateProtos() {
  const protoDir = join(pluginDir, 'proto');
  const files = readdirSync(protoDir).filter((f) => f.endsWith('.proto')).sort();
  const body = files.map((f) => `  ${JSON.stringify(f)}: ${JSON.stringify(readFileSync(join(protoDir, f), 'utf8'))},`).join('\n');
  const text =
    '// GENERATED by scripts/build-backend.mjs from ./proto/*.proto — do not edit; edit the .proto files and run\n' +
    '// `node scripts/build-backend.mjs --protos-only`. Embedded so a compiled executable needs no files at run time.\n' +
    `export const PROTO_FILES: Readonly<Record<string, string>> = {\n${body}\n};\n`;
  const out = join(pluginDir, 'protos.ts');
  if (!existsSync(out) || readFileSync(out, 'utf8') !== text) writeFileSync(out, text);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// 2. Locate bun (host) and each target's runtime.

const require = createRequire(join(root, 'package.json'));

function bunVersion() {
  return JSON.parse(readFileSync(require.resolve('bun/package.json'), 'utf8')).version;
}

/** A real binary, not the placeholder the `bun` package ships until its postinstall replaces it. */
function isRealBinary(path) {
  return existsSync(path) && statSync(path).size > 5_000_000;
}

function hostPackage() {
  const a = arch() === 'arm64' ? 'aarch64' : 'x64';
  if (platform() === 'linux') {
    const musl = existsSync(`/lib/ld-musl-${a === 'x64' ? 'x86_64' : 'aarch64'}.so.1`) && !existsSync('/lib64/ld-linux-x86-64.so.2');
    return `@oven/bun-linux-${a}${musl ? '-musl' : ''}`;
  }
  if (platform() === 'darwin') return `@oven/bun-darwin-${a}`;
  return `@oven/bun-windows-${a}`;
}

function hostBun() {
  const exe = platform() === 'win32' ? 'bun.exe' : 'bun';
  const candidates = [
    join(root, 'node_modules', hostPackage(), 'bin', exe),
    join(root, 'node_modules', 'bun', 'bin', 'bun.exe'),
    join(root, 'node_modules', 'bun', 'bin', exe),
  ];
  const found = candidates.find(isRealBinary);
  if (!found) throw new Error(`bun not found (looked at ${candidates.join(', ')}); run npm ci`);
  return found;
}

/** The runtime a target is compiled onto: installed package if present, else `npm pack` into a cache. */
function targetRuntime(pkg, version) {
  const exe = pkg.includes('windows') ? 'bun.exe' : 'bun';
  const installed = join(root, 'node_modules', pkg, 'bin', exe);
  if (isRealBinary(installed)) return installed;
  const cacheDir = join(root, 'node_modules', '.cache', 'rarity-bun', version, pkg.replace('/', '__'));
  const cached = join(cacheDir, exe);
  if (isRealBinary(cached)) return cached;
  mkdirSync(cacheDir, { recursive: true });
  const work = join(tmpdir(), `rarity-bun-pack-${process.pid}-${pkg.replace(/[@/]/g, '_')}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const npm = platform() === 'win32' ? 'npm.cmd' : 'npm';
    const tgz = execFileSync(npm, ['pack', `${pkg}@${version}`, '--silent', '--pack-destination', work], { cwd: work, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop();
    execFileSync('tar', ['-xzf', join(work, tgz), '-C', work, `package/bin/${exe}`]);
    const tmp = `${cached}.part`;
    copyFileSync(join(work, 'package', 'bin', exe), tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, cached);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return cached;
}

// ---------------------------------------------------------------------------------------------------------
// 3. Compile.

function run(cmd, args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(output) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${output}`))));
  });
}

function launcherScript(name, target) {
  // LF endings and built-ins only ([, exec, ${0%/*}): Grafana may start us with no PATH.
  return `#!/bin/sh
# Grafana launches this file. Run the build that matches this machine's C library; exec keeps our pid.
case "$0" in */*) dir="\${0%/*}" ;; *) dir=. ;; esac
if [ -e ${target.glibcLoader} ]; then
  exec "$dir/${name}_glibc" "$@"
fi
if [ -e ${target.muslLoader} ]; then
  exec "$dir/${name}_musl" "$@"
fi
echo "gpx_rarity: neither ${target.glibcLoader} (glibc) nor ${target.muslLoader} (musl) exists" >&2
exit 1
`;
}

async function main() {
  const args = process.argv.slice(2);
  generateProtos();
  if (args.includes('--protos-only')) return;

  const listArg = args.find((a) => a.startsWith('--targets='))?.slice('--targets='.length) ?? process.env.RARITY_BACKEND_TARGETS;
  const wanted = listArg ? listArg.split(',').map((s) => s.trim()).filter(Boolean) : Object.keys(TARGETS);
  for (const t of wanted) if (!TARGETS[t]) throw new Error(`unknown target ${t}; known: ${Object.keys(TARGETS).join(', ')}`);

  const distDir = resolve(args.find((a) => a.startsWith('--out='))?.slice('--out='.length) ?? backendOutDir());
  const bun = hostBun();
  const version = bunVersion();
  mkdirSync(distDir, { recursive: true });
  const started = Date.now();

  const jobs = [];
  for (const t of wanted) {
    const target = TARGETS[t];
    const [goos, goarch] = t.split('-');
    const name = `${EXECUTABLE}_${goos}_${goarch}`;
    for (const build of target.builds) {
      jobs.push(
        (async () => {
          const runtime = targetRuntime(build.pkg, version);
          const outfile = join(distDir, `${name}${build.suffix}`);
          await run(bun, [
            'build',
            entry,
            '--compile',
            `--target=${build.bunTarget}`,
            `--compile-executable-path=${runtime}`,
            // Grafana's working directory is not ours: never pick up a .env or bunfig.toml from it.
            '--no-compile-autoload-dotenv',
            '--no-compile-autoload-bunfig',
            '--minify-syntax',
            `--outfile=${outfile}`,
          ]);
          chmodSync(outfile, 0o755);
          return outfile;
        })(),
      );
    }
    if (target.launcher) {
      const launcher = join(distDir, name);
      writeFileSync(launcher, launcherScript(name, target));
      chmodSync(launcher, 0o755);
    }
  }
  const outputs = await Promise.all(jobs);
  for (const out of outputs) {
    process.stderr.write(`built ${out.slice(root.length + 1)} (${(statSync(out).size / 1e6).toFixed(1)} MB)\n`);
  }
  process.stderr.write(`backend built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  });
}
