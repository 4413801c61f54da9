/**
 * Typed calls to the backend's resource API (common/resources.ts). The editors depend on this small
 * interface rather than on the datasource class, so the config editor (which only receives settings) and the
 * query editor (which receives the instance) share one client.
 */
import { getBackendSrv, getDataSourceSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';

import { DEFAULT_VALUES_LIMIT } from '../../common/limits.ts';
import {
  JOB_KEY_PATTERN,
  RESOURCE_PATHS,
  type FieldInfo,
  type FieldRole,
  type JobList,
  type JobSummary,
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

/**
 * What the jobs calls need of DataSourceWithBackend besides getResource: its POST, and the resource URL and
 * identity for the DELETE it has no method for.
 */
export interface JobResourceFetcher extends ResourceFetcher {
  readonly uid: string;
  readonly type: string;
  postResource<T = unknown>(path: string, data?: unknown, options?: { showErrorAlert?: boolean }): Promise<T>;
  buildResourcesDatasourceUrl(path: string): string;
}

export interface RarityJobResources {
  jobs(): Promise<JobList>;
  job(key: string): Promise<JobSummary>;
  resetJob(key: string): Promise<JobSummary>;
  deleteJob(key: string): Promise<{ deleted: string }>;
}

/** A key goes into the URL path, so anything but 16 hex digits is refused before a request is made. */
function jobPath(key: string, action?: 'reset'): string {
  if (!JOB_KEY_PATTERN.test(key)) {
    throw new Error(`"${key}" is not a job key (16 hex digits)`);
  }
  return [RESOURCE_PATHS.jobs, key, ...(action ? [action] : [])].join('/');
}

export function createJobResources(fetcher: JobResourceFetcher): RarityJobResources {
  // The Jobs page shows failures next to the job they concern; Grafana's global error toast would repeat them.
  const quiet = { showErrorAlert: false };
  return {
    jobs: () => fetcher.getResource<JobList>(RESOURCE_PATHS.jobs),
    job: async (key) => fetcher.getResource<JobSummary>(jobPath(key)),
    resetJob: async (key) => fetcher.postResource<JobSummary>(jobPath(key, 'reset'), {}, quiet),
    deleteJob: async (key) => {
      const response = await lastValueFrom(
        getBackendSrv().fetch<{ deleted: string }>({
          method: 'DELETE',
          url: fetcher.buildResourcesDatasourceUrl(jobPath(key)),
          // The headers DataSourceWithBackend sends with its own resource calls.
          headers: { 'X-Plugin-Id': fetcher.type, 'X-Datasource-Uid': fetcher.uid },
          ...quiet,
        }),
      );
      return response.data;
    },
  };
}

export async function jobResourcesForUid(uid: string): Promise<RarityJobResources> {
  const instance = (await getDataSourceSrv().get({ uid })) as unknown as JobResourceFetcher;
  return createJobResources(instance);
}

export function fieldsThatSuit(fields: readonly FieldInfo[], role: FieldRole | undefined): FieldInfo[] {
  return role ? fields.filter((field) => field.suits?.[role]) : [...fields];
}
