/**
 * The pushdown of a table range-partitioned on its time column, partition by partition. The single statement
 * over such a table aggregates on the coordinator: the GROUP BY is over date_bin(…), not the partition key,
 * so PostgreSQL does no partitionwise aggregation, and postgres_fdw cannot push partial aggregates. Every raw
 * row of a foreign partition would cross the network.
 *
 * Here a chunk is one statement: a UNION ALL of one plain GROUP BY per leaf partition that can hold rows of the
 * chunk (`FROM ONLY leaf`), which postgres_fdw ships whole to the server holding a foreign leaf, under an outer
 * aggregate that merges the groups a bucket straddling a partition boundary gets from two leaves (counts
 * summed, min of min ids, max of max ids). The inner statements keep to what postgres_fdw ships: the bare
 * columns (no COLLATE, coalesce, CASE), immutable built-ins, a FILTER on the raw success predicate. Whatever
 * is not shippable — the "C" collation of the keys, the text form of the stats, GROUPING SETS, the order —
 * is done by the outer query, which produces exactly the single statement's rows in exactly its order, so the
 * engine cannot tell the two apart.
 *
 * Shipping the aggregate is the planner's choice, by cost. It cannot know that date_bin collapses many rows
 * into one group (it estimates about as many groups as rows), so shipping the groups and shipping the rows cost
 * the same to it, and it picked either (measured: most chunks came back as raw rows). `HAVING count(*) > 0`,
 * true of every group, is an estimated filter on the remote aggregate: fewer rows to fetch than the raw scan
 * has, so the shipped aggregate is always the cheaper plan. Appends of foreign scans run concurrently when the servers are
 * `async_capable`.
 *
 * The id column must be unique across partitions (a bigserial of the parent, or disjoint id ranges per shard):
 * min and max ids are merged as if they came from one table, and the logs of a group are read back by id.
 */
import type pg from 'pg';
import { columnRef, tableColumn, type ColumnInfo, type TableInfo } from './catalogue.ts';
import { Params, filtersSql, predicateSql } from './filters.ts';
import { quoteIdent } from './identifiers.ts';
import {
  groupingSetsSql,
  jobPushdownSql,
  keyName,
  layoutKeys,
  type JobField,
  type JobPushdownPlan,
  type KeyLayout,
} from './jobPushdown.ts';
import { partitionLayout, partitionsIn, type Partition, type PartitionLayout } from './partitions.ts';
import { checkSpanAndRange, groupKey, pushdownSql, type PushdownPlan } from './pushdown.ts';
import type { Statement } from './query.ts';
import { asTimestamptz, rangeSql } from './timeRange.ts';

/**
 * A key column as a leaf's GROUP BY takes it: bare, so postgres_fdw can ship it. text, varchar and char group
 * by bytes as the outer "C" grouping does; other text-like types (citext compares case-insensitively) group
 * by their text form, else two spellings could merge into one group on the shard.
 */
function leafKey(col: ColumnInfo): string {
  const plain = ['text', 'character varying', 'character'].includes(col.type);
  return col.category === 'text' && !plain ? `${columnRef(col)}::text` : columnRef(col);
}

/** What every leaf's statement shares: the bucket, the WHERE, and the stats it computes per group. */
interface LeafShape {
  bucket: string;
  where: string;
  /** Counted rows whose success predicate holds; `count(*)` without a rule. */
  successful: string;
  id: string;
}

function leafShape(
  table: TableInfo,
  plan: Pick<PushdownPlan, 'timeColumn' | 'idColumn' | 'bucketSpanSeconds' | 'from' | 'to' | 'filters' | 'successRule'>,
  params: Params,
  success: string | undefined,
): LeafShape {
  const time = tableColumn(table, plan.timeColumn, 'time');
  const id = tableColumn(table, plan.idColumn, 'id');
  const span = params.typed(`${plan.bucketSpanSeconds} seconds`, 'interval');
  const origin = params.typed('1970-01-01T00:00:00Z', 'timestamptz');
  const range = rangeSql(time, plan.from, plan.to, params);
  const filters = filtersSql(table, plan.filters, params);
  return {
    bucket: `date_bin(${span}, ${asTimestamptz(time)}, ${origin})`,
    where: `${range}\n           AND ${filters}`,
    // FILTER counts a row only where the predicate is true: a null is not counted, as the coalesce(…, false)
    // of the single statement has it, without the coalesce postgres_fdw will not ship.
    successful: success ? `count(*) FILTER (WHERE ${success})` : 'count(*)',
    id: columnRef(id),
  };
}

