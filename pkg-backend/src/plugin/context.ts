/** Builds the RequestContext handlers see from a decoded PluginContext and the request headers. */
import { headerValue, type RequestContext } from '../query/contract.ts';
import type { InstanceManager } from './instances.ts';
import type { Logger } from './logger.ts';
import type { PbPluginContext } from './protocol.ts';

export function isFromAlert(headers: Record<string, string>): boolean {
  return (headerValue(headers, 'FromAlert') ?? '').trim().toLowerCase() === 'true';
}

/** Throws SettingsError when the datasource settings are missing or unusable. */
export function buildContext(
  pc: PbPluginContext | null | undefined,
  headers: Record<string, string>,
  deps: { instances: InstanceManager; logger: Logger; signal: AbortSignal },
): RequestContext {
  const instance = deps.instances.get(pc?.dataSourceInstanceSettings);
  const user = pc?.user && (pc.user.login || pc.user.email || pc.user.name) ? { ...pc.user } : undefined;
  return {
    instance,
    orgId: Number(pc?.orgId ?? 0),
    pluginId: pc?.pluginId ?? '',
    pluginVersion: pc?.pluginVersion ?? '',
    userAgent: pc?.userAgent ?? '',
    user,
    headers: { ...headers },
    fromAlert: isFromAlert(headers),
    signal: deps.signal,
    logger: deps.logger.child({ datasource: instance.settings.uid || instance.settings.id, user: user?.login }),
  };
}

/** Human text for any thrown value. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    return err.message || err.name;
  }
  return typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
}
