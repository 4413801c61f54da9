/**
 * Settings → pg.Pool for the instance manager, using the store's connection module so the plugin and the
 * command line build connections the same way (timeouts, TLS, application_name).
 */
import { configFromDataSourceSettings, createPool } from '../store/connection.ts';
import type { PoolFactory } from './instances.ts';

export const connectionPoolFactory: PoolFactory = (settings) => {
  const pool = createPool(
    configFromDataSourceSettings({
      url: settings.url,
      database: settings.database,
      user: settings.user,
      jsonData: settings.jsonData,
      secure: { ...settings.secureJsonData },
    }),
  );
  // The store's createPool attaches an 'error' listener that writes {"level","msg"} lines to stderr, which
  // Grafana cannot parse (it needs @level/@message, PROTOCOL.md §2); seen when Postgres was stopped under
  // the plugin (test/backend/postgres-outage.test.ts). The InstanceManager attaches its own listener, logging
  // through the Grafana logger, right after this returns, so the pool is never without one.
  pool.removeAllListeners('error');
  return pool;
};
