// The CLI as one ES module bundled by esbuild, rebuilt when a source file is newer than it. Loading TypeScript
// through tsx costs ~250 ms of loader start-up on every run; the bundle starts in plain Node.
import { mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const SOURCE_DIRS = ['pkg-backend/src', 'common'];

function newestSource(root) {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of SOURCE_DIRS) walk(join(root, dir));
  return newest;
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** Path of an up-to-date bundle of pkg-backend/src/cli/main.ts, or undefined when it cannot be built. */
export async function cliBundle(root) {
  // Keyed by the checkout's path: the bundle bakes in where the project lives (cli/database.ts PROJECT_ROOT).
  const key = createHash('sha256').update(root).digest('hex').slice(0, 12);
  const dir = join(root, 'node_modules', '.cache', 'rarity-cli');
  const out = join(dir, `main-${key}.mjs`);
  if (mtime(out) >= newestSource(root)) return out;
  try {
    const { build } = await import('esbuild');
    const entry = join(root, 'pkg-backend', 'src', 'cli', 'main.ts');
    mkdirSync(dir, { recursive: true });
    const temporary = `${out}.${process.pid}.tmp`;
    await build({
      entryPoints: [entry],
      outfile: temporary,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'silent',
      // The one module that locates the project from its own file.
      define: {
        'import.meta.url': JSON.stringify(pathToFileURL(join(root, 'pkg-backend', 'src', 'cli', 'database.ts')).href),
      },
    });
    // Another CLI may be building at the same moment; the rename makes whichever finishes last win whole.
    renameSync(temporary, out);
    return out;
  } catch {
    return undefined;
  }
}
