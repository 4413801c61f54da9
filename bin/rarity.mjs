#!/usr/bin/env node
// `rarity` command line: loads the TypeScript CLI through tsx so it runs straight after `npm ci`.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

register();
// The embedded PostgreSQL stops when this process exits; make termination signals an exit too, so that a killed
// CLI does not leave the server running on its data folder. (Ctrl-C at a terminal reaches the server directly.)
for (const [signal, number] of [
  ['SIGTERM', 15],
  ['SIGHUP', 1],
])
  process.once(signal, () => process.exit(128 + number));
const here = dirname(fileURLToPath(import.meta.url));
const { main } = await import(join(here, '..', 'pkg-backend', 'src', 'cli', 'main.ts'));
const code = await main(process.argv.slice(2));
// Exit explicitly once stdout has drained: the status is main()'s, whatever handles are still open.
process.stdout.write('', () => process.exit(code));
