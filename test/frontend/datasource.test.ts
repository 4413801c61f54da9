// @vitest-environment jsdom
import './helpers/dom.ts';
import { CoreApp, FieldType, createDataFrame, type AnnotationQuery } from '@grafana/data';
import { setTemplateSrv } from '@grafana/runtime';
import { firstValueFrom } from 'rxjs';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { framesToAnnotationEvents } from '../../src/datasource/annotations.ts';
import { RarityDataSource } from '../../src/datasource/datasource.ts';
import { parseVariableQuery } from '../../src/datasource/variableQuery.ts';
import type { RarityQuery } from '../../src/datasource/types.ts';
import { instanceSettings, FIELDS, TABLES, VALUES } from './helpers/fixtures.ts';
import { TestTemplateSrv } from './helpers/templateSrv.ts';

const query = (patch: Partial<RarityQuery> = {}): RarityQuery => ({
  refId: 'A',
  queryType: 'scores',
  function: 'rare',
  byField: 'state',
  ...patch,
});

function datasourceWithResources() {
  const ds = new RarityDataSource(instanceSettings());
  // The boundary DataSourceWithBackend.getResource crosses; answers as the backend gives them.
  const getResource = vi.spyOn(ds, 'getResource').mockImplementation(async (path: string, params?: unknown) => {
    const p = (params ?? {}) as Record<string, string>;
    if (path === 'tables') {
      return TABLES;
    }
    if (path === 'fields') {
      return FIELDS;
    }
    if (path === 'values') {
      return VALUES.filter((v) => v.value.includes(p.q ?? ''));
    }
    throw new Error(`unexpected resource ${path}`);
  });
  return { ds, getResource };
}