/** Names for the stats columns that no key column (named as in the table) can take. */
function statNames(taken: ReadonlySet<string>): { b: string; n: string; ok: string; lo: string; hi: string } {
  const free = (base: string) => {
    let name = base;
    while (taken.has(name)) {
      name = `_${name}`;
    }
    return name;
  };
  return {
    b: free('rarity_b'),
    n: free('rarity_n'),
    ok: free('rarity_ok'),
    lo: free('rarity_lo'),
    hi: free('rarity_hi'),
  };
}

/** One leaf's GROUP BY: the bucket, the keys (`expression AS name`), the stats. */
function leafSql(
  leaf: Partition,
  shape: LeafShape,
  keys: Array<{ expression: string; name: string }>,
  names: ReturnType<typeof statNames>,
  extraWhere: string,
): string {
  const columns = [
    `${shape.bucket} AS ${quoteIdent(names.b)}`,
    ...keys.map((k) => `${k.expression} AS ${quoteIdent(k.name)}`),
    `count(*) AS ${quoteIdent(names.n)}`,
    `${shape.successful} AS ${quoteIdent(names.ok)}`,
    `min(${shape.id}) AS ${quoteIdent(names.lo)}`,
    `max(${shape.id}) AS ${quoteIdent(names.hi)}`,
  ];
  const groupBy = Array.from({ length: keys.length + 1 }, (_, i) => String(i + 1)).join(', ');
  return [
    `SELECT ${columns.join(', ')}`,
    `          FROM ONLY ${leaf.qualified} AS t`,
    `         WHERE ${shape.where}${extraWhere}`,
    `         GROUP BY ${groupBy}`,
    `        HAVING count(*) > 0`,
  ].join('\n');
}

/** One statement per leaf, in parentheses, under UNION ALL. */
export function unionSql(leaves: Partition[], leaf: (p: Partition) => string): string {
  return leaves.map((p) => `(${leaf(p)})`).join('\n        UNION ALL\n        ');
}

/** The single-detector aggregate of the plan's range over a partitioned table: pushdownSql's rows, per leaf. */
export function partitionPushdownSql(plan: PushdownPlan, layout: PartitionLayout): Statement {
  checkSpanAndRange(plan);
  const leaves = partitionsIn(layout, plan.from.getTime(), plan.to.getTime());
  if (leaves.length === 0) {
    // No partition can hold a row of the range: the single statement, which PostgreSQL prunes to nothing.
    return pushdownSql(plan);
  }
  const t = plan.table;
  const by = tableColumn(t, plan.byColumn, 'by');
  const over = plan.overColumn ? tableColumn(t, plan.overColumn, 'over') : undefined;
  const params = new Params();
  const success = plan.successRule ? predicateSql(t, plan.successRule, params, 'success rule') : undefined;
  const shape = leafShape(t, plan, params, success);
  const names = statNames(new Set(['k0', 'k1']));
  const keys = [{ expression: leafKey(by), name: 'k0' }, ...(over ? [{ expression: leafKey(over), name: 'k1' }] : [])];
  const notNull = `\n           AND ${columnRef(by)} IS NOT NULL${over ? ` AND ${columnRef(over)} IS NOT NULL` : ''}`;
  // The leaves' union is aliased t, so the outer keys are pushdown.ts's groupKey of their columns: the same
  // groups, text and order as the single statement.
  const byKey = groupKey({ ...by, name: 'k0' });
  const overKey = over ? groupKey({ ...over, name: 'k1' }) : undefined;
  const col = (name: string) => `t.${quoteIdent(name)}`;
  const outerKeys = [col(names.b), byKey, ...(overKey ? [overKey] : [])].join(', ');
  const text = [
    `SELECT (${byKey})::text AS by, ${overKey ? `(${overKey})::text` : 'NULL::text'} AS over,`,
    `       round(date_part('epoch', ${col(names.b)}) * 1000)::int8 || ' ' || sum(${col(names.n)}) || ' ' || sum(${col(names.ok)})`,
    `         || ' ' || min(${col(names.lo)}) || ' ' || max(${col(names.hi)}) AS stats`,
    `  FROM (${unionSql(leaves, (p) => leafSql(p, shape, keys, names, notNull))}) AS t`,
    ` GROUP BY ${outerKeys}`,
    ` ORDER BY ${outerKeys}`,
  ].join('\n');
  return { text, values: params.values };
}

/** The table columns a job groups by, each once, in the order of first use. */
function jobColumns(plan: JobPushdownPlan): ColumnInfo[] {
  const fields: JobField[] = [
    ...plan.detectors.flatMap((d) => [d.by, ...(d.over ? [d.over] : []), ...(d.partition ? [d.partition] : [])]),
    ...plan.influencers,
  ];
  const columns = new Map<string, ColumnInfo>();
  for (const f of fields) {
    if (f.kind === 'column' && !columns.has(f.column.name)) {
      columns.set(f.column.name, tableColumn(plan.table, f.column, 'by'));
    }
  }
  return [...columns.values()];
}

