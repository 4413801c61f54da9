import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { FILTER_OPS, type QueryFilter } from '../../common/queryModel.ts';
import { describeTable, type TableInfo } from '../../pkg-backend/src/store/catalogue.ts';
import { StoreError } from '../../pkg-backend/src/store/errors.ts';
import { Params, filtersSql, predicateSql, successSql } from '../../pkg-backend/src/store/filters.ts';
import { run } from '../../pkg-backend/src/store/query.ts';
import { dropSchema, freshSchema, testPool } from './helpers.ts';

describe('filters', () => {
  let pool: pg.Pool;
  let schema: string;
  let table: TableInfo;

  beforeAll(async () => {
    pool = testPool();
    schema = await freshSchema(pool, 'flt');
    await pool.query(`CREATE TYPE "${schema}".mood AS ENUM ('ok', 'sad')`);
    await pool.query(`
      CREATE TABLE "${schema}".f (id int PRIMARY KEY, ts timestamptz, state int, ip inet, name text, flag boolean,
                                  big bigint, feeling "${schema}".mood, amount numeric(6,2))`);
    await pool.query(`
      INSERT INTO "${schema}".f VALUES
        (1, '2024-01-01T00:00:00Z', 1, '10.0.0.0', 'alpha', true, 5000000000, 'ok', 1.50),
        (2, '2024-01-02T00:00:00Z', 2, '10.0.1.0', 'beta', false, 1, 'sad', 2.00),
        (3, '2024-01-03T00:00:00Z', 3, '192.168.0.0', 'Gamma%', NULL, NULL, NULL, NULL),
        (4, '2024-01-04T00:00:00Z', NULL, NULL, NULL, true, 7, 'ok', 10.25)`);
    table = await describeTable(pool, `${schema}.f`);
  });

  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  async function ids(filters: QueryFilter[]): Promise<number[]> {
    const params = new Params();
    const where = filtersSql(table, filters, params);
    const res = await run<{ id: number }>(
      pool,
      { text: `SELECT id FROM ${table.qualified} AS t WHERE ${where} ORDER BY id`, values: params.values },
      { filters: true },
    );
    return res.rows.map((r) => r.id);
  }

  it.each<[QueryFilter, number[]]>([
    [{ field: 'state', op: '=', value: '2' }, [2]],
    [{ field: 'state', op: '!=', value: '2' }, [1, 3, 4]], // null kept, like Kibana's "is not"
    [{ field: 'state', op: '<', value: '2' }, [1]],
    [{ field: 'state', op: '<=', value: '2' }, [1, 2]],
    [{ field: 'state', op: '>', value: '2' }, [3]],
    [{ field: 'state', op: '>=', value: ' 2 ' }, [2, 3]],
    [{ field: 'state', op: 'in', value: '1, 3' }, [1, 3]],
    [{ field: 'state', op: 'not in', value: '1,3' }, [2, 4]],
    [{ field: 'state', op: 'is null' }, [4]],
    [{ field: 'state', op: 'is not null' }, [1, 2, 3]],
    [{ field: 'name', op: 'like', value: 'a%' }, [1]],
    [{ field: 'name', op: 'like', value: '%a%' }, [1, 2, 3]],
    [{ field: 'name', op: '=', value: 'Gamma%' }, [3]],
    [{ field: 'ip', op: 'like', value: '10.0.%' }, [1, 2]],
    [{ field: 'ip', op: '=', value: '10.0.1.0' }, [2]],
    [{ field: 'flag', op: '=', value: 'true' }, [1, 4]],
    [{ field: 'big', op: '>', value: '4294967296' }, [1]],
    [{ field: 'feeling', op: '=', value: 'sad' }, [2]],
    [{ field: 'feeling', op: 'in', value: 'ok,sad' }, [1, 2, 4]],
    [{ field: 'amount', op: '>=', value: '2' }, [2, 4]],
    [{ field: 'ts', op: '>=', value: '2024-01-03T00:00:00Z' }, [3, 4]],
    [{ field: 'STATE', op: '=', value: '1' }, [1]],
  ])('%j selects %j', async (filter, expected) => {
    expect(await ids([filter])).toEqual(expected);
  });

  it('covers every operator of FILTER_OPS', async () => {
    for (const op of FILTER_OPS) {
      const params = new Params();
      const sql = predicateSql(table, { field: 'state', op, value: '1' }, params);
      expect(sql).toContain('"state"');
      expect(sql).not.toContain("'1'");
    }
  });

  it('combines filters with AND and binds every value with a cast to the column type', () => {
    const params = new Params();
    const sql = filtersSql(
      table,
      [
        { field: 'state', op: '=', value: '3' },
        { field: 'name', op: 'in', value: "a,b'); DROP TABLE f; --" },
      ],
      params,
    );
    expect(sql).toBe('(t."state" = $1::integer) AND (t."name" = ANY($2::text[]))');
    expect(params.values).toEqual(['3', ['a', "b'); DROP TABLE f; --"]]);
    expect(filtersSql(table, [], new Params())).toBe('TRUE');
    expect(filtersSql(table, undefined, new Params())).toBe('TRUE');
  });

  it('hostile values are bound, match nothing, and leave the table intact', async () => {
    for (const value of ["'; DROP TABLE f; --", '1 OR 1=1', "alpha' OR 'x'='x", '\\', '$1', '%', '"a""b"']) {
      expect(await ids([{ field: 'name', op: '=', value }])).toEqual([]);
    }
    expect(await ids([{ field: 'name', op: 'like', value: "%' OR '1'='1" }])).toEqual([]);
    const n = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".f`);
    expect(n.rows[0].n).toBe(4);
  });

  it.each<[QueryFilter, RegExp]>([
    [{ field: 'state', op: 'between' as never, value: '1' }, /operator "between" is not supported.*Use one of =/],
    [{ field: 'state', op: '=; DROP' as never, value: '1' }, /not supported/],
    [{ field: 'state', op: '=', value: 'abc' }, /state is integer.*whole number/],
    [{ field: 'state', op: '=', value: '1.5' }, /whole number/],
    [{ field: 'state', op: '=', value: '99999999999' }, /out of range for integer/],
    [{ field: 'state', op: '=' }, /needs a value/],
    [{ field: 'state', op: 'in', value: ' , ' }, /at least one value/],
    [{ field: 'state', op: 'in', value: '1,x' }, /whole number/],
    [{ field: 'flag', op: '=', value: 'maybe' }, /true or false/],
    [{ field: 'amount', op: '<', value: '1,5' }, /Use a number/],
    [{ field: 'ts', op: '>', value: 'yesterday-ish' }, /ISO date/],
    [{ field: 'nope', op: '=', value: '1' }, /column "nope" does not exist/],
  ])('%j is refused: %s', (filter, message) => {
    let err: unknown;
    try {
      filtersSql(table, [filter], new Params());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).kind).toBe('invalid_filter');
    expect((err as StoreError).field).toBe(filter.field);
    expect((err as StoreError).message).toMatch(message);
  });

  it('values PostgreSQL itself rejects (enum, inet) become invalid_filter errors', async () => {
    await expect(ids([{ field: 'feeling', op: '=', value: 'happy' }])).rejects.toMatchObject({
      kind: 'invalid_filter',
      pgCode: '22P02',
    });
    await expect(ids([{ field: 'ip', op: '=', value: 'not-an-ip' }])).rejects.toMatchObject({ kind: 'invalid_filter' });
  });

  it('success rule: a boolean expression, null column counts as unsuccessful', async () => {
    const params = new Params();
    const sql = successSql(table, { field: 'state', op: '=', value: '1' }, params)!;
    const res = await pool.query(`SELECT id, ${sql} AS ok FROM ${table.qualified} AS t ORDER BY id`, params.values);
    expect(res.rows.map((r) => r.ok)).toEqual([true, false, false, false]);
    expect(successSql(table, undefined, new Params())).toBeUndefined();
    expect(() => successSql(table, { field: 'state', op: '=', value: 'x' }, new Params())).toThrow(
      /success rule|whole number/,
    );
  });
});
