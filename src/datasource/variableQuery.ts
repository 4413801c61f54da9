/**
 * Query variables: "tables", "fields of table T" and "values of field F". A variable saved as text (e.g. in a
 * provisioned dashboard: `values(public.weblogs, state)`) is accepted as well as the editor's object form.
 */
import type { RarityVariableQuery, VariableQueryKind } from './types.ts';
import type { FieldRole } from '../../common/resources.ts';

const ROLES: readonly FieldRole[] = ['time', 'id', 'by', 'over', 'message'];
const TEXT_FORM = /^\s*(tables|fields|values)\s*(?:\(([^)]*)\))?\s*$/i;

/** Parses `tables`, `fields(table[, role])`, `values(field)` or `values(table, field[, search])`. */
export function parseVariableQuery(text: string): RarityVariableQuery {
  const match = TEXT_FORM.exec(text);
  if (!match) {
    throw new Error(
      `variable query ${JSON.stringify(text)} is not understood; use tables, fields(table), values(field) or values(table, field)`,
    );
  }
  const kind = match[1].toLowerCase() as VariableQueryKind;
  const args = (match[2] ?? '')
    .split(',')
    .map((arg) => arg.trim())
    .filter((arg) => arg !== '');
  if (kind === 'tables') {
    return { refId: 'variable', kind };
  }
  if (kind === 'fields') {
    const suits = args[1] as FieldRole | undefined;
    if (suits !== undefined && !ROLES.includes(suits)) {
      throw new Error(`fields(${args.join(', ')}): role ${JSON.stringify(suits)} is not one of ${ROLES.join(', ')}`);
    }
    return { refId: 'variable', kind, table: args[0], ...(suits ? { suits } : {}) };
  }
  if (args.length === 0) {
    throw new Error('values() needs a field: values(field) or values(table, field)');
  }
  if (args.length === 1) {
    return { refId: 'variable', kind, field: args[0] };
  }
  return { refId: 'variable', kind, table: args[0], field: args[1], ...(args[2] ? { search: args[2] } : {}) };
}

export function toVariableQuery(query: RarityVariableQuery | string | undefined): RarityVariableQuery {
  if (typeof query === 'string') {
    return parseVariableQuery(query);
  }
  return query ?? { refId: 'variable', kind: 'tables' };
}
