/**
 * Backends a test starts, kills (-9) and restarts against one database, and what the persisted-job tests
 * compare between their answers: frames as a panel shows them (stats left out) and one stat.
 */
import type { DecodedFrame } from './e2e.ts';
import { connect, grafanaEnv, startPlugin, type PluginClients, type PluginProcess } from './host.ts';

export interface Backend {
  plugin: PluginProcess;
  client: PluginClients;
}

export function backends() {
  const running: Backend[] = [];
  return {
    async start(env: Record<string, string> = {}): Promise<Backend> {
      const plugin = await startPlugin({ env: grafanaEnv(env) });
      const client = connect(plugin.address);
      running.push({ plugin, client });
      return { plugin, client };
    },
    async kill(b: Backend): Promise<void> {
      b.client.close();
      b.plugin.child.kill('SIGKILL');
      await b.plugin.waitForExit(5000);
    },
    async disposeAll(): Promise<void> {
      for (const b of running) {
        b.client.close();
        await b.plugin.dispose();
      }
    },
  };
}

/** What a panel shows: names, fields, values and meta apart from the per-request stats. */
export const shown = (frames: DecodedFrame[]) =>
  frames.map((f) => ({
    name: f.name,
    meta: { ...f.meta, stats: undefined },
    fields: f.fields.map(({ name, type, labels, config, values }) => ({ name, type, labels, config, values })),
  }));

export const stat = (frames: DecodedFrame[], name: string) =>
  (frames[0].meta?.stats as Array<{ displayName: string; value: number }>).find((s) => s.displayName === name)!.value;
