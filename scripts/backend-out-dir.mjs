/** Where the backend executables go; shared by scripts/build-backend.mjs and the tests that run them. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
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
