/**
 * The one Chromium of the browser suites and the panel bench: CHROMIUM_PATH when set, else /usr/bin/chromium
 * when it runs, else the build that ships inside the @sparticuz/chromium package (so `npm ci` is all a fresh
 * machine needs). Never a skip: no usable browser is an error.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * What this machine needs: no sandbox (root, containers), no GPU, no network chatter of its own. Playwright adds
 * a fresh temporary --user-data-dir itself (and refuses one in args).
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function runs(executable: string): boolean {
  return spawnSync(executable, ['--version'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

/**
 * @sparticuz/chromium inflates its brotli archives into os.tmpdir() and trusts whatever is already there, which
 * races when two test files start at once. Inflate into a private folder (a child process with its own TMPDIR)
 * and rename it into place: the cache folder appears complete or not at all.
 */
function npmChromium(): string {
  const packageDir = join(PROJECT_ROOT, 'node_modules', '@sparticuz', 'chromium');
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const cache = join(PROJECT_ROOT, 'node_modules', '.cache', `sparticuz-chromium-${version}`);
  const executable = join(cache, 'chromium');
  if (existsSync(executable)) {
    return executable;
  }
  mkdirSync(dirname(cache), { recursive: true });
  const staging = mkdtempSync(`${cache}.tmp-`);
  try {
    execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "(await import('@sparticuz/chromium')).default.executablePath()"],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, TMPDIR: staging },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    renameSync(staging, cache);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // Another process won the race: its complete copy is as good as ours.
    if (!existsSync(executable)) {
      throw error;
    }
  }
  return executable;
}

/** The Chromium executable to drive, resolved once per process. */
let resolved: string | undefined;
export function chromiumExecutable(): string {
  if (resolved) {
    return resolved;
  }
  const chosen = process.env.CHROMIUM_PATH;
  if (chosen) {
    if (!runs(chosen)) {
      throw new Error(`CHROMIUM_PATH=${chosen} does not run (\`${chosen} --version\` failed)`);
    }
    return (resolved = chosen);
  }
  resolved = existsSync(SYSTEM_CHROMIUM) && runs(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : npmChromium();
  if (!runs(resolved)) {
    throw new Error(`Chromium at ${resolved} does not run (\`${resolved} --version\` failed)`);
  }
  return resolved;
}

export function launchChromium(): Promise<Browser> {
  // The page's language comes from the locale environment: under C or POSIX it is "en-US@posix", which Intl
  // (and so Grafana's formatting) rejects. The suites and their screenshots are en-US.
  const env = { ...process.env, LC_ALL: 'en_US.UTF-8' };
  return chromium.launch({ executablePath: chromiumExecutable(), args: CHROMIUM_ARGS, headless: true, env });
}
