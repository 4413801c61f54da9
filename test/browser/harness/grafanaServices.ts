/**
 * The Grafana services the editors reach through @grafana/runtime, wired for a page outside Grafana. Only
 * the backendSrv boundary is replaced (by fetch to the harness server, which answers the same
 * /api/datasources/uid/<uid>/resources/... paths Grafana would), so DataSourceWithBackend.getResource and
 * postResource run unchanged. The DataSourceSrv knows the one harness datasource, by uid or name, as the
 * DataSourcePicker asks for it.
 */
import type { DataSourceInstanceSettings } from '@grafana/data';
import type { DataSourceRef } from '@grafana/schema';
import {
  setBackendSrv,
  setDataSourceSrv,
  setTemplateSrv,
  type BackendSrv,
  type BackendSrvRequest,
  type DataSourceSrv,
  type FetchResponse,
} from '@grafana/runtime';
import { from, type Observable } from 'rxjs';

import { RarityDataSource } from '../../../src/datasource/datasource.ts';
import type { RarityDataSourceOptions } from '../../../src/datasource/types.ts';
import { TestTemplateSrv } from '../../frontend/helpers/templateSrv.ts';

async function request<T>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
  const url = new URL(options.url, window.location.origin);
  for (const [key, value] of Object.entries(options.params ?? {})) {
    url.searchParams.set(key, String(value));
  }
  // backendSrv sends `data` as JSON, as postResource's {} for a POST without a payload.
  const body = options.data === undefined ? undefined : JSON.stringify(options.data);
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    headers: {
      ...(options.headers as Record<string, string>),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body,
  });
  const data = (await response.json()) as T;
  const result = {
    data,
    status: response.status,
    statusText: response.statusText,
    ok: response.ok,
    headers: response.headers,
    redirected: false,
    type: response.type,
    url: response.url,
    config: options,
  } as FetchResponse<T>;
  // Grafana's backendSrv rejects non-2xx with {status, data}; the editors show data.message.
  if (!response.ok) {
    throw result;
  }
  return result;
}

export function installGrafanaServices(jsonData: RarityDataSourceOptions): RarityDataSource {
  const settings = {
    id: 1,
    uid: 'harness',
    type: 'rarity-anomaly-datasource',
    name: 'Rarity',
    access: 'proxy',
    readOnly: false,
    jsonData,
    meta: {
      id: 'rarity-anomaly-datasource',
      name: 'Rarity',
      type: 'datasource',
      info: { logos: { small: '', large: '' } },
    },
  } as unknown as DataSourceInstanceSettings<RarityDataSourceOptions>;

  setBackendSrv({
    fetch: <T>(options: BackendSrvRequest): Observable<FetchResponse<T>> => from(request<T>(options)),
    get: async <T>(url: string, params?: Record<string, unknown>) => (await request<T>({ url, params })).data,
  } as unknown as BackendSrv);
  setTemplateSrv(new TestTemplateSrv({ entity: 'ip' }));
  const datasource = new RarityDataSource(settings);
  // No reference means the default datasource, which the harness's one datasource is.
  const instanceSettings = (ref?: DataSourceRef | string | null) => {
    const key = typeof ref === 'string' ? ref : ref?.uid;
    return key === undefined || key === settings.uid || key === settings.name ? settings : undefined;
  };
  setDataSourceSrv({
    get: async () => datasource,
    getInstanceSettings: instanceSettings,
    getList: (filters: { pluginId?: string } = {}) =>
      filters.pluginId === undefined || filters.pluginId === settings.type ? [settings] : [],
  } as unknown as DataSourceSrv);
  return datasource;
}
