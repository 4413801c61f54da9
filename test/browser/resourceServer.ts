/**
 * A tiny HTTP server for the browser test: serves the built harness and answers the datasource resource
 * calls (`/api/datasources/uid/<uid>/resources/{tables,fields,values}`) from the real database, with the
 * response shapes of src/shared/resources.ts. It stands in for the backend's resource handler until the test
 * can start the real plugin; keep it small so that switch stays easy.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import pg from 'pg';

import type { FieldInfo, TableInfo, ValueCount } from '../../src/shared/resources.ts';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.woff2': 'font/woff2' };
const CATEGORICAL = ['text', 'character varying', 'character', 'smallint', 'integer', 'bigint', 'boolean', 'uuid', 'inet'];
const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function tables(pool: pg.Pool): Promise<TableInfo[]> {
  const { rows } = await pool.query<{ schema: string; name: string; estimated: string }>(
    `SELECT t.table_schema AS schema, t.table_name AS name, greatest(c.reltuples, 0)::bigint::text AS estimated
       FROM information_schema.tables t
       JOIN pg_namespace n ON n.nspname = t.table_schema
       JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.table_name
      WHERE t.table_schema NOT IN ('pg_catalog', 'information_schema', 'rarity')
      ORDER BY 1, 2`,
  );
  return rows.map((r) => ({ schema: r.schema, name: r.name, qualified: `${quoteIdent(r.schema)}.${quoteIdent(r.name)}`, estimatedRows: Number(r.estimated) }));
}

/** Resolves a (quoted or plain) table name against the catalogue, so only real identifiers reach SQL. */
async function findTable(pool: pg.Pool, name: string): Promise<TableInfo> {
  const found = (await tables(pool)).find((t) => [t.qualified, `${t.schema}.${t.name}`, t.name].includes(name));
  if (!found) throw Object.assign(new Error(`table "${name}" does not exist or is not readable`), { status: 400 });
  return found;
}

async function fields(pool: pg.Pool, table: TableInfo): Promise<FieldInfo[]> {
  const { rows } = await pool.query<{ name: string; type: string }>(
    `SELECT column_name AS name, data_type AS type FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [table.schema, table.name],
  );
  return rows.map(({ name, type }) => {
    const categorical = CATEGORICAL.includes(type);
    return {
      name,
      type,
      suits: {
        time: type.startsWith('timestamp') || type === 'date',
        id: ['smallint', 'integer', 'bigint'].includes(type),
        by: categorical,
        over: categorical,
        message: ['text', 'character varying', 'json', 'jsonb'].includes(type),
      },
    };
  });
}

async function values(pool: pg.Pool, table: TableInfo, field: string, q: string, limit: number): Promise<ValueCount[]> {
  if (!(await fields(pool, table)).some((f) => f.name === field)) {
    throw Object.assign(new Error(`field "${field}" is not a column of ${table.schema}.${table.name}`), { status: 400 });
  }
  const column = quoteIdent(field);
  const { rows } = await pool.query<{ value: string; count: string }>(
    `SELECT ${column}::text AS value, count(*)::text AS count FROM ${table.qualified}
      WHERE ${column} IS NOT NULL AND ${column}::text ILIKE $1
      GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT $2`,
    [`%${q}%`, limit],
  );
  return rows.map((r) => ({ value: r.value, count: Number(r.count) }));
}

export interface HarnessServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** Grafana serves @grafana/ui's icons under public/build/img/; the package ships them in dist/public/img/. */
const ICONS_DIR = normalize(join(process.cwd(), 'node_modules/@grafana/ui/dist/public/img'));

export async function startHarnessServer(staticDir: string, databaseUrl: string, defaultTable: string): Promise<HarnessServer> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const requests: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const resource = /^\/api\/datasources\/uid\/[^/]+\/resources\/(tables|fields|values)$/.exec(url.pathname);
    try {
      if (resource) {
        requests.push(`${resource[1]}${url.search}`);
        const table = () => findTable(pool, url.searchParams.get('table') || defaultTable);
        const body =
          resource[1] === 'tables'
            ? await tables(pool)
            : resource[1] === 'fields'
              ? await fields(pool, await table())
              : await values(pool, await table(), url.searchParams.get('field') ?? '', url.searchParams.get('q') ?? '', Number(url.searchParams.get('limit') ?? 50));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        return;
      }
      const icon = url.pathname.startsWith('/public/build/img/');
      const base = icon ? ICONS_DIR : staticDir;
      const file = icon ? url.pathname.slice('/public/build/img/'.length) : url.pathname === '/' ? 'index.html' : url.pathname;
      const path = normalize(join(base, file));
      if (!path.startsWith(base) || !existsSync(path) || !statSync(path).isFile()) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
      createReadStream(path).pipe(res);
    } catch (error) {
      const status = (error as { status?: number }).status ?? 500;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message: (error as Error).message }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}
