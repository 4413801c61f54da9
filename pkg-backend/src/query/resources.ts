/**
 * CallResource: `GET tables`, `GET fields?table=`, `GET values?table=&field=&q=` for the editors' pickers.
 * Answers are JSON; errors carry an HTTP status and a message naming what was wrong.
 */
import { RESOURCE_PATHS, type FieldInfo, type TableInfo, type ValueCount } from '../../../common/resources.ts';
import { describeTable, listTables, topValues } from '../store/index.ts';
import { truncateEcho } from '../../../common/echo.ts';
import type { RequestContext, ResourceRequest, ResourceResponse } from './contract.ts';
import { httpStatusOf } from './errors.ts';
import { jobsResource } from './jobResources.ts';
import { tableScope } from './tableScope.ts';

export async function callResource(ctx: RequestContext, req: ResourceRequest): Promise<ResourceResponse> {
  const url = new URL(req.url || req.path, 'http://plugin.invalid/');
  const path = req.path.replace(/^\/+|\/+$/g, '');
  const q = url.searchParams;
  const [first, ...rest] = path.split('/');
  if (first === RESOURCE_PATHS.jobs) {
    try {
      return await jobsResource(ctx, req, rest);
    } catch (e) {
      return { status: httpStatusOf(e), body: { message: e instanceof Error ? e.message : String(e) } };
    }
  }
  if (req.method.toUpperCase() !== 'GET') {
    return {
      status: 405,
      headers: { Allow: ['GET'] },
      body: { message: `${truncateEcho(req.method)} is not allowed on ${truncateEcho(path)}; use GET` },
    };
  }
  const { pool, settings } = ctx.instance;
  const table = q.get('table') || settings.jsonData.table;
  for (const [key, value] of q) {
    // PostgreSQL's text cannot hold NUL; refused here rather than failing as a database error.
    if (value.includes('\u0000') || key.includes('\u0000')) {
      return {
        status: 400,
        body: {
          message: `parameter ${truncateEcho(JSON.stringify(key))} contains a NUL character, which no name or value can hold`,
        },
      };
    }
  }
  try {
    const scope = await tableScope(ctx.instance);
    switch (path) {
      case RESOURCE_PATHS.tables: {
        const tables: TableInfo[] = await listTables(pool, scope);
        return { status: 200, body: tables };
      }
      case RESOURCE_PATHS.fields: {
        if (!table) {
          return { status: 400, body: { message: 'table is required (no default log table is configured)' } };
        }
        const info = await describeTable(pool, table, scope);
        const fields: FieldInfo[] = info.columns.map((c) => ({ name: c.name, type: c.type, suits: c.suits }));
        return { status: 200, body: fields };
      }
      case RESOURCE_PATHS.values: {
        const field = q.get('field');
        if (!table) {
          return { status: 400, body: { message: 'table is required (no default log table is configured)' } };
        }
        if (!field) {
          return { status: 400, body: { message: 'field is required, e.g. values?field=state' } };
        }
        const limit = q.get('limit');
        if (limit !== null && !/^\d+$/.test(limit)) {
          return { status: 400, body: { message: `limit "${truncateEcho(limit)}" must be a whole number` } };
        }
        const info = await describeTable(pool, table, scope);
        const values: ValueCount[] = await topValues(pool, info, field, {
          q: q.get('q') ?? undefined,
          limit: limit === null ? undefined : Number(limit),
        });
        return { status: 200, body: values };
      }
      default:
        return {
          status: 404,
          body: {
            message: `unknown resource "${truncateEcho(path)}"; available: ${Object.values(RESOURCE_PATHS).join(', ')}`,
          },
        };
    }
  } catch (e) {
    return { status: httpStatusOf(e), body: { message: e instanceof Error ? e.message : String(e) } };
  }
}
