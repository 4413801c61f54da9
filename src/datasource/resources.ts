/**
 * Typed calls to the backend's resource API (common/resources.ts). The editors depend on this small
 * interface rather than on the datasource class, so the config editor (which only receives settings) and the
 * query editor (which receives the instance) share one client.
 */
import { getDataSourceSrv } from '@grafana/runtime';

import { DEFAULT_VALUES_LIMIT } from '../../common/limits.ts';
import {
  RESOURCE_PATHS,
  type FieldInfo,
  type FieldRole,
  type TableInfo,
  type ValueCount,
} from '../../common/resources.ts';

/** The one method of DataSourceWithBackend the client needs. */
export interface ResourceFetcher {
  getResource<T = unknown>(path: string, params?: Record<string, string | number>): Promise<T>;
}

export interface RarityResources {
  tables(): Promise<TableInfo[]>;
  fields(table?: string): Promise<FieldInfo[]>;
  values(table: string | undefined, field: string, search?: string, limit?: number): Promise<ValueCount[]>;
}

export function createResources(fetcher: ResourceFetcher): RarityResources {
  return {
    tables: () => fetcher.getResource<TableInfo[]>(RESOURCE_PATHS.tables),
    // An empty table means "the datasource's default table"; the backend resolves it.
    fields: (table) => fetcher.getResource<FieldInfo[]>(RESOURCE_PATHS.fields, table ? { table } : {}),
    values: (table, field, search = '', limit = DEFAULT_VALUES_LIMIT) =>
      fetcher.getResource<ValueCount[]>(RESOURCE_PATHS.values, {
        ...(table ? { table } : {}),
        field,
        q: search,
        limit,
      }),
  };
}

/**
 * The config editor only gets the saved settings; the instance behind that uid talks to the backend, which
 * answers with the *saved* connection — hence "Save & test" before tables can be listed.
 */
export async function resourcesForUid(uid: string): Promise<RarityResources> {
  const instance = (await getDataSourceSrv().get({ uid })) as unknown as ResourceFetcher;
  return createResources(instance);
}

export function fieldsThatSuit(fields: readonly FieldInfo[], role: FieldRole | undefined): FieldInfo[] {
  return role ? fields.filter((field) => field.suits?.[role]) : [...fields];
}
