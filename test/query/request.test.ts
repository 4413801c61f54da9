/**
 * The one parse step (request.ts) and what is derived from a definition (definition.ts, detectorKey.ts):
 * pure functions, checked without a database.
 */
import { describe, expect, it } from 'vitest';
import type { RarityDataSourceOptions } from '../../common/queryModel.ts';
import {
  describeDetector,
  detectorSpec,
  pushdownPlan,
  type DetectorDefinition,
} from '../../pkg-backend/src/query/definition.ts';
import { detectorKey } from '../../pkg-backend/src/query/detectorKey.ts';
import { QueryError } from '../../pkg-backend/src/query/queryError.ts';
import { detectorRequest, parseQuery } from '../../pkg-backend/src/query/request.ts';
import type { ColumnInfo, TableInfo } from '../../pkg-backend/src/store/index.ts';

const SETTINGS: RarityDataSourceOptions = {
  table: 'public.weblogs',
  timeColumn: 'ts',
  idColumn: 'id',
  successRule: { field: 'state', op: '=', value: '1' },
};
const RANGE = { from: new Date('2026-05-01T00:00:00Z'), to: new Date('2026-05-02T00:00:00Z') };

function refusal(run: () => unknown): QueryError {
  try {
    run();
  } catch (e) {
    if (e instanceof QueryError) {
      return e;
    }
    throw e;
  }
  throw new Error('expected a QueryError');
}

describe('detectorRequest', () => {
  it('turns the query model and the settings into a request with the span parsed once', () => {
    expect(
      detectorRequest({ function: 'freq_rare', byField: 'state', overField: 'ip', bucketSpan: '1h30m' }, SETTINGS),
    ).toEqual({
      table: 'public.weblogs',
      timeColumn: 'ts',
      idColumn: 'id',
      function: 'freq_rare',
      byField: 'state',
      overField: 'ip',
      bucketSpan: '1h30m',
      bucketSpanMs: 5_400_000,
      filters: [],
      successRule: SETTINGS.successRule,
      learningBuckets: undefined,
      groupThreshold: undefined,
    });
  });

  it('fills in the defaults: rare, 5m, the datasource table; an empty over field means none', () => {
    const r = detectorRequest({ byField: 'state', overField: '' }, SETTINGS);
    expect(r).toMatchObject({ function: 'rare', bucketSpan: '5m', bucketSpanMs: 300_000, table: 'public.weblogs' });
    expect(r.overField).toBeUndefined();
    expect(detectorRequest({ byField: 'state', table: 'other' }, SETTINGS).table).toBe('other');
  });

  it("refuses with the shared validator's words, every problem at once, naming the first field", () => {
    const e = refusal(() =>
      detectorRequest({ function: 'freq_rare', byField: 'state', bucketSpan: '500ms' }, SETTINGS),
    );
    expect(e.message).toBe(
      'Over field is required for freq_rare: choose the entity field (e.g. a client IP) whose requests are compared; ' +
        'bucketSpan "500ms" must be a whole number of seconds, at least 1s',
    );
    expect(e.field).toBe('overField');
  });

  it("checks the tuning only the command line sets, in its flags' names", () => {
    const labels = { learningBuckets: '--learning-buckets', groupThreshold: '--group-threshold' };
    expect(
      refusal(() => detectorRequest({ byField: 'state' }, SETTINGS, { tuning: { learningBuckets: 19 }, labels }))
        .message,
    ).toBe("--learning-buckets 19 must be a whole number of at least 20 (Elastic's advice for rare)");
    expect(
      refusal(() => detectorRequest({ byField: 'state' }, SETTINGS, { tuning: { groupThreshold: 101 } })).message,
    ).toBe('groupThreshold 101 must be a score from 0 to 100');
    expect(
      detectorRequest({ byField: 'state' }, SETTINGS, { tuning: { learningBuckets: 30, groupThreshold: 50 } }),
    ).toMatchObject({ learningBuckets: 30, groupThreshold: 50 });
  });

  it("needs a table and the datasource's time and id columns", () => {
    expect(refusal(() => detectorRequest({ byField: 'state' }, { ...SETTINGS, table: undefined })).field).toBe('table');
    expect(refusal(() => detectorRequest({ byField: 'state' }, { ...SETTINGS, timeColumn: '' })).message).toMatch(
      /no time column configured/,
    );
    expect(refusal(() => detectorRequest({ byField: 'state' }, { ...SETTINGS, idColumn: undefined })).message).toMatch(
      /no id column configured/,
    );
  });
});

