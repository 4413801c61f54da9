/** The bun binary for this machine, from the installed npm packages; shared by the backend build and bench (f). */
import { existsSync, statSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A real binary, not the placeholder the `bun` package ships until its postinstall replaces it. */
export function isRealBinary(path) {
  return existsSync(path) && statSync(path).size > 5_000_000;
}

function hostPackage() {
  const a = arch() === 'arm64' ? 'aarch64' : 'x64';
  if (platform() === 'linux') {
    const musl =
      existsSync(`/lib/ld-musl-${a === 'x64' ? 'x86_64' : 'aarch64'}.so.1`) &&
      !existsSync('/lib64/ld-linux-x86-64.so.2');
    return `@oven/bun-linux-${a}${musl ? '-musl' : ''}`;
  }
  if (platform() === 'darwin') return `@oven/bun-darwin-${a}`;
  return `@oven/bun-windows-${a}`;
}

/** The path of this machine's bun, or undefined when npm installed none (the `bun` devDependency brings one). */
export function findHostBun() {
  const exe = platform() === 'win32' ? 'bun.exe' : 'bun';
  return hostBunCandidates(exe).find(isRealBinary);
}

export function hostBunCandidates(exe = platform() === 'win32' ? 'bun.exe' : 'bun') {
  return [
    join(root, 'node_modules', hostPackage(), 'bin', exe),
    join(root, 'node_modules', 'bun', 'bin', 'bun.exe'),
    join(root, 'node_modules', 'bun', 'bin', exe),
  ];
}
