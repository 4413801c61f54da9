/**
 * The datasource's "Allowed schemas" rule, shared by the config editor (which points at a bad entry before
 * Save & test) and the backend (which refuses it and scopes every table to the list).
 */

/** PostgreSQL's own schemas: information_schema and every pg_* (a prefix PostgreSQL reserves for itself). */
export function isSystemSchema(schema: string): boolean {
  return schema === 'information_schema' || schema.startsWith('pg_');
}

/** The entries of the setting as written: a list, or one comma-separated text as a provisioning file may hold. */
export function allowedSchemaEntries(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') {
    return [];
  }
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items) || items.some((x) => typeof x !== 'string')) {
    return undefined;
  }
  return (items as string[]).map((x) => x.trim()).filter((x) => x !== '');
}

/** Why an entry cannot be allowed (folded as PostgreSQL folds an unquoted name), or undefined. */
export function allowedSchemaProblem(entry: string): string | undefined {
  const folded = entry.startsWith('"') ? entry.replace(/^"|"$/g, '') : entry.toLowerCase();
  if (isSystemSchema(folded)) {
    return (
      `Allowed schemas: ${folded} is one of PostgreSQL's system schemas, which hold roles and password hashes; ` +
      'list the schemas of your log tables'
    );
  }
  return undefined;
}
