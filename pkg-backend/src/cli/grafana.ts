/**
 * The end of `npm start`: get the demo in front of a Grafana. With a Docker engine, `docker compose up` (Grafana
 * with dist/ and provisioning/ mounted, its own seeded Postgres); else a `grafana` / `grafana-server` binary on
 * PATH, run against this repository's provisioning/ and dist/ and the demo database; else the exact steps to
 * load dist/ into an existing Grafana. Nothing here changes the detection the demo printed before.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PROJECT_ROOT, type Database } from './database.ts';

export const APP_ID = 'rarity-anomaly-app';
export const UNSIGNED_PLUGINS = [
  'rarity-anomaly-app',
  'rarity-anomaly-datasource',
  'rarity-spans-panel',
  'rarity-logs-panel',
];
const DIST = join(PROJECT_ROOT, 'dist');
const PROVISIONING = join(PROJECT_ROOT, 'provisioning');

/** The RARITY_PG_* / RARITY_DASHBOARDS variables provisioning/ reads, for a database URL. */
export function provisioningEnv(
  databaseUrl: string,
  dashboards = join(PROVISIONING, 'dashboards'),
): Record<string, string> {
  const u = new URL(databaseUrl);
  return {
    RARITY_PG_HOST: u.hostname || '127.0.0.1',
    RARITY_PG_PORT: u.port || '5432',
    RARITY_PG_DATABASE: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
    RARITY_PG_USER: decodeURIComponent(u.username) || 'postgres',
    RARITY_PG_PASSWORD: decodeURIComponent(u.password),
    RARITY_DASHBOARDS: dashboards,
  };
}

export type GrafanaRoute = { kind: 'docker' } | { kind: 'binary'; binary: string } | { kind: 'instructions' };

/** Which way to run Grafana here: a working Docker engine, then a Grafana binary, then instructions. */
export function chooseRoute(probe: {
  dockerWorks: () => boolean;
  findBinary: (names: string[]) => string | undefined;
}): GrafanaRoute {
  if (probe.dockerWorks()) {
    return { kind: 'docker' };
  }
  const binary = probe.findBinary(['grafana', 'grafana-server']);
  return binary ? { kind: 'binary', binary } : { kind: 'instructions' };
}

function dockerWorks(): boolean {
  const r = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 15_000 });
  return r.status === 0;
}

function findBinary(names: string[], path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    for (const name of names) {
      if (existsSync(join(dir, name))) {
        return join(dir, name);
      }
    }
  }
  return undefined;
}

/** Exactly what to do to load the built plugin and the demo into a Grafana that is already installed. */
export function grafanaInstructions(databaseUrl: string, embedded: boolean): string {
  const env = provisioningEnv(databaseUrl, '<provisioning dir>/dashboards');
  const lines = [
    'Grafana: no Docker engine (`docker info` failed) and no grafana / grafana-server binary on PATH.',
    'To load Rarity into an existing Grafana (12.3 – 13.1, the React 18 line):',
    '',
    `  1. Copy the built plugin (npm run build) into Grafana's plugins folder, named after the app id:`,
    `       cp -r ${DIST} <plugins dir>/${APP_ID}        # e.g. /var/lib/grafana/plugins/${APP_ID}`,
    '  2. Allow the four unsigned plugin ids, in grafana.ini',
    '       [plugins]',
    `       allow_loading_unsigned_plugins = ${UNSIGNED_PLUGINS.join(',')}`,
    `     or as GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=${UNSIGNED_PLUGINS.join(',')}`,
    `  3. Provisioning: copy ${PROVISIONING}/{datasources,plugins,dashboards,alerting}/ into Grafana's provisioning`,
    '     folder (e.g. /etc/grafana/provisioning/) and start Grafana with these variables in its environment:',
    ...Object.entries(env).map(([k, v]) => `       ${k}=${v}`),
    '     (the "Rarity demo" datasource, uid rarity-demo; the Anomalies dashboard and one per injected anomaly in',
    '     the "Rarity" folder; alert rules on the scores at score >= 75).',
    '  4. Or add the datasource by hand: Connections > Data sources > Add > Rarity, with',
    `       Host ${env.RARITY_PG_HOST}:${env.RARITY_PG_PORT}, Database ${env.RARITY_PG_DATABASE}, User ${env.RARITY_PG_USER}, Password ${env.RARITY_PG_PASSWORD ? '(as above)' : '(none)'}, TLS/SSL mode disable,`,
    '       Log table public.weblogs, Time column ts, Id column id, Success rule state = 1.',
    '  5. Restart Grafana and open Dashboards > Rarity > Anomalies.',
  ];
  if (embedded) {
    lines.push(
      '',
      'Note: this database is the embedded PostgreSQL of `npm start`; it stops when this command exits. For a',
      'Grafana to query, point DATABASE_URL at a PostgreSQL that stays up and run `npx rarity seed` there, or run',
      '`docker compose up postgres seed` (then host 127.0.0.1:5432, database/user/password rarity).',
    );
  }
  return lines.join('\n') + '\n';
}

