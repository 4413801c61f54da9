/** InstanceManager against the test Postgres: one pool per saved settings version, old pools closed. */
import { afterAll, describe, expect, it } from 'vitest';
import { connectionPoolFactory } from '../../pkg-backend/src/plugin/connection.ts';
import { InstanceManager } from '../../pkg-backend/src/plugin/instances.ts';
import { createLogger } from '../../pkg-backend/src/plugin/logger.ts';
import type { PbDataSourceInstanceSettings } from '../../pkg-backend/src/plugin/protocol.ts';
import { SettingsError } from '../../pkg-backend/src/query/settings.ts';
import { datasourceFromDatabaseUrl } from './host.ts';

const logs: string[] = [];
const manager = new InstanceManager({
  logger: createLogger({ level: 'debug', sink: (l) => logs.push(l) }),
  createPool: connectionPoolFactory,
});

function settings(overrides: Partial<PbDataSourceInstanceSettings> = {}): PbDataSourceInstanceSettings {
  const ds = datasourceFromDatabaseUrl();
  return {
    id: '1',
    name: 'Rarity',
    url: ds.url!,
    user: ds.user!,
    database: ds.database!,
    basicAuthEnabled: false,
    basicAuthUser: '',
    jsonData: Buffer.from(JSON.stringify(ds.jsonData)),
    decryptedSecureJsonData: ds.secure!,
    lastUpdatedMS: '100',
    uid: 'inst-a',
    apiVersion: '',
    ...overrides,
  };
}

afterAll(async () => {
  await manager.closeAll();
});

describe('InstanceManager', () => {
  it('connects with the decrypted password and reuses the instance', async () => {
    const a = manager.get(settings());
    const { rows } = await a.pool.query<{ one: number }>('select 1 as one');
    expect(rows[0].one).toBe(1);
    expect(manager.get(settings())).toBe(a);
    expect(a.key).toBe('inst-a@100');
  });

  it('a settings change creates a new instance and closes the old pool', async () => {
    const old = manager.get(settings());
    const fresh = manager.get(settings({ lastUpdatedMS: '200' }));
    expect(fresh).not.toBe(old);
    await new Promise((r) => setTimeout(r, 50));
    expect((old.pool as unknown as { ending: boolean }).ending).toBe(true);
    await expect(fresh.pool.query('select 1')).resolves.toBeTruthy();
    expect(manager.size).toBe(1);
  });

  it('keys by id when uid is empty; separate datasources get separate pools', () => {
    const byId = manager.get(settings({ uid: '', id: '42' }));
    expect(byId.key).toBe('id:42@100');
    expect(manager.get(settings({ uid: 'inst-b' })).pool).not.toBe(byId.pool);
  });

  it('invalid jsonData is a SettingsError and creates nothing', () => {
    const before = manager.size;
    expect(() => manager.get(settings({ uid: 'broken', jsonData: Buffer.from('{"a":') }))).toThrow(SettingsError);
    expect(manager.size).toBe(before);
  });

  it('a bad url is a SettingsError naming the problem', () => {
    expect(() => manager.get(settings({ uid: 'bad-url', url: 'host:notaport:1' }))).toThrow(
      /cannot configure the connection/,
    );
  });

  it('closeAll ends every pool and refuses new work', async () => {
    const m = new InstanceManager({
      logger: createLogger({ sink: () => undefined }),
      createPool: connectionPoolFactory,
    });
    const inst = m.get(settings({ uid: 'c' }));
    await m.closeAll();
    expect((inst.pool as unknown as { ending: boolean }).ending).toBe(true);
    expect(() => m.get(settings({ uid: 'c' }))).toThrow(/shutting down/);
  });
});
