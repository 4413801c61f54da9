/**
 * Option lists for the pickers: only fields whose `suits` fit the role, then the dashboard's template
 * variables (so `$by` can be chosen where Grafana interpolates it).
 */
import type { ComboboxOption } from '@grafana/ui';
import { getTemplateSrv } from '@grafana/runtime';

import type { FieldInfo, FieldRole, TableInfo } from '../../../common/resources.ts';
import { fieldsThatSuit } from '../resources.ts';

export function fieldOptions(
  fields: readonly FieldInfo[] | undefined,
  role?: FieldRole,
): Array<ComboboxOption<string>> {
  return fieldsThatSuit(fields ?? [], role).map((field) => ({
    value: field.name,
    label: field.name,
    description: field.type,
  }));
}

export function tableOptions(tables: readonly TableInfo[] | undefined): Array<ComboboxOption<string>> {
  return (tables ?? []).map((table) => ({
    value: table.qualified,
    // The quoted SQL name is what gets saved; people read schema.name.
    label: `${table.schema}.${table.name}`,
    description: table.estimatedRows > 0 ? `≈ ${table.estimatedRows.toLocaleString('en')} rows` : undefined,
  }));
}

export function variableOptions(): Array<ComboboxOption<string>> {
  try {
    return getTemplateSrv()
      .getVariables()
      .map((variable) => ({ value: `$${variable.name}`, label: `$${variable.name}`, group: 'Template variables' }));
  } catch {
    // The config editor runs outside a dashboard, where no TemplateSrv may be registered.
    return [];
  }
}

/** `"public"."weblogs"` → `public.weblogs` for reading; names that need their quotes keep them. */
export function displayTableName(qualified: string | undefined): string | undefined {
  if (!qualified) {
    return qualified;
  }
  return qualified.replace(/"([a-z_][a-z0-9_$]*)"/g, '$1');
}

/** Combobox shows a scalar value only if it is among the options; a saved value that is not is shown as-is. */
export function asOption(value: string | undefined, label: string | undefined = value): ComboboxOption<string> | null {
  return value ? { value, label } : null;
}
