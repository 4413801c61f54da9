/**
 * What exists in the database: tables, their columns and types, and which role each column can play.
 * Every identifier that reaches SQL elsewhere in the store comes out of a TableInfo built here.
 */
import type pg from 'pg';
import { isSystemSchema } from '../../../common/allowedSchemas.ts';
import { truncateEcho } from '../../../common/echo.ts';
import { StoreError } from './errors.ts';
import { parseColumnName, parseTableName, quoteIdent, quoteQualified } from './identifiers.ts';
import { run } from './query.ts';

export interface TableSummary {
  schema: string;
  name: string;
  /** Quoted, schema-qualified SQL name. */
  qualified: string;
  /** Planner estimate (pg_class.reltuples); 0 when never analysed. */
  estimatedRows: number;
}

export type ColumnPurpose = 'time' | 'id' | 'by' | 'over' | 'filter' | 'message';

export type ColumnCategory =
  'time' | 'integer' | 'numeric' | 'float' | 'text' | 'boolean' | 'uuid' | 'inet' | 'enum' | 'json' | 'other';

export interface ColumnInfo {
  name: string;
  /** format_type without modifiers, e.g. 'timestamp with time zone', 'bigint', 'text', 'integer'. */
  type: string;
  /** The type as a SQL cast target (from regtype, already quoted), e.g. integer, "Mood", public."My Enum". */
  castType: string;
  category: ColumnCategory;
  /** 'timestamptz' | 'timestamp' | 'date' for time columns, which need different range predicates. */
  timeKind?: 'timestamptz' | 'timestamp' | 'date';
  nullable: boolean;
  suits: { time: boolean; id: boolean; by: boolean; over: boolean; message: boolean };
}

export interface TableInfo {
  schema: string;
  name: string;
  /** Quoted SQL, e.g. "public"."weblogs". */
  qualified: string;
  columns: ColumnInfo[];
}

/** Schemas that are PostgreSQL's own or hold our own results; never offered as log tables. */
const HIDDEN_SCHEMAS = ['pg_catalog', 'information_schema', 'rarity'];

/**
 * The schemas a datasource may read tables from. PostgreSQL's own (pg_catalog, information_schema, and every
 * pg_* schema, a prefix PostgreSQL reserves) are refused whatever a scope lists: they hold password hashes and
 * settings, never logs.
 */
export interface TableScope {
  schemas: readonly string[];
  /** How the message names the setting that lists them. */
  setting?: string;
}

/** A readable relation: SELECT on the table, or on some of its columns (the others are then not described). */
const READABLE = `(has_table_privilege(c.oid, 'SELECT') OR has_any_column_privilege(c.oid, 'SELECT'))`;

/** Tables the role may read, in the scope's schemas when one is given. */
export async function listTables(pool: pg.Pool, scope?: TableScope): Promise<TableSummary[]> {
  const res = await run<{ schema: string; name: string; estimated: string }>(
    pool,
    {
      text: `SELECT n.nspname AS schema, c.relname AS name, greatest(c.reltuples, 0)::bigint::text AS estimated
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
                AND NOT n.nspname = ANY($1::text[])
                AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
                AND ($2::text[] IS NULL OR n.nspname = ANY($2::text[]))
                AND NOT c.relispartition
                AND ${READABLE}
              ORDER BY n.nspname, c.relname`,
      values: [HIDDEN_SCHEMAS, scope ? [...scope.schemas] : null],
    },
    { operation: 'list tables' },
  );
  return res.rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    qualified: quoteQualified(r.schema, r.name),
    estimatedRows: Number(r.estimated),
  }));
}

interface ColumnRow {
  name: string;
  type: string;
  cast_type: string;
  typtype: string;
  scale: number | null;
  not_null: boolean;
}

function categorise(type: string, typtype: string, scale: number | null): ColumnCategory {
  if (typtype === 'e') {
    return 'enum';
  }
  switch (type) {
    case 'timestamp with time zone':
    case 'timestamp without time zone':
    case 'date':
      return 'time';
    case 'smallint':
    case 'integer':
    case 'bigint':
      return 'integer';
    case 'numeric':
      return scale === 0 ? 'integer' : 'numeric';
    case 'real':
    case 'double precision':
      return 'float';
    case 'text':
    case 'character varying':
    case 'character':
    case 'citext':
    case 'name':
      return 'text';
    case 'boolean':
      return 'boolean';
    case 'uuid':
      return 'uuid';
    case 'inet':
    case 'cidr':
      return 'inet';
    case 'json':
    case 'jsonb':
      return 'json';
    default:
      return 'other';
  }
}