describe('RarityDataSource', () => {
  beforeEach(() => {
    setTemplateSrv(
      new TestTemplateSrv({
        by: 'state',
        entity: 'ip',
        span: '10m',
        states: ['1', '2'],
        tbl: 'public.weblogs',
        product: '3',
        key: 'license_key',
        fn: 'freq_rare',
        fields: ['license_key', 'ip', '"Machine Code"', '"a,b"'],
        none: [],
      }),
    );
  });

  describe('applyTemplateVariables', () => {
    it('interpolates fields, table, bucket span and filter values', () => {
      const { ds } = datasourceWithResources();
      const result = ds.applyTemplateVariables(
        query({
          table: '$tbl',
          byField: '$by',
          overField: '${entity}',
          bucketSpan: '[[span]]',
          filters: [
            { field: 'product', op: '=', value: '$product' },
            { field: 'state', op: 'in', value: '$states' },
            { field: 'country', op: 'is null' },
          ],
        }),
        {},
      );
      expect(result).toMatchObject({
        table: 'public.weblogs',
        byField: 'state',
        overField: 'ip',
        bucketSpan: '10m',
        filters: [
          { field: 'product', op: '=', value: '3' },
          { field: 'state', op: 'in', value: '1,2' },
          { field: 'country', op: 'is null' },
        ],
      });
      expect(result.filters?.[2]).not.toHaveProperty('value');
    });

    it('lets scoped variables (repeated panels) win and leaves unknown variables alone', () => {
      const { ds } = datasourceWithResources();
      const result = ds.applyTemplateVariables(query({ byField: '$by', overField: '$nope' }), {
        by: { text: 'country', value: 'country' },
      });
      expect(result.byField).toBe('country');
      expect(result.overField).toBe('$nope');
    });

    it('interpolates a job’s detectors, influencers and group field', () => {
      const { ds } = datasourceWithResources();
      const result = ds.applyTemplateVariables(
        query({
          queryType: 'influencers',
          bucketSpan: '$span',
          detectors: [
            { function: 'rare', byField: '$by', partitionField: '${key}', description: 'rare $by per key' },
            { function: '$fn' as 'rare', byField: 'state', overField: '[[entity]]' },
            { function: 'rare', byField: '$states' },
          ],
          influencers: ['$key', '$entity'],
          groupField: '$key',
        }),
        {},
      );
      expect(result).toMatchObject({
        bucketSpan: '10m',
        detectors: [
          { function: 'rare', byField: 'state', partitionField: 'license_key', description: 'rare state per key' },
          { function: 'freq_rare', byField: 'state', overField: 'ip' },
          // One field per detector field: a multi-value variable is formatted as Grafana formats it (glob), and
          // the backend refuses the result naming the detector.
          { function: 'rare', byField: '{1,2}' },
        ],
        influencers: ['license_key', 'ip'],
        groupField: 'license_key',
      });
      expect(result.detectors?.[0]).not.toHaveProperty('overField');
      expect(Object.keys(result.detectors![2]).sort()).toEqual(['byField', 'function']);
    });

    it('expands a multi-value variable in the influencers into one influencer per value, each once', () => {
      const { ds } = datasourceWithResources();
      const influencers = (list: string[], scoped = {}) =>
        ds.applyTemplateVariables(
          query({ detectors: [{ function: 'rare', byField: 'state' }], influencers: list }),
          scoped,
        ).influencers;
      expect(influencers(['$fields'])).toEqual(['license_key', 'ip', '"Machine Code"', '"a,b"']);
      // Named beside the variable: kept once, where it first appears.
      expect(influencers(['ip', '${fields}'])).toEqual(['ip', 'license_key', '"Machine Code"', '"a,b"']);
      expect(influencers(['$fields', 'ip'])).toEqual(['license_key', 'ip', '"Machine Code"', '"a,b"']);
      // Named twice without a variable: left for the backend to refuse.
      expect(influencers(['ip', 'ip'])).toEqual(['ip', 'ip']);
      expect(influencers(['$none', 'ip'])).toEqual(['ip']);
      expect(influencers(['$fields'], { fields: { text: 'country', value: ['country', 'product'] } })).toEqual([
        'country',
        'product',
      ]);
      expect(influencers(['$unknown'])).toEqual(['$unknown']);
    });

    it('does not add keys the query did not have', () => {
      const { ds } = datasourceWithResources();
      expect(Object.keys(ds.applyTemplateVariables(query(), {})).sort()).toEqual([
        'byField',
        'function',
        'queryType',
        'refId',
      ]);
    });
  });

  describe('filterQuery', () => {
    it('skips hidden and incomplete queries', () => {
      const { ds } = datasourceWithResources();
      expect(ds.filterQuery(query())).toBe(true);
      expect(ds.filterQuery(query({ hide: true }))).toBe(false);
      expect(ds.filterQuery(query({ byField: '' }))).toBe(false);
      expect(ds.filterQuery(query({ function: 'freq_rare' }))).toBe(false);
      expect(ds.filterQuery(query({ function: 'freq_rare', overField: ' ' }))).toBe(false);
      expect(ds.filterQuery(query({ function: 'freq_rare', overField: 'ip' }))).toBe(true);
    });
  });

  describe('metricFindQuery', () => {
    it('lists tables, fields (optionally by role) and values through the resources', async () => {
      const { ds, getResource } = datasourceWithResources();
      expect(await ds.metricFindQuery({ refId: 'v', kind: 'tables' })).toEqual([
        { text: '"public"."weblogs"', value: '"public"."weblogs"' },
        { text: '"audit"."events"', value: '"audit"."events"' },
      ]);
      expect(
        (await ds.metricFindQuery({ refId: 'v', kind: 'fields', table: '$tbl', suits: 'time' })).map((v) => v.text),
      ).toEqual(['ts']);
      expect(getResource).toHaveBeenLastCalledWith('fields', { table: 'public.weblogs' });
      expect(await ds.metricFindQuery({ refId: 'v', kind: 'values', field: '$by' })).toEqual(
        VALUES.map((v) => ({ text: v.value, value: v.value })),
      );
      expect(getResource).toHaveBeenLastCalledWith('values', { field: 'state', q: '', limit: 50 });
    });

    it('accepts the text form of provisioned dashboards', async () => {
      const { ds, getResource } = datasourceWithResources();
      expect(parseVariableQuery('values(public.weblogs, state, 1)')).toMatchObject({
        kind: 'values',
        table: 'public.weblogs',
        field: 'state',
        search: '1',
      });
      expect(parseVariableQuery('fields(public.weblogs, by)')).toMatchObject({ kind: 'fields', suits: 'by' });
      expect(() => parseVariableQuery('columns()')).toThrow(/use tables, fields\(table\), values\(field\)/);
      expect(() => parseVariableQuery('fields(t, colour)')).toThrow(
        /role "colour" is not one of time, id, by, over, message/,
      );
      await ds.metricFindQuery('values(state)');
      expect(getResource).toHaveBeenLastCalledWith('values', { field: 'state', q: '', limit: 50 });
    });

    it('serves query variables through CustomVariableSupport', async () => {
      const { ds } = datasourceWithResources();
      const variables = ds.variables as unknown as {
        query: (r: unknown) => import('rxjs').Observable<{ data: unknown[] }>;
      };
      const response = await firstValueFrom(
        variables.query({ targets: [{ refId: 'v', kind: 'fields', suits: 'over' }], scopedVars: {} }),
      );
      expect(response.data).toEqual(['id', 'ip', 'state'].map((name) => ({ text: name, value: name })));
    });
  });

  describe('annotations', () => {
    it('turns any saved query into an annotations query, or skips an incomplete one', () => {
      const { ds } = datasourceWithResources();
      const prepare = ds.annotations!.prepareQuery!;
      const anno = {
        name: 'Anomalies',
        enable: true,
        iconColor: 'red',
        target: query({ queryType: 'groups', overField: 'ip' }),
      };
      expect(prepare(anno as AnnotationQuery<RarityQuery>)).toMatchObject({
        queryType: 'annotations',
        byField: 'state',
        overField: 'ip',
        bucketSpan: '5m',
      });
      expect(prepare({ ...anno, target: query({ byField: '' }) } as AnnotationQuery<RarityQuery>)).toBeUndefined();
    });

    it('maps time, timeEnd, text, tags and score to coloured regions', async () => {
      const { ds } = datasourceWithResources();
      const frame = createDataFrame({
        fields: [
          { name: 'time', type: FieldType.time, values: [1_000, 5_000] },
          { name: 'timeEnd', type: FieldType.time, values: [4_000, 5_000] },
          { name: 'text', type: FieldType.string, values: ['ip 10.0.0.1: state 3 rare', 'single bucket'] },
          { name: 'tags', type: FieldType.other, values: [['rarity', 'critical'], 'rarity, minor'] },
          { name: 'score', type: FieldType.number, values: [91.5, 30] },
        ],
      });
      const events = await firstValueFrom(ds.annotations!.processEvents!({} as AnnotationQuery<RarityQuery>, [frame]));
      expect(events).toEqual([
        {
          time: 1_000,
          timeEnd: 4_000,
          isRegion: true,
          text: 'ip 10.0.0.1: state 3 rare',
          tags: ['rarity', 'critical'],
          color: '#fe5050',
        },
        {
          time: 5_000,
          timeEnd: 5_000,
          isRegion: false,
          text: 'single bucket',
          tags: ['rarity', 'minor'],
          color: '#fdec25',
        },
      ]);
    });

    it('ignores frames without a time field and reads JSON tags', () => {
      const frames = [
        createDataFrame({ fields: [{ name: 'x', values: [1] }] }),
        createDataFrame({
          fields: [
            { name: 'time', type: FieldType.time, values: [7] },
            { name: 'tags', values: ['["a","b"]'] },
          ],
        }),
      ];
      expect(framesToAnnotationEvents(frames)).toEqual([
        { time: 7, timeEnd: 7, isRegion: false, text: '', tags: ['a', 'b'] },
      ]);
    });
  });

  it('defaults to logs in Explore and to scores elsewhere', () => {
    const { ds } = datasourceWithResources();
    expect(ds.getDefaultQuery(CoreApp.Explore)).toMatchObject({
      queryType: 'logs',
      function: 'rare',
      bucketSpan: '5m',
    });
    expect(ds.getDefaultQuery(CoreApp.Dashboard)).toMatchObject({ queryType: 'scores' });
  });
});
