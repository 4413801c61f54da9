/**
 * The go-plugin handshake (docs/protocol.md, Launch and Handshake): refuse to run without the magic cookie,
 * and once the gRPC server is bound, print the one line the host parses from stdout.
 */
import { writeSync } from 'node:fs';

export const MAGIC_COOKIE_KEY = 'grafana_plugin_type';
export const MAGIC_COOKIE_VALUE = 'datasource';
export const CORE_PROTOCOL_VERSION = 1;
export const APP_PROTOCOL_VERSION = 2;

/** go-plugin's own wording, so someone running the binary by hand learns what it is. */
export const NOT_A_PROGRAM_MESSAGE =
  'This binary is a plugin. These are not meant to be executed directly.\n' +
  'Please execute the program that consumes these plugins, which will\n' +
  'load any plugins automatically\n';

export function hasMagicCookie(env: NodeJS.ProcessEnv): boolean {
  return env[MAGIC_COOKIE_KEY] === MAGIC_COOKIE_VALUE;
}

/** True when the host offers app protocol 2 (or says nothing, as older hosts did). */
export function hostSupportsProtocol(env: NodeJS.ProcessEnv): boolean {
  const offered = env.PLUGIN_PROTOCOL_VERSIONS;
  if (!offered) {
    return true;
  }
  return offered.split(',').some((v) => v.trim() === String(APP_PROTOCOL_VERSION));
}

export function handshakeLine(port: number): string {
  return `${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|tcp|127.0.0.1:${port}|grpc\n`;
}

/** Written synchronously and exactly once: it must be the first and only thing on stdout. */
let announced = false;
export function announce(port: number): void {
  if (announced) {
    throw new Error('handshake already printed');
  }
  announced = true;
  writeSync(1, handshakeLine(port));
}
