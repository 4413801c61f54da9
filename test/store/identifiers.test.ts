import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { parseColumnName, parseTableName, quoteIdent } from '../../pkg-backend/src/store/identifiers.ts';
import { describeTable, resolveColumn } from '../../pkg-backend/src/store/catalogue.ts';
import { StoreError } from '../../pkg-backend/src/store/errors.ts';
import { streamBuckets } from '../../pkg-backend/src/store/pushdownStream.ts';
import { fetchLogs } from '../../pkg-backend/src/store/logs.ts';
import { topValues } from '../../pkg-backend/src/store/values.ts';
import { createLogTable, insertRows } from '../../pkg-backend/src/store/demoTable.ts';
import { dropSchema, freshSchema, testPool, utc } from './helpers.ts';

const HOSTILE = [
  'weblogs; DROP TABLE x',
  'weblogs;DROP TABLE x--',
  '"a""b"',
  'ip) --',
  "ip' OR '1'='1",
  'ip/*',
  'a b',
  'a.b.c',
  '.weblogs',
  'weblogs.',
  '"unterminated',
  '"x"y',
  'x\u0000y',
  '"tab\there"',
  'ip\n',
  'é'.repeat(40), // 80 bytes in UTF-8
  'a'.repeat(64),
  '',
  '   ',
  '1abc',
  'weblogs"',
];

function expectKind(fn: () => unknown, kind: StoreError['kind']): StoreError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).kind).toBe(kind);
    return err as StoreError;
  }
  throw new Error('expected a StoreError');
}

describe('parseTableName', () => {
  it('accepts plain, qualified and quoted names and folds unquoted ones', () => {
    expect(parseTableName('weblogs')).toEqual({ name: 'weblogs' });
    expect(parseTableName('public.weblogs')).toEqual({ schema: 'public', name: 'weblogs' });
    expect(parseTableName('Public.WebLogs')).toEqual({ schema: 'public', name: 'weblogs' });
    expect(parseTableName('"Public"."Web Logs"')).toEqual({ schema: 'Public', name: 'Web Logs' });
    expect(parseTableName('sales.ünïcødé_tbl')).toEqual({ schema: 'sales', name: 'ünïcødé_tbl' });
    expect(parseTableName('a'.repeat(63))).toEqual({ name: 'a'.repeat(63) });
    expect(parseTableName('t$1')).toEqual({ name: 't$1' });
  });

  it.each(HOSTILE)('refuses %j and names the value', (text) => {
    const err = expectKind(() => parseTableName(text), 'invalid_identifier');
    expect(err.value).toBe(text);
    expect(err.message).toContain('not a valid name');
  });

  it('refuses three-part names', () => {
    expectKind(() => parseTableName('db.public.weblogs'), 'invalid_identifier');
  });
});

describe('parseColumnName / quoteIdent', () => {
  it('keeps the case of unquoted names for a case-insensitive fallback, exact for quoted ones', () => {
    expect(parseColumnName('State')).toEqual({ name: 'State', quoted: false });
    expect(parseColumnName('"State"')).toEqual({ name: 'State', quoted: true });
    expectKind(() => parseColumnName('t.state'), 'invalid_identifier');
  });

  it('doubles embedded quotes and refuses NUL', () => {
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdent('weblogs')).toBe('"weblogs"');
    expectKind(() => quoteIdent('a\0b'), 'invalid_identifier');
    expectKind(() => quoteIdent(''), 'invalid_identifier');
  });
});

describe('hostile identifiers against the real database', () => {
  let pool: pg.Pool;
  let schema: string;

  beforeAll(async () => {
    pool = testPool();
    schema = await freshSchema(pool, 'ident');
    await createLogTable(pool, `${schema}.weblogs`);
    await pool.query(`CREATE TABLE "${schema}".x (a int)`);
    await pool.query(`CREATE TABLE "${schema}"."Mixed Case" (id bigint, ts timestamptz, "Kind" text)`);
    await insertRows(pool, `${schema}.weblogs`, [
      { ts: utc('2024-01-01T00:00:00'), ip: '1.1.1.0', state: 1 },
      { ts: utc('2024-01-01T00:01:00'), ip: '2.2.2.0', state: 2 },
    ]);
  });

  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  it.each(HOSTILE)('describeTable refuses %j and the tables survive', async (text) => {
    await expect(describeTable(pool, text)).rejects.toMatchObject({ kind: 'invalid_identifier' });
    await expect(describeTable(pool, `${schema}.${text}`)).rejects.toBeInstanceOf(StoreError);
    const alive = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".weblogs`);
    expect(alive.rows[0].n).toBe(2);
    await pool.query(`SELECT 1 FROM "${schema}".x`);
  });

  it.each(HOSTILE)('resolveColumn refuses %j as a column', async (text) => {
    const table = await describeTable(pool, `${schema}.weblogs`);
    expect(() => resolveColumn(table, text, 'by')).toThrow(StoreError);
  });

  it('hostile names in every query entry point are refused before any SQL runs', async () => {
    const table = await describeTable(pool, `${schema}.weblogs`);
    const [ts, id, state] = ['ts', 'id', 'state'].map((name) => table.columns.find((c) => c.name === name)!);
    const plan = {
      table,
      timeColumn: ts,
      idColumn: id,
      byColumn: state,
      bucketSpanSeconds: 60,
      from: utc('2024-01-01'),
      to: utc('2024-01-02'),
    };
    for (const bad of ['ip) --', 'state; DROP TABLE x', '"a""b"']) {
      // The plan carries resolved columns; one that is not the table's own (a forged name) is refused all the same.
      await expect(streamBuckets(pool, { ...plan, byColumn: { ...state, name: bad } }).next()).rejects.toBeInstanceOf(
        StoreError,
      );
      await expect(streamBuckets(pool, { ...plan, overColumn: { ...state, name: bad } }).next()).rejects.toBeInstanceOf(
        StoreError,
      );
      await expect(
        streamBuckets(pool, { ...plan, filters: [{ field: bad, op: '=', value: '1' }] }).next(),
      ).rejects.toBeInstanceOf(StoreError);
      await expect(
        fetchLogs(pool, {
          table,
          timeColumn: 'ts',
          idColumn: 'id',
          limit: 10,
          order: 'asc',
          entityColumn: bad,
          entityValue: 'x',
        }),
      ).rejects.toBeInstanceOf(StoreError);
      await expect(topValues(pool, table, bad)).rejects.toBeInstanceOf(StoreError);
    }
    expect(pool.totalCount).toBe(pool.idleCount);
    const alive = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".x`);
    expect(alive.rows[0].n).toBe(0);
  });

  it('quoted mixed-case and unicode names resolve through the catalogue', async () => {
    const t = await describeTable(pool, `"${schema}"."Mixed Case"`);
    expect(t.qualified).toBe(`"${schema}"."Mixed Case"`);
    expect(resolveColumn(t, '"Kind"', 'by').name).toBe('Kind');
    expect(resolveColumn(t, 'Kind', 'by').name).toBe('Kind');
    await expect(describeTable(pool, `${schema}.Mixed Case`)).rejects.toMatchObject({ kind: 'invalid_identifier' });
    await pool.query(`CREATE TABLE "${schema}"."données_été" (ts timestamptz)`);
    const u = await describeTable(pool, `${schema}.données_été`);
    expect(u.name).toBe('données_été');
  });
});
