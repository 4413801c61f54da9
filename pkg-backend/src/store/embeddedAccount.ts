/**
 * PostgreSQL refuses to run as root. Started by root, the embedded server runs as the unprivileged `postgres`
 * account instead (created when missing), and whatever it opens has to be reachable by that account — which a
 * private (0700) home or project folder is not.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ServerAccount {
  name: string;
  uid: number;
  gid: number;
}

const NAME = 'postgres';

/** The account the server runs as, or undefined when we are not root and it simply runs as us. */
export function serverAccount(): ServerAccount | undefined {
  if (process.getuid?.() !== 0) {
    return undefined;
  }
  return lookup() ?? create();
}

function lookup(): ServerAccount | undefined {
  const uid = spawnSync('id', ['-u', NAME], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', NAME], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    return undefined;
  }
  return { name: NAME, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function create(): ServerAccount {
  try {
    if (spawnSync('getent', ['group', NAME], { stdio: 'ignore' }).status !== 0) {
      execFileSync('groupadd', ['--system', NAME], { stdio: 'pipe' });
    }
    execFileSync('useradd', ['--system', '--gid', NAME, '--no-create-home', NAME], { stdio: 'pipe' });
  } catch (e) {
    const detail = (e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message;
    throw new Error(
      `PostgreSQL cannot run as root and creating a "${NAME}" account for it failed (${detail}); create one, or run as an ordinary user`,
    );
  }
  const account = lookup();
  if (!account) {
    throw new Error(`the "${NAME}" account was created but \`id ${NAME}\` does not find it`);
  }
  return account;
}

/**
 * Whether the account can search every folder on the way to `path` and execute (or, for a folder, search) it.
 * Asked of the system as that account, with the same uid, gid and no supplementary groups the server gets.
 */
export function canReach(account: ServerAccount, path: string): boolean {
  const r = spawnSync('/bin/sh', ['-c', 'test -x "$1"', 'sh', path], {
    uid: account.uid,
    gid: account.gid,
    stdio: 'ignore',
  });
  return r.status === 0;
}

/** Creates a root-owned folder (and its missing parents) that every account may search, whatever the umask. */
export function searchableFolder(path: string): void {
  const missing: string[] = [];
  for (let dir = path; !existsSync(dir); dir = dirname(dir)) {
    missing.push(dir);
  }
  mkdirSync(path, { recursive: true });
  for (const dir of missing) {
    chmodSync(dir, 0o755);
  }
}
