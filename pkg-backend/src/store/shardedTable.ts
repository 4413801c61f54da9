/**
 * A copy of a log table as users scale one out (tests and the shards benchmark): partitioned by range on its
 * time column, the first partition local, each later one a postgres_fdw foreign table on a server of its own.
 * The foreign servers are `async_capable`, so an Append over several of them runs their scans concurrently, and
 * fetch 10 000 rows a round trip (postgres_fdw's default, 100, makes a long scan mostly round trips).
 */
import type pg from 'pg';
import { tableColumn, type ColumnInfo, type TableInfo } from './catalogue.ts';
import { quoteIdent, quoteQualified } from './identifiers.ts';
import { run } from './query.ts';

export interface ShardServer {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** Rows of the copy's partition on this server are inserted through it (DDL, loading, ANALYZE). */
  pool: pg.Pool;
}

export interface ShardedCopy {
  source: TableInfo;
  timeColumn: ColumnInfo;
  /** The partitioned table to create in the source's schema (dropped first if it exists). */
  name: string;
  /** Partition boundaries, ascending: [MINVALUE, b0) is local, [b(i-1), bi) and the last [b(n-1), MAXVALUE) on shard i. */
  boundaries: Date[];
  /** One per boundary. */
  shards: ShardServer[];
}

/** A SQL string literal; DDL options take no parameters. */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function columnsDdl(table: TableInfo): string {
  return table.columns.map((c) => `${quoteIdent(c.name)} ${c.castType}${c.nullable ? '' : ' NOT NULL'}`).join(', ');
}

async function exec(pool: pg.Pool, text: string, operation: string): Promise<void> {
  await run(pool, { text, values: [] }, { operation });
}

/** Creates the partitioned copy and fills it with the source's rows; returns the rows copied. */
export async function createShardedCopy(pool: pg.Pool, copy: ShardedCopy): Promise<number> {
  if (copy.shards.length !== copy.boundaries.length || copy.boundaries.length === 0) {
    throw new Error('a sharded copy needs one shard per partition boundary, and at least one');
  }
  const time = tableColumn(copy.source, copy.timeColumn, 'time');
  const schema = copy.source.schema;
  const target = quoteQualified(schema, copy.name);
  const partition = (i: number) => `${copy.name}_p${i}`;
  await dropShardedCopy(pool, schema, copy.name);
  const bound = (i: number) =>
    i < 0 ? 'MINVALUE' : i >= copy.boundaries.length ? 'MAXVALUE' : literal(copy.boundaries[i].toISOString());
  await exec(pool, 'CREATE EXTENSION IF NOT EXISTS postgres_fdw', 'sharded copy');
  await exec(
    pool,
    `CREATE TABLE ${target} (${columnsDdl(copy.source)}) PARTITION BY RANGE (${quoteIdent(time.name)})`,
    'sharded copy',
  );
  await exec(
    pool,
    `CREATE TABLE ${quoteQualified(schema, partition(0))} PARTITION OF ${target} FOR VALUES FROM (MINVALUE) TO (${bound(0)})`,
    'sharded copy',
  );
  for (const [i, shard] of copy.shards.entries()) {
    const n = i + 1;
    const server = quoteIdent(`${copy.name}_shard${n}`);
    await exec(shard.pool, `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`, 'shard partition');
    await exec(shard.pool, `DROP TABLE IF EXISTS ${quoteQualified(schema, partition(n))}`, 'shard partition');
    await exec(
      shard.pool,
      `CREATE TABLE ${quoteQualified(schema, partition(n))} (${columnsDdl(copy.source)})`,
      'shard partition',
    );
    await exec(
      pool,
      `CREATE SERVER ${server} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host ${literal(shard.host)}, ` +
        `port ${literal(String(shard.port))}, dbname ${literal(shard.database)}, async_capable 'true', batch_size '1000', fetch_size '10000')`,
      'sharded copy',
    );
    await exec(
      pool,
      `CREATE USER MAPPING FOR CURRENT_USER SERVER ${server} OPTIONS (user ${literal(shard.user)}, password ${literal(shard.password)})`,
      'sharded copy',
    );
    await exec(
      pool,
      `CREATE FOREIGN TABLE ${quoteQualified(schema, partition(n))} PARTITION OF ${target} ` +
        `FOR VALUES FROM (${bound(i)}) TO (${bound(n)}) SERVER ${server} ` +
        `OPTIONS (schema_name ${literal(schema)}, table_name ${literal(partition(n))})`,
      'sharded copy',
    );
  }
  // Rows for a foreign partition are routed to its server by postgres_fdw, a batch at a time.
  const res = await run(
    pool,
    { text: `INSERT INTO ${target} SELECT * FROM ${copy.source.qualified}`, values: [] },
    { operation: 'sharded copy' },
  );
  await exec(pool, `ANALYZE ${quoteQualified(schema, partition(0))}`, 'sharded copy');
  for (const [i, shard] of copy.shards.entries()) {
    await exec(shard.pool, `ANALYZE ${quoteQualified(schema, partition(i + 1))}`, 'shard partition');
  }
  return res.rowCount ?? 0;
}

/** Drops the copy and its foreign servers (their user mappings and foreign partitions go with them). */
export async function dropShardedCopy(pool: pg.Pool, schema: string, name: string): Promise<void> {
  await exec(pool, `DROP TABLE IF EXISTS ${quoteQualified(schema, name)} CASCADE`, 'drop sharded copy');
  const servers = await run<{ name: string }>(
    pool,
    { text: 'SELECT srvname AS name FROM pg_foreign_server WHERE srvname LIKE $1', values: [`${name}\\_shard%`] },
    { operation: 'drop sharded copy' },
  );
  for (const s of servers.rows) {
    await exec(pool, `DROP SERVER IF EXISTS ${quoteIdent(s.name)} CASCADE`, 'drop sharded copy');
  }
}
