/**
 * How a log table is partitioned, as far as the pushdown can use it: a table range-partitioned on its time
 * column, its leaf partitions, each leaf's time bounds and, for a foreign partition, the server holding it.
 * Anything else (a plain table, a view, list or hash partitioning, a key other than the bare time column, a
 * leaf the role may not read directly, row-level security on the parent) gives no layout, and the pushdown
 * stays the single statement over the table.
 */
import type pg from 'pg';
import { tableColumn, type ColumnInfo, type TableInfo } from './catalogue.ts';
import { quoteQualified } from './identifiers.ts';
import { run } from './query.ts';

export interface Partition {
  schema: string;
  name: string;
  /** Quoted, schema-qualified SQL name. */
  qualified: string;
  /** Time bounds [from, to) in epoch ms of the top-level partition holding this leaf; null is unbounded. */
  from: number | null;
  to: number | null;
  /** The foreign server of a foreign-table leaf (postgres_fdw or another wrapper); undefined when local. */
  server?: string;
}

export interface PartitionLayout {
  partitions: Partition[];
}

interface LayoutRow {
  usable: boolean;
  schema: string | null;
  name: string | null;
  server: string | null;
  from_ms: string | null;
  to_ms: string | null;
}

/** A bound literal of pg_get_expr (its text as the session prints a value of the column's type) → epoch ms. */
function boundMs(literal: string, col: ColumnInfo): string {
  const value =
    col.timeKind === 'timestamptz'
      ? `(${literal})::timestamptz`
      : col.timeKind === 'timestamp'
        ? `((${literal})::timestamp AT TIME ZONE 'UTC')`
        : `((${literal})::date::timestamp AT TIME ZONE 'UTC')`;
  return `CASE WHEN ${literal} IS NOT NULL AND isfinite(${value}) THEN round(date_part('epoch', ${value}) * 1000)::int8 END`;
}

/**
 * One catalogue statement: whether the table is range-partitioned on exactly the time column (and readable
 * leaf by leaf), and its leaves with the bounds of their top-level partition. A sub-partitioned level may use
 * any strategy: its leaves still lie within that partition's bounds. A bound is null for MINVALUE, MAXVALUE,
 * the DEFAULT partition and infinite values; such a leaf is simply read by every chunk.
 */
function layoutSql(col: ColumnInfo): string {
  const literal = (i: number) => `nullif(btrim(m.b[${i}], ''''), m.b[${i}])`;
  return `
  WITH root AS (
    SELECT c.oid, c.relrowsecurity,
           pt.partstrat = 'r' AND pt.partnatts = 1 AND pt.partattrs[0] = a.attnum AS keyed
      FROM pg_class c
      JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $2 AND NOT a.attisdropped
     WHERE c.oid = to_regclass($1)
  ), leaves AS (
    SELECT l.oid, n.nspname AS schema, l.relname AS name, s.srvname AS server,
           regexp_match(pg_get_expr(p.relpartbound, p.oid), '^FOR VALUES FROM \\((.*)\\) TO \\((.*)\\)$') AS b,
           has_table_privilege(l.oid, 'SELECT') AS readable
      FROM root
      JOIN pg_inherits i ON i.inhparent = root.oid
      JOIN pg_class p ON p.oid = i.inhrelid
      CROSS JOIN LATERAL pg_partition_tree(p.oid) tree
      JOIN pg_class l ON l.oid = tree.relid AND tree.isleaf
      JOIN pg_namespace n ON n.oid = l.relnamespace
      LEFT JOIN pg_foreign_table ft ON ft.ftrelid = l.oid
      LEFT JOIN pg_foreign_server s ON s.oid = ft.ftserver
  )
  SELECT root.keyed AND NOT root.relrowsecurity AND coalesce(bool_and(leaves.readable), true) AS usable,
         NULL::name AS schema, NULL::name AS name, NULL::name AS server, NULL::int8 AS from_ms, NULL::int8 AS to_ms
    FROM root LEFT JOIN leaves ON true
   GROUP BY root.keyed, root.relrowsecurity
  UNION ALL
  SELECT NULL, m.schema, m.name, m.server, ${boundMs(literal(1), col)}, ${boundMs(literal(2), col)}
    FROM leaves m`;
}

/**
 * The table's partition layout for the pushdown, or undefined when the single statement is the way to read
 * it. Costs one catalogue round trip; for a plain table it finds no pg_partitioned_table row and returns at once.
 */
export async function partitionLayout(
  pool: pg.Pool,
  table: TableInfo,
  timeColumn: ColumnInfo,
  operation = 'partition layout',
): Promise<PartitionLayout | undefined> {
  const time = tableColumn(table, timeColumn, 'time');
  const res = await run<LayoutRow>(
    pool,
    { text: layoutSql(time), values: [table.qualified, time.name] },
    { table: `${table.schema}.${table.name}`, operation },
  );
  const head = res.rows.find((r) => r.usable !== null);
  const leaves = res.rows.filter((r) => r.usable === null);
  if (!head?.usable || leaves.length === 0) {
    return undefined;
  }
  return {
    partitions: leaves.map((r) => ({
      schema: r.schema!,
      name: r.name!,
      qualified: quoteQualified(r.schema!, r.name!),
      from: r.from_ms === null ? null : Number(r.from_ms),
      to: r.to_ms === null ? null : Number(r.to_ms),
      ...(r.server === null ? {} : { server: r.server }),
    })),
  };
}

/** The leaves that can hold rows of [from, to) (ms). */
export function partitionsIn(layout: PartitionLayout, from: number, to: number): Partition[] {
  return layout.partitions.filter((p) => (p.from === null || p.from < to) && (p.to === null || p.to > from));
}
