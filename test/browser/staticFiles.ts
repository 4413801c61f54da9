/**
 * Static files for the browser harnesses: the built page, and @grafana/ui's icons where Grafana serves them
 * (public/build/img/; the package ships them in dist/public/img/).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ICONS_DIR = normalize(join(ROOT, 'node_modules/@grafana/ui/dist/public/img'));
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/** Answers `pathname` from `dir` (or the icons); 404 for anything outside them. */
export function serveStatic(res: ServerResponse, pathname: string, dir: string): void {
  const icon = pathname.startsWith('/public/build/img/');
  const base = icon ? ICONS_DIR : dir;
  const file = icon ? pathname.slice('/public/build/img/'.length) : pathname === '/' ? 'index.html' : pathname;
  const path = normalize(join(base, file));
  if (!path.startsWith(base) || !existsSync(path) || !statSync(path).isFile()) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
  createReadStream(path).pipe(res);
}