function timeKind(type: string): ColumnInfo['timeKind'] {
  if (type === 'timestamp with time zone') {
    return 'timestamptz';
  }
  if (type === 'timestamp without time zone') {
    return 'timestamp';
  }
  if (type === 'date') {
    return 'date';
  }
  return undefined;
}

function toColumn(r: ColumnRow): ColumnInfo {
  const category = categorise(r.type, r.typtype, r.scale);
  const categorical = ['text', 'integer', 'boolean', 'uuid', 'inet', 'enum'].includes(category) && r.type !== 'numeric';
  return {
    name: r.name,
    type: r.type,
    castType: r.cast_type,
    category,
    timeKind: timeKind(r.type),
    nullable: !r.not_null,
    suits: {
      time: category === 'time',
      id: category === 'integer',
      by: categorical,
      over: categorical,
      message: category === 'text' || category === 'json',
    },
  };
}

/** Columns of a relation; domains are described by their base type so casts and suitability follow it. */
const COLUMNS_SQL = `
  SELECT a.attname AS name,
         format_type(coalesce(nullif(t.typbasetype, 0), t.oid), NULL) AS type,
         a.atttypid::regtype::text AS cast_type,
         coalesce(bt.typtype, t.typtype)::text AS typtype,
         CASE WHEN coalesce(nullif(t.typbasetype, 0), t.oid) = 'numeric'::regtype
              THEN nullif(coalesce(nullif(t.typtypmod, -1), a.atttypmod), -1) - 4 & 65535 END AS scale,
         a.attnotnull AS not_null
    FROM pg_attribute a
    JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_type bt ON bt.oid = nullif(t.typbasetype, 0)
   WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
     AND has_column_privilege(a.attrelid, a.attnum, 'SELECT')
   ORDER BY a.attnum`;

/** The first schema of the role's search_path: where an unqualified table name is looked up first. */
export async function currentSchema(pool: pg.Pool): Promise<string | null> {
  const res = await run<{ schema: string | null }>(
    pool,
    { text: 'SELECT current_schema() AS schema', values: [] },
    { operation: 'current schema' },
  );
  return res.rows[0]?.schema ?? null;
}

/**
 * Looks a table up (search_path applies when no schema is given) and describes the columns the role may
 * read. System catalogues are refused always, tables outside `scope` when one is given.
 */
export async function describeTable(pool: pg.Pool, table: string, scope?: TableScope): Promise<TableInfo> {
  const parsed = parseTableName(table);
  const found = await run<{ oid: string; schema: string; name: string; readable: boolean }>(
    pool,
    {
      text: `SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS name, ${READABLE} AS readable
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname = $1
                AND CASE WHEN $2::text IS NULL THEN pg_table_is_visible(c.oid) ELSE n.nspname = $2::text END`,
      values: [parsed.name, parsed.schema ?? null],
    },
    { table, operation: 'describe table' },
  );
  const schemaAsked = parsed.schema ?? found.rows[0]?.schema;
  if (schemaAsked !== undefined) {
    refuseOutOfScope(table, schemaAsked, scope);
  }
  if (found.rowCount === 0 || !found.rows[0].readable) {
    throw await tableMissing(pool, table, parsed.name, scope);
  }
  const { oid, schema, name } = found.rows[0];
  const cols = await run<ColumnRow>(
    pool,
    { text: COLUMNS_SQL, values: [oid] },
    { table, operation: 'describe columns' },
  );
  return { schema, name, qualified: quoteQualified(schema, name), columns: cols.rows.map(toColumn) };
}

/** A system catalogue, or a schema the datasource does not list, is refused before anything is read from it. */
function refuseOutOfScope(table: string, schema: string, scope: TableScope | undefined): void {
  const shown = truncateEcho(table);
  if (isSystemSchema(schema)) {
    throw new StoreError(
      'table_forbidden',
      `table "${shown}" is in ${schema}, one of PostgreSQL's system schemas; Rarity reads log tables only, never ` +
        'the catalogues (they hold roles and password hashes).',
      { field: 'table', value: table },
    );
  }
  if (scope && !scope.schemas.includes(schema)) {
    const allowed = scope.schemas.length > 0 ? scope.schemas.join(', ') : 'none';
    throw new StoreError(
      'table_forbidden',
      `table "${shown}" is in schema ${truncateEcho(schema)}, which this datasource may not read; allowed schemas: ` +
        `${allowed} (${scope.setting ?? 'Allowed schemas in the datasource settings'}).`,
      { field: 'table', value: table },
    );
  }
}

