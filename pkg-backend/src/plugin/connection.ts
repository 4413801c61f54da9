/**
 * Settings → pg.Pool for the instance manager, using the store's connection module so the plugin and the
 * command line build connections the same way (timeouts, TLS, application_name).
 */
import { configFromDataSourceSettings, createPool } from '../store/index.ts';
import type { PoolFactory, StatePoolFactory } from './instances.ts';

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
  // The InstanceManager attaches its own 'error' listener right after this returns, logging through the
  // plugin's logger with the datasource's context; the store's generic one would log the event twice.
  pool.removeAllListeners('error');
  return pool;
};

/** The small pool of a separate state database (parseStateSettings sets its size). */
export const statePoolFactory: StatePoolFactory = (state) => {
  if (!state.database) {
    throw new Error('no state database is configured');
  }
  const pool = createPool(state.database);
  pool.removeAllListeners('error');
  return pool;
};
