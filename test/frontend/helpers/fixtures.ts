/**
 * Resource answers shaped like the backend's (common/resources.ts) for the jsdom tests, and a fake
 * resource client that records what the editors asked for. The browser test uses a real database instead.
 */
import type { DataSourceInstanceSettings } from '@grafana/data';
import { vi } from 'vitest';

import type { RarityResources } from '../../../src/datasource/resources.ts';
import type { FieldInfo, RarityDataSourceOptions, TableInfo, ValueCount } from '../../../src/datasource/types.ts';

const suits = (over: Partial<FieldInfo['suits']>): FieldInfo['suits'] => ({
  time: false,
  id: false,
  by: false,
  over: false,
  message: false,
  ...over,
});

export const TABLES: TableInfo[] = [
  { schema: 'public', name: 'weblogs', qualified: '"public"."weblogs"', estimatedRows: 12000 },
  { schema: 'audit', name: 'events', qualified: '"audit"."events"', estimatedRows: 0 },
];

export const FIELDS: FieldInfo[] = [
  { name: 'id', type: 'bigint', suits: suits({ id: true, by: true, over: true }) },
  { name: 'ts', type: 'timestamp with time zone', suits: suits({ time: true }) },
  { name: 'ip', type: 'text', suits: suits({ by: true, over: true, message: true }) },
  { name: 'state', type: 'integer', suits: suits({ id: true, by: true, over: true }) },
  { name: 'latency', type: 'double precision', suits: suits({}) },
  { name: 'payload', type: 'jsonb', suits: suits({ message: true }) },
];

export const VALUES: ValueCount[] = [
  { value: '1', count: 900 },
  { value: '0', count: 80 },
  { value: '2', count: 3 },
];

export function fakeResources(): RarityResources & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    tables: vi.fn(async () => {
      calls.push(['tables']);
      return TABLES;
    }),
    fields: vi.fn(async (table?: string) => {
      calls.push(['fields', table]);
      return FIELDS;
    }),
    values: vi.fn(async (table: string | undefined, field: string, search = '') => {
      calls.push(['values', table, field, search]);
      return VALUES.filter((v) => v.value.includes(search));
    }),
  };
}

export function instanceSettings(
  jsonData: Partial<RarityDataSourceOptions> = {},
): DataSourceInstanceSettings<RarityDataSourceOptions> {
  return {
    id: 1,
    uid: 'rarity-uid',
    type: 'rarity-anomaly-datasource',
    name: 'Rarity',
    access: 'proxy',
    readOnly: false,
    jsonData: { table: 'public.weblogs', timeColumn: 'ts', ...jsonData },
    meta: {
      id: 'rarity-anomaly-datasource',
      name: 'Rarity',
      type: 'datasource',
      info: { logos: { small: '', large: '' } },
    },
  } as unknown as DataSourceInstanceSettings<RarityDataSourceOptions>;
}
