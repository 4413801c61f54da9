/**
 * One structured condition "[field] [op] [value]": a query filter, or the datasource's success rule. Values
 * are bound as parameters by the backend, never pasted into SQL, so the editor offers no free SQL text.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Combobox, IconButton, InlineField, Input, useStyles2, type ComboboxOption } from '@grafana/ui';

import { FILTER_OPS, type FilterOp, type QueryFilter } from '../../../common/queryModel.ts';
import type { FieldInfo, ValueCount } from '../../../common/resources.ts';
import { asOption, fieldOptions, variableOptions } from './fieldOptions.ts';

const NULL_OPS: readonly FilterOp[] = ['is null', 'is not null'];
const LIST_OPS: readonly FilterOp[] = ['in', 'not in'];
const OP_OPTIONS: Array<ComboboxOption<string>> = FILTER_OPS.map((op) => ({ value: op, label: op }));

export interface ConditionErrors {
  field?: string;
  op?: string;
  value?: string;
}

interface Props {
  /** Prefix of element ids and accessible names, e.g. "filter-0" or "success". */
  id: string;
  /** Accessible name of the row, e.g. "Filter 1". */
  name: string;
  condition: QueryFilter;
  fields: readonly FieldInfo[] | undefined;
  fieldsLoading?: boolean;
  loadValues?: (field: string, search: string) => Promise<ValueCount[]>;
  errors?: ConditionErrors;
  onChange: (condition: QueryFilter) => void;
  onRemove?: () => void;
  /** Called when an edit is complete (a pick, or leaving a text input), to re-run the query. */
  onCommit?: () => void;
}

export function ConditionRow({
  id,
  name,
  condition,
  fields,
  fieldsLoading,
  loadValues,
  errors,
  onChange,
  onRemove,
  onCommit,
}: Props) {
  const styles = useStyles2(getStyles);
  // The row reads as a sentence, so its labels are for screen readers only.
  const hidden = (htmlFor: string, text: string) => (
    <label htmlFor={htmlFor} className={styles.srOnly}>
      {text}
    </label>
  );
  const needsValue = !NULL_OPS.includes(condition.op);
  const isList = LIST_OPS.includes(condition.op);

  const update = (patch: Partial<QueryFilter>, commit = true) => {
    const next: QueryFilter = { ...condition, ...patch };
    if (NULL_OPS.includes(next.op)) {
      delete next.value;
    }
    onChange(next);
    if (commit) {
      onCommit?.();
    }
  };

  const valueOptions = async (search: string): Promise<Array<ComboboxOption<string>>> => {
    if (!loadValues || !condition.field) {
      return [];
    }
    const values = await loadValues(condition.field, search);
    return values.map((entry) => ({
      value: entry.value,
      label: entry.value,
      description: `${entry.count.toLocaleString('en')} rows`,
    }));
  };

  return (
    <div className={styles.row} role="group" aria-label={name}>
      <InlineField label={hidden(`${id}-field`, `${name} field`)} invalid={!!errors?.field} error={errors?.field}>
        <Combobox<string>
          id={`${id}-field`}
          placeholder="field"
          width={24}
          loading={fieldsLoading}
          options={[...fieldOptions(fields), ...variableOptions()]}
          value={asOption(condition.field)}
          createCustomValue
          onChange={(option) => update({ field: option.value })}
        />
      </InlineField>
      <InlineField label={hidden(`${id}-op`, `${name} operator`)} invalid={!!errors?.op} error={errors?.op}>
        <Combobox<string>
          id={`${id}-op`}
          width={14}
          options={OP_OPTIONS}
          value={condition.op}
          onChange={(option) => update({ op: option.value as FilterOp })}
        />
      </InlineField>
      {needsValue && (
        <InlineField label={hidden(`${id}-value`, `${name} value`)} invalid={!!errors?.value} error={errors?.value}>
          {isList ? (
            <Input
              id={`${id}-value`}
              width={30}
              placeholder="a, b, c"
              value={condition.value ?? ''}
              onChange={(event) => update({ value: event.currentTarget.value }, false)}
              onBlur={() => onCommit?.()}
            />
          ) : (
            <Combobox<string>
              id={`${id}-value`}
              placeholder={condition.field ? 'value' : 'choose a field first'}
              width={30}
              disabled={!condition.field}
              options={valueOptions}
              value={asOption(condition.value)}
              createCustomValue
              onChange={(option) => update({ value: option.value })}
            />
          )}
        </InlineField>
      )}
      {onRemove && (
        <IconButton
          className={styles.remove}
          name="trash-alt"
          tooltip={`Remove ${name.toLowerCase()}`}
          onClick={onRemove}
        />
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  row: css({ display: 'flex', flexWrap: 'wrap', alignItems: 'flex-start', gap: theme.spacing(0) }),
  remove: css({ marginTop: theme.spacing(1) }),
  srOnly: css({
    position: 'absolute',
    width: 1,
    height: 1,
    padding: 0,
    margin: -1,
    overflow: 'hidden',
    clip: 'rect(0, 0, 0, 0)',
    whiteSpace: 'nowrap',
    border: 0,
  }),
});
