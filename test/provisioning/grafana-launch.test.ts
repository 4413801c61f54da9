/**
 * The end of `npm start` (pkg-backend/src/cli/grafana.ts): which route it takes, and the instructions printed on
 * a machine with neither Docker nor Grafana — they must name everything a person needs to load dist/ by hand.
 */
import { describe, expect, it } from 'vitest';

import {
  chooseRoute,
  grafanaInstructions,
  provisioningEnv,
  UNSIGNED_PLUGINS,
} from '../../pkg-backend/src/cli/grafana.ts';
import { byFolder } from './provisioning.ts';

describe('npm start → Grafana', () => {
  it('prefers Docker, then a Grafana binary, then instructions', () => {
    expect(chooseRoute({ dockerWorks: () => true, findBinary: () => '/usr/sbin/grafana' })).toEqual({ kind: 'docker' });
    expect(
      chooseRoute({
        dockerWorks: () => false,
        findBinary: (n) => (n.includes('grafana') ? '/usr/sbin/grafana' : undefined),
      }),
    ).toEqual({ kind: 'binary', binary: '/usr/sbin/grafana' });
    expect(chooseRoute({ dockerWorks: () => false, findBinary: () => undefined })).toEqual({ kind: 'instructions' });
  });

  it('sets every variable the provisioning files read, from the database URL', () => {
    const env = provisioningEnv('postgres://demo:s%40cret@127.0.0.1:54321/rarity');
    expect(env).toMatchObject({
      RARITY_PG_HOST: '127.0.0.1',
      RARITY_PG_PORT: '54321',
      RARITY_PG_DATABASE: 'rarity',
      RARITY_PG_USER: 'demo',
      RARITY_PG_PASSWORD: 's@cret',
    });
    const referenced = new Set(
      [...byFolder('datasources'), ...byFolder('dashboards').filter((f) => !f.path.endsWith('.json'))].flatMap((f) =>
        [...JSON.stringify(f.data).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]),
      ),
    );
    expect([...referenced].sort()).toEqual(Object.keys(env).sort());
  });

  it('prints the copy path, the unsigned-plugins setting, the provisioning files and the datasource settings', () => {
    const text = grafanaInstructions('postgres://demo:pw@127.0.0.1:54321/rarity', true);
    expect(text).toContain('/dist <plugins dir>/rarity-anomaly-app');
    expect(text).toContain(`allow_loading_unsigned_plugins = ${UNSIGNED_PLUGINS.join(',')}`);
    expect(text).toContain('provisioning/{datasources,plugins,dashboards,alerting}/');
    expect(text).toContain('RARITY_PG_PORT=54321');
    expect(text).toContain('Host 127.0.0.1:54321, Database rarity, User demo');
    expect(text).toContain('Log table public.weblogs, Time column ts, Id column id, Success rule state = 1');
    expect(text).toContain('embedded PostgreSQL');
  });
});
