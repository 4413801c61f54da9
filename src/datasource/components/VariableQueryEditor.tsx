/**
 * Editor of query variables: list the tables, the fields of a table (optionally only those fit for a role),
 * or the values of a field (most frequent first).
 */
import type { QueryEditorProps } from '@grafana/data';
import { Combobox, InlineField, InlineFieldRow, Input, RadioButtonGroup, type ComboboxOption } from '@grafana/ui';

import type { RarityQuery } from '../../../common/queryModel.ts';
import type { FieldRole } from '../../../common/resources.ts';
import type { RarityDataSource } from '../datasource.ts';
import type { RarityVariableQuery, VariableQueryKind, RarityDataSourceOptions } from '../types.ts';
import { asOption, displayTableName, fieldOptions, tableOptions } from './fieldOptions.ts';
import { useResource } from './useResource.ts';

export type Props = QueryEditorProps<RarityDataSource, RarityQuery, RarityDataSourceOptions, RarityVariableQuery>;

const LABEL_WIDTH = 12;

const KINDS: Array<{ value: VariableQueryKind; label: string; description: string }> = [
  { value: 'values', label: 'Values of a field', description: 'Distinct values, most frequent first' },
  { value: 'fields', label: 'Fields of a table', description: 'Column names' },
  { value: 'tables', label: 'Tables', description: 'Tables and views the database user can read' },
];

const ROLES: Array<ComboboxOption<FieldRole>> = [
  { value: 'by', label: 'by field', description: 'categorical' },
  { value: 'over', label: 'over field', description: 'entity' },
  { value: 'time', label: 'time column' },
  { value: 'id', label: 'id column' },
  { value: 'message', label: 'message column' },
];

export function VariableQueryEditor({ query: rawQuery, datasource, onChange }: Props) {
  // A variable saved by an older version, or created empty, may not carry a kind yet.
  const query: RarityVariableQuery = {
    ...rawQuery,
    refId: rawQuery?.refId ?? 'variable',
    kind: rawQuery?.kind ?? 'values',
  };
  const table = query.table || undefined;

  const tables = useResource(() => datasource.resources.tables(), 'tables');
  const fields = useResource(
    query.kind === 'values' ? () => datasource.resources.fields(table) : undefined,
    `fields:${query.kind}:${table ?? ''}`,
  );

  const change = (patch: Partial<RarityVariableQuery>) => onChange({ ...query, ...patch });

  return (
    <div data-testid="rarity-variable-editor">
      <InlineFieldRow>
        <InlineField label="List" labelWidth={LABEL_WIDTH}>
          <RadioButtonGroup<VariableQueryKind>
            options={KINDS}
            value={query.kind}
            onChange={(kind) => change({ kind })}
          />
        </InlineField>
      </InlineFieldRow>
      {query.kind !== 'tables' && (
        <InlineFieldRow>
          <InlineField label="Table" labelWidth={LABEL_WIDTH} tooltip="Empty: the datasource's default table">
            <Combobox<string>
              id="rarity-variable-table"
              width={32}
              isClearable
              createCustomValue
              loading={tables.loading}
              placeholder={
                datasource.defaultTable ? `default: ${displayTableName(datasource.defaultTable)}` : 'default table'
              }
              options={tableOptions(tables.value)}
              value={asOption(query.table, displayTableName(query.table))}
              onChange={(option) => change({ table: option?.value || undefined })}
            />
          </InlineField>
        </InlineFieldRow>
      )}
      {query.kind === 'fields' && (
        <InlineFieldRow>
          <InlineField label="Fit for" labelWidth={LABEL_WIDTH} tooltip="Only fields that can play this role">
            <Combobox<FieldRole>
              id="rarity-variable-role"
              width={32}
              isClearable
              placeholder="any role"
              options={ROLES}
              value={query.suits ?? null}
              onChange={(option) => change({ suits: option?.value })}
            />
          </InlineField>
        </InlineFieldRow>
      )}
      {query.kind === 'values' && (
        <InlineFieldRow>
          <InlineField
            label="Field"
            labelWidth={LABEL_WIDTH}
            required
            invalid={!query.field}
            error={!query.field ? 'Choose the field whose values the variable lists' : undefined}
          >
            <Combobox<string>
              id="rarity-variable-field"
              width={32}
              createCustomValue
              loading={fields.loading}
              placeholder="choose a field"
              options={fieldOptions(fields.value)}
              value={asOption(query.field)}
              onChange={(option) => change({ field: option.value })}
            />
          </InlineField>
          <InlineField label="Containing" labelWidth={LABEL_WIDTH} tooltip="Only values containing this text">
            <Input
              id="rarity-variable-search"
              width={20}
              value={query.search ?? ''}
              onChange={(event) => change({ search: event.currentTarget.value || undefined })}
            />
          </InlineField>
        </InlineFieldRow>
      )}
    </div>
  );
}
