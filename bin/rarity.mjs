#!/usr/bin/env node
// `rarity` command line: runs straight after `npm ci`, from a bundle of the TypeScript CLI (bin/cliBundle.mjs),
// or through tsx when no bundle can be built.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { cliBundle } from './cliBundle.mjs';

// The embedded PostgreSQL stops when this process exits; make termination signals an exit too, so that a killed
// CLI does not leave the server running on its data folder. (Ctrl-C at a terminal reaches the server directly.)
for (const [signal, number] of [
  ['SIGTERM', 15],
  ['SIGHUP', 1],
])
  process.once(signal, () => process.exit(128 + number));
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = await cliBundle(root);
let entry = bundle;
if (!entry) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = join(root, 'pkg-backend', 'src', 'cli', 'main.ts');
}
const { main } = await import(pathToFileURL(entry).href);
const code = await main(process.argv.slice(2));
// Exit explicitly once stdout has drained: the status is main()'s, whatever handles are still open.
process.stdout.write('', () => process.exit(code));
