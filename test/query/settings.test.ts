/**
 * The "Model memory limit (MB)" setting: parsed into bytes, refused with a message naming it wherever the
 * settings are first used (a query, a new datasource instance), and carried by every detector request.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_MEMORY_LIMIT_BYTES, DEFAULT_MODEL_MEMORY_LIMIT_MB } from '../../common/limits.ts';
import { InstanceManager } from '../../pkg-backend/src/plugin/instances.ts';
import { createLogger } from '../../pkg-backend/src/plugin/logger.ts';
import { detectorRequest } from '../../pkg-backend/src/query/request.ts';
import { modelMemoryLimitBytes, SettingsError } from '../../pkg-backend/src/query/settings.ts';

const MB = 1024 * 1024;
const LOG_TABLE = { table: 'public.weblogs', timeColumn: 'ts', idColumn: 'id' };
const refusal = (mb: unknown) =>
  `Model memory limit (modelMemoryLimitMb) ${mb} must be a whole number of MB from 1 to 65536`;

describe('modelMemoryLimitBytes', () => {
  it('is undefined without the setting, so the engine default applies, which is the settings default', () => {
    expect(modelMemoryLimitBytes({})).toBeUndefined();
    expect(modelMemoryLimitBytes({ modelMemoryLimitMb: null as unknown as number })).toBeUndefined();
    expect(DEFAULT_MODEL_MEMORY_LIMIT_MB * MB).toBe(DEFAULT_MODEL_MEMORY_LIMIT_BYTES);
  });

  it('turns whole MB of 1024 · 1024 bytes into bytes, from 1 to 65536', () => {
    expect(modelMemoryLimitBytes({ modelMemoryLimitMb: 1 })).toBe(MB);
    expect(modelMemoryLimitBytes({ modelMemoryLimitMb: 512 })).toBe(512 * MB);
    expect(modelMemoryLimitBytes({ modelMemoryLimitMb: 65_536 })).toBe(65_536 * MB);
  });

  it('refuses anything else with a SettingsError naming the setting and the value', () => {
    for (const [value, shown] of [
      [0, '0'],
      [65_537, '65537'],
      [1.5, '1.5'],
      [-3, '-3'],
      ['512', '"512"'],
      [true, 'true'],
      [Number.NaN, 'NaN'],
    ] as const) {
      const parse = () => modelMemoryLimitBytes({ modelMemoryLimitMb: value as unknown as number });
      expect(parse).toThrow(SettingsError);
      expect(parse).toThrow(refusal(shown));
    }
  });
});

describe('detector requests', () => {
  const query = { function: 'rare', byField: 'state' } as const;

  it('carry the datasource limit in bytes, or none when it is not set', () => {
    expect(detectorRequest(query, { ...LOG_TABLE, modelMemoryLimitMb: 64 }).modelMemoryLimitBytes).toBe(64 * MB);
    expect(detectorRequest(query, LOG_TABLE).modelMemoryLimitBytes).toBeUndefined();
  });

  it('are refused with the setting named when the limit is unusable', () => {
    expect(() => detectorRequest(query, { ...LOG_TABLE, modelMemoryLimitMb: 70_000 })).toThrow(refusal('70000'));
  });
});

describe('datasource instances', () => {
  it('refuse an unusable limit before any pool is made', () => {
    let pools = 0;
    const manager = new InstanceManager({
      logger: createLogger({ sink: () => undefined }),
      createPool: () => {
        pools++;
        throw new Error('no pool expected');
      },
    });
    const settings = {
      id: '1',
      uid: 'memory',
      name: 'Rarity',
      url: 'localhost:5432',
      user: 'grafana',
      database: 'logs',
      basicAuthEnabled: false,
      basicAuthUser: '',
      apiVersion: '',
      jsonData: Buffer.from(JSON.stringify({ ...LOG_TABLE, modelMemoryLimitMb: 0 })),
      decryptedSecureJsonData: {},
      lastUpdatedMS: '1',
    };
    expect(() => manager.get(settings)).toThrow(SettingsError);
    expect(() => manager.get(settings)).toThrow(refusal('0'));
    expect(pools).toBe(0);
    expect(manager.size).toBe(0);
  });
});
