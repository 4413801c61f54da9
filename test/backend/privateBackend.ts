/**
 * The built executable over a private database whose tables a test writes itself (setup SQL), for tests that
 * need shapes the demo does not have: a slow view, a column of 30 000 values.
 */
import pg from 'pg';
import { connect, ensureBuiltExecutable, startPlugin, type PluginClients, type PluginProcess } from './host.ts';
import { createDatabase, dropDatabase } from './e2e.ts';

export interface PrivateBackend {
  url: string;
  pool: pg.Pool;
  plugin: PluginProcess;
  client: PluginClients;
  close(): Promise<void>;
}

export async function startPrivateBackend(database: string, setupSql: string): Promise<PrivateBackend> {
  ensureBuiltExecutable();
  const url = await createDatabase(database);
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  await pool.query(setupSql);
  const plugin = await startPlugin();
  const client = connect(plugin.address);
  return {
    url,
    pool,
    plugin,
    client,
    async close() {
      client.close();
      await plugin.dispose();
      await pool.end();
      await dropDatabase(database).catch(() => undefined);
    },
  };
}
