import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { describeTable, type TableInfo } from '../../pkg-backend/src/store/catalogue.ts';
import { tableBounds } from '../../pkg-backend/src/store/bounds.ts';
import { fetchLogs } from '../../pkg-backend/src/store/logs.ts';
import { topValues } from '../../pkg-backend/src/store/values.ts';
import { createLogTable, insertRows, type WeblogRow } from '../../pkg-backend/src/store/demoTable.ts';
import { dropSchema, freshSchema, testPool, utc } from './helpers.ts';

const ROWS: WeblogRow[] = [
  { ts: utc('2024-01-01T00:00:00'), ip: '1.0.0.0', key: 'K1', product: 1, state: 1, machine_code: 'm1', country: 'SE' },
  { ts: utc('2024-01-01T00:10:00'), ip: '2.0.0.0', key: 'K1', product: 1, state: 2, machine_code: 'm1', country: 'SE' },
  { ts: utc('2024-01-01T00:20:00'), ip: '1.0.0.0', key: 'K2', product: 2, state: 1, machine_code: 'm2', country: 'DE' },
  {
    ts: utc('2024-01-01T00:30:00'),
    ip: '1.0.0.0',
    key: 'K2',
    product: 2,
    state: null,
    machine_code: 'm2',
    country: 'de_50%',
  },
  { ts: utc('2024-01-01T00:40:00'), ip: '3.0.0.0', key: 'K3', product: 3, state: 1, machine_code: 'm3', country: 'US' },
  { ts: utc('2024-01-01T00:50:00'), ip: '1.0.0.0', key: 'K1', product: 1, state: 1, machine_code: 'm1', country: 'SE' },
];

