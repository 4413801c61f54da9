import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { describeTable, listTables, resolveColumn } from '../../pkg-backend/src/store/catalogue.ts';
import { StoreError } from '../../pkg-backend/src/store/errors.ts';
import { dropSchema, freshSchema, testPool } from './helpers.ts';

describe('catalogue', () => {
  let pool: pg.Pool;
  let schema: string;

  beforeAll(async () => {
    pool = testPool();
    schema = await freshSchema(pool, 'cat');
    await pool.query(`CREATE TYPE "${schema}".mood AS ENUM ('ok', 'sad')`);
    await pool.query(`CREATE DOMAIN "${schema}".code AS varchar(10)`);
    await pool.query(`
      CREATE TABLE "${schema}".logs (
        id bigserial PRIMARY KEY, ts timestamptz NOT NULL, local_ts timestamp, day date,
        ip inet, who uuid, flag boolean, small smallint, n integer, big_id numeric(20,0), amount numeric(10,2),
        ratio double precision, name varchar(20), letter char(1), body text, doc jsonb, feeling "${schema}".mood,
        c "${schema}".code, tags text[])`);
    await pool.query(`INSERT INTO "${schema}".logs (ts) SELECT now() FROM generate_series(1, 50)`);
    await pool.query(`ANALYZE "${schema}".logs`);
    await pool.query(`CREATE VIEW "${schema}".recent AS SELECT id, ts FROM "${schema}".logs`);
  });

  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('lists user tables and views with estimates, not system catalogues', async () => {
    const tables = await listTables(pool);
    const mine = tables.filter((t) => t.schema === schema);
    expect(mine.map((t) => t.name)).toEqual(['logs', 'recent']);
    expect(mine[0].qualified).toBe(`"${schema}"."logs"`);
    expect(mine[0].estimatedRows).toBe(50);
    expect(tables.some((t) => t.schema === 'pg_catalog' || t.schema === 'information_schema')).toBe(false);
  });

  it('describes columns with types and suitability', async () => {
    const t = await describeTable(pool, `${schema}.logs`);
    expect(t.qualified).toBe(`"${schema}"."logs"`);
    const col = (n: string) => t.columns.find((c) => c.name === n)!;
    expect(col('ts').type).toBe('timestamp with time zone');
    expect(col('id').type).toBe('bigint');
    expect(col('n').type).toBe('integer');
    expect(col('body').type).toBe('text');
    expect(col('name').type).toBe('character varying');
    expect(col('ts').suits).toEqual({ time: true, id: false, by: false, over: false, message: false });
    expect(col('local_ts').suits.time).toBe(true);
    expect(col('day').suits.time).toBe(true);
    expect(col('id').suits).toEqual({ time: false, id: true, by: true, over: true, message: false });
    expect(col('big_id').suits.id).toBe(true);
    expect(col('amount').suits.id).toBe(false);
    expect(col('amount').suits.by).toBe(false);
    expect(col('ratio').suits.by).toBe(false);
    for (const n of ['ip', 'who', 'flag', 'small', 'n', 'name', 'letter', 'body', 'feeling', 'c']) {
      expect(col(n).suits.by, n).toBe(true);
    }
    expect(col('body').suits.message).toBe(true);
    expect(col('doc').suits.message).toBe(true);
    expect(col('doc').suits.by).toBe(false);
    expect(col('tags').suits.by).toBe(false);
    expect(col('feeling').category).toBe('enum');
    expect(col('c').type).toBe('character varying');
    expect(col('ts').nullable).toBe(false);
    expect(col('n').nullable).toBe(true);
  });

  it('resolves a table through search_path when no schema is given', async () => {
    const scoped = testPool({ connectionString: `${process.env.DATABASE_URL}?options=-c%20search_path%3D${schema}` });
    try {
      const t = await describeTable(scoped, 'logs');
      expect(t.schema).toBe(schema);
    } finally {
      await scoped.end();
    }
  });

  it('names the table and offers readable tables when it is missing', async () => {
    const err = (await describeTable(pool, `${schema}.nope`).catch((e: unknown) => e)) as StoreError;
    expect(err).toBeInstanceOf(StoreError);
    expect(err.kind).toBe('table_missing');
    expect(err.value).toBe(`${schema}.nope`);
    expect(err.message).toContain(`${schema}.nope`);
    expect(err.message).toContain(`${schema}.logs`);
  });

  it('resolveColumn: missing column and wrong type name the column, table and allowed columns', async () => {
    const t = await describeTable(pool, `${schema}.logs`);
    expect(resolveColumn(t, 'TS', 'time').name).toBe('ts');
    expect(() => resolveColumn(t, '"TS"', 'time')).toThrow(/does not exist/);
    let err = (() => {
      try {
        resolveColumn(t, 'missing', 'by');
      } catch (e) {
        return e as StoreError;
      }
    })()!;
    expect(err.kind).toBe('column_missing');
    expect(err.message).toContain('"missing"');
    expect(err.message).toContain(`${schema}.logs`);
    expect(err.message).toContain('ip (inet)');
    err = (() => {
      try {
        resolveColumn(t, 'body', 'time');
      } catch (e) {
        return e as StoreError;
      }
    })()!;
    expect(err.kind).toBe('column_type');
    expect(err.message).toContain('type text');
    expect(err.message).toContain('ts (timestamp with time zone)');
    expect(() => resolveColumn(t, 'amount', 'id')).toThrow(expect.objectContaining({ kind: 'column_type' }));
    expect(() => resolveColumn(t, 'doc', 'by')).toThrow(expect.objectContaining({ kind: 'column_type' }));
    expect(resolveColumn(t, 'doc', 'filter').name).toBe('doc');
  });
});
