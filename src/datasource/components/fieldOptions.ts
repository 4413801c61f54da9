/**
 * Option lists for the pickers: only fields whose `suits` fit the role, then the dashboard's template
 * variables (so `$by` can be chosen where Grafana interpolates it).
 */
import type { ComboboxOption } from '@grafana/ui';
import { getTemplateSrv } from '@grafana/runtime';

import type { FieldInfo, FieldRole, TableInfo } from '../../shared/resources.ts';
import { fieldsThatSuit } from '../resources.ts';

export function fieldOptions(fields: readonly FieldInfo[] | undefined, role?: FieldRole): Array<ComboboxOption<string>> {
  return fieldsThatSuit(fields ?? [], role).map((field) => ({ value: field.name, label: field.name, description: field.type }));
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

/** Combobox shows a scalar value only if it is among the options; a saved value that is not is shown as-is. */
export function asOption(value: string | undefined): ComboboxOption<string> | null {
  return value ? { value, label: value } : null;
}