/**
 * The job aggregate over a partitioned table: each leaf groups by the bucket and every column any detector or
 * influencer uses (one plain GROUP BY, shippable), plus the success predicate's value when a detector splits
 * on `successful`; the outer query runs jobPushdownSql's GROUPING SETS over those groups, summing their counts.
 * The leaves' columns keep the table's names and their union is aliased `t`, so the key expressions are
 * jobPushdown.ts's own.
 */
export function jobPartitionSql(
  plan: JobPushdownPlan,
  layout: PartitionLayout,
): { statement: Statement; layout: KeyLayout } {
  checkSpanAndRange(plan);
  const leaves = partitionsIn(layout, plan.from.getTime(), plan.to.getTime());
  if (leaves.length === 0 || !Array.isArray(plan.detectors) || plan.detectors.length === 0) {
    // No partition holds rows of the range (PostgreSQL prunes the single statement to nothing), or a plan
    // the single statement refuses with its own message.
    return jobPushdownSql(plan);
  }
  const t = plan.table;
  const params = new Params();
  const predicate = plan.successRule ? predicateSql(t, plan.successRule, params, 'success rule') : undefined;
  const shape = leafShape(t, plan, params, predicate);
  const columns = jobColumns(plan);
  const usesSuccessful = [...plan.detectors.flatMap((d) => [d.by, d.over, d.partition]), ...plan.influencers].some(
    (f) => f?.kind === 'successful',
  );
  const names = statNames(new Set(columns.map((c) => c.name)));
  const okValue = (() => {
    let name = 'rarity_success';
    while (columns.some((c) => c.name === name) || Object.values(names).includes(name)) {
      name = `_${name}`;
    }
    return name;
  })();
  const keys = [
    ...columns.map((c) => ({ expression: leafKey(c), name: c.name })),
    ...(predicate && usesSuccessful ? [{ expression: `(${predicate})`, name: okValue }] : []),
  ];
  const success = plan.successRule ? `coalesce(t.${quoteIdent(okValue)}, false)` : undefined;
  const { keys: keyColumns, layout: keyLayout } = layoutKeys(plan, success);
  const allKeys = keyColumns.map((_, i) => keyName(i));
  const stat = (name: string) => `t.${quoteIdent(name)}`;
  const text = [
    `SELECT grouping(${allKeys.join(', ')})::int4 AS mask,`,
    `       round(date_part('epoch', b) * 1000)::int8 || ' ' || sum(n) || ' ' || sum(ok)`,
    `         || ' ' || min(lo) || ' ' || max(hi) AS stats,`,
    `       ${allKeys.map((c) => `${c}::text`).join(', ')}`,
    `  FROM (SELECT ${stat(names.b)} AS b, ${stat(names.n)} AS n, ${stat(names.ok)} AS ok, ${stat(names.lo)} AS lo, ${stat(names.hi)} AS hi,`,
    `               ${keyColumns.map((key, i) => `${key.expression} AS ${keyName(i)}`).join(',\n               ')}`,
    `          FROM (${unionSql(leaves, (p) => leafSql(p, shape, keys, names, ''))}) AS t) AS s`,
    ` GROUP BY ${groupingSetsSql(keyLayout)}`,
    ` ORDER BY b, mask, ${allKeys.join(', ')}`,
  ].join('\n');
  return { statement: { text, values: params.values }, layout: keyLayout };
}

/** How a stream builds the statement of each chunk [from, to) (ms). */
export type ChunkStatement = (from: number, to: number) => Statement;

/**
 * The single-detector chunk statement for this table: partition-wise when it is range-partitioned on the
 * time column, else pushdownSql. Looked up once per stream.
 */
export async function pushdownStatement(pool: pg.Pool, plan: PushdownPlan, operation: string): Promise<ChunkStatement> {
  const layout = await partitionLayout(pool, plan.table, plan.timeColumn, operation);
  return (from, to) => {
    const chunk = { ...plan, from: new Date(from), to: new Date(to) };
    return layout ? partitionPushdownSql(chunk, layout) : pushdownSql(chunk);
  };
}

/** The job's chunk statement, as pushdownStatement; the rows' layout is the same either way. */
export async function jobStatement(pool: pg.Pool, plan: JobPushdownPlan, operation: string): Promise<ChunkStatement> {
  const layout = await partitionLayout(pool, plan.table, plan.timeColumn, operation);
  return (from, to) => {
    const chunk = { ...plan, from: new Date(from), to: new Date(to) };
    return (layout ? jobPartitionSql(chunk, layout) : jobPushdownSql(chunk)).statement;
  };
}