describe('parseQuery', () => {
  it('takes the query type from the model, else from DataQuery.queryType, else scores; keeps the panel range', () => {
    const parsed = parseQuery({ refId: 'A', byField: 'state', minScore: 25, limit: 10 }, 'groups', RANGE, SETTINGS);
    expect(parsed.query.queryType).toBe('groups');
    expect(parsed.window).toEqual(RANGE);
    expect(parsed).toMatchObject({ minScore: 25, limit: 10 });
    expect(parseQuery({ queryType: 'logs', byField: 'state' }, 'groups', RANGE, SETTINGS).query.queryType).toBe('logs');
    expect(parseQuery({ byField: 'state' }, '', RANGE, SETTINGS)).toMatchObject({
      query: { queryType: 'scores' },
      minScore: 0,
      limit: 1000,
    });
  });

  it('compares numeric filter values as text and refuses wrong types by name', () => {
    expect(
      parseQuery({ byField: 'state', filters: [{ field: 'state', op: '!=', value: 3 }] }, '', RANGE, SETTINGS).detector
        .filters,
    ).toEqual([{ field: 'state', op: '!=', value: '3' }]);
    expect(refusal(() => parseQuery({ byField: 5 }, '', RANGE, SETTINGS)).message).toBe(
      'byField must be a string, got 5',
    );
    expect(refusal(() => parseQuery([], '', RANGE, SETTINGS)).message).toMatch(/must be a JSON object/);
    expect(
      refusal(() => parseQuery({ byField: 'state' }, '', { from: new Date(Number.NaN), to: RANGE.to }, SETTINGS)).field,
    ).toBe('timeRange.from');
  });
});

function column(name: string, category: ColumnInfo['category']): ColumnInfo {
  return {
    name,
    type: category,
    castType: category,
    category,
    nullable: true,
    suits: { time: false, id: false, by: true, over: true, message: false },
  };
}

describe('what a definition gives', () => {
  const table: TableInfo = {
    schema: 'public',
    name: 'weblogs',
    qualified: '"public"."weblogs"',
    columns: ['id', 'ts', 'ip', 'state', 'country'].map((n) => column(n, 'text')),
  };
  const col = (name: string) => table.columns.find((c) => c.name === name)!;
  const definition: DetectorDefinition = {
    table,
    timeColumn: col('ts'),
    idColumn: col('id'),
    function: 'freq_rare',
    byColumn: col('state'),
    overColumn: col('ip'),
    bucketSpan: '5m',
    spanMs: 300_000,
    filters: [{ field: 'country', op: '=', value: 'DE' }],
    successRule: { field: 'state', op: '=', value: '1' },
    learningBuckets: 20,
    groupThreshold: 25,
  };

  it('is plain data: it survives a JSON round trip unchanged', () => {
    expect(JSON.parse(JSON.stringify(definition))).toEqual(definition);
  });

  it("keys a detector by what changes its results, not by how the span is written or the table's other columns", () => {
    const key = detectorKey(definition);
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(detectorKey({ ...definition, bucketSpan: '300s' })).toBe(key);
    expect(
      detectorKey({ ...definition, table: { ...table, columns: [...table.columns, column('added', 'text')] } }),
    ).toBe(key);
    for (const other of [
      { spanMs: 600_000 },
      { overColumn: null, function: 'rare' as const },
      { timeColumn: col('country') },
      { filters: [] },
      { successRule: null },
      { learningBuckets: 30 },
      { groupThreshold: 50 },
    ]) {
      expect(detectorKey({ ...definition, ...other }), JSON.stringify(other)).not.toBe(key);
    }
  });

  it('derives the pushdown plan, the engine spec and the description from the same columns', () => {
    const from = new Date(0);
    const to = new Date(300_000);
    expect(pushdownPlan(definition, from, to)).toEqual({
      table,
      timeColumn: col('ts'),
      idColumn: col('id'),
      byColumn: col('state'),
      overColumn: col('ip'),
      bucketSpanSeconds: 300,
      from,
      to,
      filters: definition.filters,
      successRule: definition.successRule,
    });
    expect(detectorSpec(definition)).toEqual({
      function: 'freq_rare',
      byField: 'state',
      overField: 'ip',
      bucketSpanSeconds: 300,
      learningBuckets: 20,
      groupThreshold: 25,
    });
    expect(describeDetector(definition, 'k')).toEqual({
      key: 'k',
      table: '"public"."weblogs"',
      function: 'freq_rare',
      byField: 'state',
      overField: 'ip',
      bucketSpan: '5m',
      bucketSpanSeconds: 300,
      learningBuckets: 20,
    });
  });
});
