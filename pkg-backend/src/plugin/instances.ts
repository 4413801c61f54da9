/**
 * One datasource instance (parsed settings + a pg.Pool) per configured datasource. Grafana sends the full
 * settings with every call; keying on uid (or id) + lastUpdatedMS means a saved change yields a new
 * instance, and the superseded pool is closed instead of leaking connections.
 */
import type pg from 'pg';
import type { Logger } from './logger.ts';
import type { PbDataSourceInstanceSettings } from './protocol.ts';
import type { DatasourceInstance } from '../query/contract.ts';
import {
  allowedSchemasOf,
  maxResponseBytes,
  modelMemoryLimitBytes,
  parseDataSourceSettings,
  parseStateSettings,
  SettingsError,
  type DataSourceSettings,
  type StateSettings,
} from '../query/settings.ts';
import { jobStateOf } from '../query/jobs/stateHandle.ts';

export type { DatasourceInstance };

/** Turns settings into a pool; the store's connection module in production, a fake in tests. */
export type PoolFactory = (settings: DataSourceSettings) => pg.Pool;
/** A pool for a separate state database; without one the instance keeps its state in the log database. */
export type StatePoolFactory = (state: StateSettings) => pg.Pool;

interface Entry {
  version: number;
  instance: DatasourceInstance;
  /** Closed with the instance; absent when the log pool keeps the state. */
  statePool?: pg.Pool;
}

export class InstanceManager {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(
    private readonly options: { logger: Logger; createPool: PoolFactory; createStatePool?: StatePoolFactory },
  ) {}

  /** The instance for these settings, creating it (and retiring an older version) when needed. */
  get(pb: PbDataSourceInstanceSettings | null | undefined): DatasourceInstance {
    if (this.closed) {
      throw new Error('plugin is shutting down');
    }
    const settings = parseDataSourceSettings(pb);
    const identity = settings.uid || (settings.id ? `id:${settings.id}` : '');
    if (!identity) {
      throw new SettingsError('datasource settings have neither uid nor id');
    }
    const existing = this.entries.get(identity);
    if (existing && existing.version === settings.lastUpdatedMS) {
      return existing.instance;
    }

    const stateSettings = parseStateSettings(settings);
    // Refused here too, not only by queries, so Save & test names a bad limit.
    modelMemoryLimitBytes(settings.jsonData);
    maxResponseBytes(settings.jsonData);
    allowedSchemasOf(settings.jsonData);
    let pool: pg.Pool;
    try {
      pool = this.options.createPool(settings);
    } catch (err) {
      if (err instanceof SettingsError) {
        throw err;
      }
      throw new SettingsError(`cannot configure the connection: ${(err as Error).message}`);
    }
    // An idle client losing its connection emits 'error' on the pool; unhandled, that would kill the process.
    pool.on('error', (err) =>
      this.options.logger.warn('idle database connection failed', { datasource: identity, error: err.message }),
    );
    let statePool: pg.Pool | undefined;
    if (stateSettings.database && this.options.createStatePool) {
      try {
        statePool = this.options.createStatePool(stateSettings);
      } catch (err) {
        void pool.end().catch(() => undefined);
        throw new SettingsError(`cannot configure the state database connection: ${(err as Error).message}`);
      }
      statePool.on('error', (err) =>
        this.options.logger.warn('idle state database connection failed', {
          datasource: identity,
          error: err.message,
        }),
      );
    }
    const instance: DatasourceInstance = {
      key: `${identity}@${settings.lastUpdatedMS}`,
      settings,
      pool,
      state: jobStateOf(statePool ?? pool, { schema: stateSettings.schema }),
    };
    this.entries.set(identity, { version: settings.lastUpdatedMS, instance, statePool });
    if (existing) {
      this.options.logger.info('datasource settings changed; replacing its connection pool', { datasource: identity });
      void this.dispose(existing);
    } else {
      this.options.logger.debug('datasource instance created', { datasource: identity });
    }
    return instance;
  }

  /** Number of live instances (for metrics and tests). */
  get size(): number {
    return this.entries.size;
  }

  /** Closes every pool; later `get` calls fail. Never throws. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => this.dispose(e)));
  }

  private async dispose({ instance, statePool }: Entry): Promise<void> {
    // pool.end() lets checked-out clients finish their query, then closes them as they are released.
    await Promise.all(
      [instance.pool, statePool].map(async (pool) => {
        try {
          await pool?.end();
        } catch (err) {
          this.options.logger.warn('closing a connection pool failed', {
            instance: instance.key,
            error: (err as Error).message,
          });
        }
      }),
    );
  }
}