/** Runs a Grafana binary on our provisioning/ with dist/ as its one plugin, until it exits (Ctrl-C). */
async function runGrafanaBinary(binary: string, db: Database, out: (s: string) => void): Promise<void> {
  const home = join(PROJECT_ROOT, '.rarity', 'grafana');
  const plugins = join(home, 'plugins');
  mkdirSync(plugins, { recursive: true });
  // Grafana expects <plugins dir>/<plugin folder>; link ours instead of copying 600 MB of executables.
  rmSync(join(plugins, APP_ID), { recursive: true, force: true });
  symlinkSync(DIST, join(plugins, APP_ID), 'dir');
  const env = {
    ...process.env,
    ...provisioningEnv(db.url),
    GF_PATHS_PROVISIONING: PROVISIONING,
    GF_PATHS_PLUGINS: plugins,
    GF_PATHS_DATA: join(home, 'data'),
    GF_PATHS_LOGS: join(home, 'logs'),
    GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS: UNSIGNED_PLUGINS.join(','),
    GF_AUTH_ANONYMOUS_ENABLED: 'true',
    GF_AUTH_ANONYMOUS_ORG_ROLE: 'Admin',
  };
  const homepath =
    process.env.GRAFANA_HOME ??
    ['/usr/share/grafana', '/opt/grafana', '/usr/local/share/grafana'].find((p) =>
      existsSync(join(p, 'conf', 'defaults.ini')),
    );
  const args = [...(binary.endsWith('grafana') ? ['server'] : []), ...(homepath ? ['--homepath', homepath] : [])];
  out(
    `Starting ${binary} ${args.join(' ')} on http://localhost:3000/d/rarity-anomalies (Ctrl-C stops it and the demo database)\n`,
  );
  await new Promise<void>((resolve) => spawn(binary, args, { env, stdio: 'inherit' }).on('exit', () => resolve()));
}

export async function offerGrafana(
  db: Database,
  out: (s: string) => void,
  route = chooseRoute({ dockerWorks, findBinary }),
): Promise<void> {
  if (!existsSync(join(DIST, 'plugin.json'))) {
    out('dist/ is not built yet: run `npm run build` before loading the plugin into Grafana.\n');
  }
  switch (route.kind) {
    case 'docker': {
      out('Docker engine found: docker compose up -d (Grafana on http://localhost:3000/d/rarity-anomalies)\n');
      const r = spawnSync('docker', ['compose', 'up', '-d'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
      if (r.status !== 0) {
        out(grafanaInstructions(db.url, db.embedded));
      }
      return;
    }
    case 'binary':
      return runGrafanaBinary(route.binary, db, out);
    default:
      out(grafanaInstructions(db.url, db.embedded));
  }
}
