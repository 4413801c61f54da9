/**
 * "Allowed schemas": the schemas whose tables queries and pickers may read. Empty means only the log table's
 * own schema, which is what most datasources need. The rule is the backend's (common/allowedSchemas.ts), so a
 * system schema is pointed at before Save & test refuses it.
 */
import { updateDatasourcePluginJsonDataOption } from '@grafana/data';
import { Field, Input } from '@grafana/ui';
import type { ChangeEvent } from 'react';

import { allowedSchemaEntries, allowedSchemaProblem } from '../../../common/allowedSchemas.ts';
import { WIDTH_LONG, type ConfigProps } from './configOptions.ts';

const INPUT_ID = 'rarity-allowed-schemas';

export const ALLOWED_SCHEMAS_DESCRIPTION =
  "Comma-separated schemas whose tables queries may read; empty: only the log table's schema. " +
  "PostgreSQL's own catalogues are never readable.";

export function AllowedSchemasField(props: ConfigProps) {
  const value = props.options.jsonData?.allowedSchemas;
  const entries = allowedSchemaEntries(value) ?? [];
  const problem = entries.map(allowedSchemaProblem).find((p) => p !== undefined);
  // Kept as typed (split at commas, spaces and all) so the text round-trips while typing; tidied on blur.
  const shown = Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : '';

  const write = (next: string[] | undefined) => updateDatasourcePluginJsonDataOption(props, 'allowedSchemas', next);
  const onChange = (event: ChangeEvent<HTMLInputElement>) => {
    const text = event.currentTarget.value;
    write(text.trim() === '' ? undefined : text.split(','));
  };
  const onBlur = () => write(entries.length > 0 ? entries : undefined);

  return (
    <Field
      label="Allowed schemas"
      htmlFor={INPUT_ID}
      description={ALLOWED_SCHEMAS_DESCRIPTION}
      invalid={!!problem}
      error={problem}
    >
      <Input
        id={INPUT_ID}
        width={WIDTH_LONG}
        placeholder="the log table's schema"
        value={shown}
        onChange={onChange}
        onBlur={onBlur}
      />
    </Field>
  );
}