describe('logs, values and bounds', () => {
  let pool: pg.Pool;
  let schema: string;
  let table: TableInfo;
  const range = { from: utc('2024-01-01T00:00:00'), to: utc('2024-01-01T01:00:00') };

  beforeAll(async () => {
    pool = testPool();
    schema = await freshSchema(pool, 'logs');
    await createLogTable(pool, `${schema}.weblogs`);
    await insertRows(pool, `${schema}.weblogs`, ROWS);
    table = await describeTable(pool, `${schema}.weblogs`);
  });

  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('fetchLogs returns every column, typed id/time, success from the rule', async () => {
    const rows = await fetchLogs(pool, {
      table,
      timeColumn: 'ts',
      idColumn: 'id',
      ...range,
      successRule: { field: 'state', op: '=', value: '1' },
      limit: 10,
      order: 'asc',
    });
    expect(rows.map((r) => r.id)).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
    expect(rows[0].time).toEqual(utc('2024-01-01T00:00:00'));
    expect(rows.map((r) => r.successful)).toEqual([true, false, true, false, true, true]);
    expect(rows[0].message).toBeNull();
    expect(rows[1].values).toEqual({
      id: '2',
      ts: utc('2024-01-01T00:10:00'),
      ip: '2.0.0.0',
      key: 'K1',
      product: 1,
      state: 2,
      machine_code: 'm1',
      country: 'SE',
    });
  });

  it('fetchLogs: desc order, limit, filters, entity, id window, message column, table by name', async () => {
    const desc = await fetchLogs(pool, {
      table: `${schema}.weblogs`,
      timeColumn: 'ts',
      idColumn: 'id',
      ...range,
      limit: 2,
      order: 'desc',
    });
    expect(desc.map((r) => r.id)).toEqual([6n, 5n]);
    expect(desc[0].successful).toBeNull();
    const entity = await fetchLogs(pool, {
      table,
      timeColumn: 'ts',
      idColumn: 'id',
      ...range,
      limit: 100,
      order: 'asc',
      entityColumn: 'key',
      entityValue: 'K1',
      idFrom: 2n,
      idTo: 6n,
      messageColumn: 'machine_code',
    });
    expect(entity.map((r) => [r.id, r.message])).toEqual([
      [2n, 'm1'],
      [6n, 'm1'],
    ]);
    const byInt = await fetchLogs(pool, {
      table,
      timeColumn: 'ts',
      idColumn: 'id',
      ...range,
      limit: 100,
      order: 'asc',
      entityColumn: 'product',
      entityValue: '2',
    });
    expect(byInt.map((r) => r.id)).toEqual([3n, 4n]);
    const filtered = await fetchLogs(pool, {
      table,
      timeColumn: 'ts',
      idColumn: 'id',
      from: utc('2024-01-01T00:10:00'),
      to: utc('2024-01-01T00:40:00'),
      filters: [{ field: 'ip', op: '=', value: '1.0.0.0' }],
      limit: 100,
      order: 'asc',
    });
    expect(filtered.map((r) => r.id)).toEqual([3n, 4n]);
    const hostile = await fetchLogs(pool, {
      table,
      timeColumn: 'ts',
      idColumn: 'id',
      ...range,
      limit: 100,
      order: 'asc',
      entityColumn: 'key',
      entityValue: "K1' OR '1'='1",
    });
    expect(hostile).toEqual([]);
  });

  it('fetchLogs refuses bad limits, orders and columns', async () => {
    const base = { table, timeColumn: 'ts', idColumn: 'id', ...range, order: 'asc' as const };
    await expect(fetchLogs(pool, { ...base, limit: 0 })).rejects.toThrow(/limit 0 must be between 1 and 100000/);
    await expect(fetchLogs(pool, { ...base, limit: 10, order: 'sideways' as never })).rejects.toThrow(/asc or desc/);
    await expect(fetchLogs(pool, { ...base, limit: 10, messageColumn: 'product' })).rejects.toMatchObject({
      kind: 'column_type',
    });
    await expect(fetchLogs(pool, { ...base, limit: 10, idColumn: 'key' })).rejects.toMatchObject({
      kind: 'column_type',
    });
    await expect(fetchLogs(pool, { ...base, limit: 10, entityColumn: 'key' })).rejects.toMatchObject({
      kind: 'invalid_filter',
    });
  });

  it('topValues: counts, substring search with literal wildcards, limit, time range', async () => {
    expect(await topValues(pool, table, 'ip')).toEqual([
      { value: '1.0.0.0', count: 4 },
      { value: '2.0.0.0', count: 1 },
      { value: '3.0.0.0', count: 1 },
    ]);
    expect(await topValues(pool, table, 'country', { q: 'De' })).toEqual([
      { value: 'DE', count: 1 },
      { value: 'de_50%', count: 1 },
    ]);
    expect(await topValues(pool, table, 'country', { q: '_50%' })).toEqual([{ value: 'de_50%', count: 1 }]);
    expect(await topValues(pool, table, 'country', { q: '%' })).toEqual([{ value: 'de_50%', count: 1 }]);
    expect(await topValues(pool, table, 'key', { limit: 1 })).toEqual([{ value: 'K1', count: 3 }]);
    expect(
      await topValues(pool, `${schema}.weblogs`, 'state', {
        from: utc('2024-01-01T00:15:00'),
        to: utc('2024-01-01T00:45:00'),
      }),
    ).toEqual([{ value: '1', count: 2 }]);
    expect(await topValues(pool, table, 'key', { q: "' OR 1=1 --" })).toEqual([]);
    await expect(topValues(pool, table, 'nope')).rejects.toMatchObject({ kind: 'column_missing' });
  });

  it('tableBounds: exact rows and first/last time, optionally filtered and ranged', async () => {
    expect(await tableBounds(pool, { table, timeColumn: 'ts' })).toEqual({
      rows: 6,
      from: utc('2024-01-01T00:00:00'),
      to: utc('2024-01-01T00:50:00'),
    });
    expect(
      await tableBounds(pool, { table, timeColumn: 'ts', filters: [{ field: 'key', op: '=', value: 'K2' }] }),
    ).toEqual({
      rows: 2,
      from: utc('2024-01-01T00:20:00'),
      to: utc('2024-01-01T00:30:00'),
    });
    expect(await tableBounds(pool, { table, timeColumn: 'ts', from: utc('2025-01-01') })).toEqual({
      rows: 0,
      from: null,
      to: null,
    });
  });

  it('tableBounds uses the time index', async () => {
    await pool.query(
      `INSERT INTO "${schema}".weblogs (ts) SELECT '2020-01-01'::timestamptz + g * interval '1 second' FROM generate_series(1, 20000) g`,
    );
    await pool.query(`ANALYZE "${schema}".weblogs`);
    const plan = await pool.query(
      `EXPLAIN SELECT min(t.ts), max(t.ts) FROM "${schema}".weblogs AS t WHERE t.ts >= '2020-01-01T01:00:00Z'::timestamptz AND t.ts < '2020-01-01T02:00:00Z'::timestamptz`,
    );
    expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index/);
  });
});
