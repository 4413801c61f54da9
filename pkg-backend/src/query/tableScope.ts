/**
 * Which schemas a datasource's queries and pickers may read: the "Allowed schemas" setting, or else only the
 * schema of its log table, so a query naming another table (`pg_catalog.pg_authid`, a neighbour's schema)
 * is refused before anything is read. The store refuses PostgreSQL's own catalogues whatever the scope.
 * Resolved once per datasource instance: an unqualified log table costs one catalogue lookup.
 */
import { currentSchema, describeTable, parseTableName, type TableScope } from '../store/index.ts';
import type { DatasourceInstance } from './contract.ts';
import { allowedSchemasOf } from './settings.ts';

const SETTING = 'Allowed schemas in the datasource settings';

const scopes = new WeakMap<DatasourceInstance, Promise<TableScope>>();

async function resolveScope(instance: DatasourceInstance): Promise<TableScope> {
  const { jsonData } = instance.settings;
  const listed = allowedSchemasOf(jsonData);
  if (listed.length > 0) {
    return { schemas: listed, setting: SETTING };
  }
  const table = jsonData.table?.trim();
  if (table) {
    const { schema } = parseTableName(table);
    const own = schema ?? (await describeTable(instance.pool, table)).schema;
    return { schemas: [own], setting: `the log table's schema; list more under ${SETTING}` };
  }
  const current = await currentSchema(instance.pool);
  return {
    schemas: current ? [current] : [],
    setting: `the role's current schema, as no log table is set; list more under ${SETTING}`,
  };
}

export function tableScope(instance: DatasourceInstance): Promise<TableScope> {
  let scope = scopes.get(instance);
  if (!scope) {
    scope = resolveScope(instance);
    // A failure (database down, log table missing) is not remembered: the next request tries again.
    scope.catch(() => scopes.delete(instance));
    scopes.set(instance, scope);
  }
  return scope;
}