async function tableMissing(pool: pg.Pool, table: string, name: string, scope?: TableScope): Promise<StoreError> {
  const tables = await listTables(pool, scope).catch(() => [] as TableSummary[]);
  const lower = name.toLowerCase();
  const similar = tables.filter((t) => t.name.toLowerCase() === lower);
  const offer = (similar.length ? similar : tables).slice(0, 20).map((t) => `${t.schema}.${t.name}`);
  const allowed = offer.length
    ? `Tables you can use: ${offer.join(', ')}${tables.length > offer.length ? ', …' : ''}.`
    : 'No readable tables were found.';
  return new StoreError(
    'table_missing',
    `table "${truncateEcho(table)}" does not exist or is not readable. ${allowed}`,
    {
      field: 'table',
      value: table,
    },
  );
}

const PURPOSE_TEXT: Record<ColumnPurpose, string> = {
  time: 'a time column (timestamp, timestamptz or date)',
  id: 'an id column (smallint, integer, bigint or numeric without decimals)',
  by: 'a categorical column (text, varchar, char, integer types, boolean, uuid, inet or an enum)',
  over: 'a categorical column (text, varchar, char, integer types, boolean, uuid, inet or an enum)',
  filter: 'a column',
  message: 'a text or json column',
};

function suitsPurpose(col: ColumnInfo, purpose: ColumnPurpose): boolean {
  return purpose === 'filter' ? true : col.suits[purpose];
}

/** Resolves a user-typed column name against the table; exact spelling first, then PostgreSQL's folding. */
export function resolveColumn(table: TableInfo, name: string, purpose: ColumnPurpose): ColumnInfo {
  // A name spelt exactly as the catalogue spells it is that column, whatever it contains: the editors' pickers
  // save a column's own name ("Machine Code", "a.b"), and only the catalogue's spelling ever reaches SQL.
  const exact = typeof name === 'string' ? table.columns.find((c) => c.name === name) : undefined;
  if (exact) {
    return fitFor(table, exact, name, purpose);
  }
  const parsed = parseColumnName(name, `${purpose} column`);
  const col =
    table.columns.find((c) => c.name === parsed.name) ??
    (parsed.quoted ? undefined : table.columns.find((c) => c.name === parsed.name.toLowerCase()));
  return fitFor(table, col, name, purpose);
}

/**
 * The table's own column of that exact name, checked for `purpose`: how statements assert that a column
 * resolved earlier (by resolveColumn) belongs to the table they query and still fits its role.
 */
export function tableColumn(table: TableInfo, column: Pick<ColumnInfo, 'name'>, purpose: ColumnPurpose): ColumnInfo {
  return fitFor(
    table,
    table.columns.find((c) => c.name === column?.name),
    String(column?.name),
    purpose,
  );
}

function fitFor(table: TableInfo, col: ColumnInfo | undefined, name: string, purpose: ColumnPurpose): ColumnInfo {
  const fitting = table.columns.filter((c) => suitsPurpose(c, purpose)).map((c) => `${c.name} (${c.type})`);
  const offer = fitting.length
    ? `Columns of ${table.schema}.${table.name} that fit: ${fitting.join(', ')}.`
    : `${table.schema}.${table.name} has no such column.`;
  if (!col) {
    throw new StoreError(
      'column_missing',
      `column "${truncateEcho(name)}" does not exist in table ${table.schema}.${table.name}. ${offer}`,
      {
        field: `${purpose}Column`,
        value: name,
      },
    );
  }
  if (!suitsPurpose(col, purpose)) {
    throw new StoreError(
      'column_type',
      `column "${col.name}" of ${table.schema}.${table.name} has type ${col.type}, but ${purpose} needs ${PURPOSE_TEXT[purpose]}. ${offer}`,
      { field: `${purpose}Column`, value: name },
    );
  }
  return col;
}

/** The quoted column reference, qualified by the alias every store query uses for the log table. */
export function columnRef(col: ColumnInfo, alias = 't'): string {
  return `${alias}.${quoteIdent(col.name)}`;
}
