/**
 * A job query's detectors, one row each: function, by, over and partition fields, description. The columns
 * are labelled once above the rows; each input also has its own (hidden) label naming its detector.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Combobox, IconButton, InlineField, Input, useStyles2, useTheme2, type ComboboxOption } from '@grafana/ui';

import { describeDetector } from '../../../../common/jobQuery.ts';
import { DETECTOR_FUNCTIONS, type DetectorFunction, type QueryDetector } from '../../../../common/queryModel.ts';
import type { FieldInfo } from '../../../../common/resources.ts';
import { errorFor, type QueryValidationError } from '../../../../common/validateQuery.ts';
import { asOption } from '../fieldOptions.ts';
import { jobFieldOptions } from './jobFields.ts';

/** Widths of the columns, in Grafana's 8px units, shared by the header and the rows. */
const W = { fn: 13, field: 22, description: 32 };

const FUNCTION_OPTIONS: Array<ComboboxOption<string>> = DETECTOR_FUNCTIONS.map((fn) => ({ value: fn, label: fn }));

interface Props {
  detectors: QueryDetector[];
  errors: readonly QueryValidationError[];
  fields: readonly FieldInfo[] | undefined;
  fieldsLoading?: boolean;
  hasSuccessRule: boolean;
  /** `run` false while typing: the query is run once the edit is complete. */
  onChange: (detectors: QueryDetector[], run?: boolean) => void;
  onCommit: () => void;
}

export function DetectorRows({ detectors, errors, fields, fieldsLoading, hasSuccessRule, onChange, onCommit }: Props) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const byOptions = jobFieldOptions(fields, 'by', hasSuccessRule);
  const overOptions = jobFieldOptions(fields, 'over', hasSuccessRule);

  const update = (i: number, patch: Partial<QueryDetector>, run = true) => {
    const next = detectors.map((d, j) => {
      if (j !== i) {
        return d;
      }
      const merged: QueryDetector = { ...d, ...patch };
      for (const key of ['overField', 'partitionField', 'description'] as const) {
        if (merged[key] === undefined || merged[key] === '') {
          delete merged[key];
        }
      }
      return merged;
    });
    onChange(next, run);
  };
  const hidden = (htmlFor: string, text: string) => (
    <label htmlFor={htmlFor} className={styles.srOnly}>
      {text}
    </label>
  );

  return (
    <div className={styles.grid} role="table" aria-label="Detectors">
      <div className={styles.header} role="row">
        <span role="columnheader" className={styles.index}>
          #
        </span>
        <span role="columnheader" style={{ width: theme.spacing(W.fn) }}>
          Function
        </span>
        <span role="columnheader" style={{ width: theme.spacing(W.field) }}>
          By field *
        </span>
        <span role="columnheader" style={{ width: theme.spacing(W.field) }}>
          Over field
        </span>
        <span role="columnheader" style={{ width: theme.spacing(W.field) }}>
          Partition field
        </span>
        <span role="columnheader" style={{ width: theme.spacing(W.description) }}>
          Description
        </span>
        <span role="columnheader" className={styles.srOnly}>
          Remove
        </span>
      </div>
      {detectors.map((d, i) => {
        const id = `rarity-detector-${i}`;
        const name = `Detector ${i + 1}`;
        const at = `detectors.${i}`;
        const fn: DetectorFunction = d.function ?? 'rare';
        const field = (key: string) => errorFor(errors, `${at}.${key}`);
        const rowError = errorFor(errors, at);
        return (
          <div key={i} className={styles.row} role="row" aria-label={name}>
            <span className={styles.index} title={`detectors[${i}]`}>
              {i}
            </span>
            <InlineField
              label={hidden(`${id}-function`, `${name} function`)}
              invalid={!!field('function')}
              error={field('function')}
            >
              <Combobox<string>
                id={`${id}-function`}
                width={W.fn}
                options={FUNCTION_OPTIONS}
                value={fn}
                onChange={(option) => update(i, { function: option.value as DetectorFunction })}
              />
            </InlineField>
            <InlineField
              label={hidden(`${id}-by`, `${name} by field`)}
              invalid={!!field('byField') || !!rowError}
              error={field('byField') ?? rowError}
            >
              <Combobox<string>
                id={`${id}-by`}
                width={W.field}
                createCustomValue
                loading={fieldsLoading}
                placeholder="choose a field"
                options={byOptions}
                value={asOption(d.byField)}
                onChange={(option) => update(i, { byField: option.value })}
              />
            </InlineField>
            <InlineField
              label={hidden(`${id}-over`, `${name} over field`)}
              invalid={!!field('overField')}
              error={field('overField')}
            >
              <Combobox<string>
                id={`${id}-over`}
                width={W.field}
                isClearable
                createCustomValue
                loading={fieldsLoading}
                placeholder={fn === 'freq_rare' ? 'required' : 'none'}
                options={overOptions}
                value={asOption(d.overField)}
                onChange={(option) => update(i, { overField: option?.value || undefined })}
              />
            </InlineField>
            <InlineField
              label={hidden(`${id}-partition`, `${name} partition field`)}
              invalid={!!field('partitionField')}
              error={field('partitionField')}
            >
              <Combobox<string>
                id={`${id}-partition`}
                width={W.field}
                isClearable
                createCustomValue
                loading={fieldsLoading}
                placeholder="none"
                options={overOptions}
                value={asOption(d.partitionField)}
                onChange={(option) => update(i, { partitionField: option?.value || undefined })}
              />
            </InlineField>
            <InlineField
              label={hidden(`${id}-description`, `${name} description`)}
              invalid={!!field('description')}
              error={field('description')}
            >
              <Input
                id={`${id}-description`}
                width={W.description}
                placeholder={describeDetector({ ...d, function: fn })}
                value={d.description ?? ''}
                onChange={(event) => update(i, { description: event.currentTarget.value }, false)}
                onBlur={onCommit}
              />
            </InlineField>
            <IconButton
              className={styles.remove}
              name="trash-alt"
              // A job query keeps at least one detector; "Single detector" leaves job mode.
              disabled={detectors.length === 1}
              tooltip={`Remove ${name.toLowerCase()}${detectors.length === 1 ? ' (a job needs at least one)' : ''}`}
              onClick={() => onChange(detectors.filter((_, j) => j !== i))}
            />
          </div>
        );
      })}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  grid: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(0.5) }),
  header: css({
    display: 'flex',
    gap: theme.spacing(0.5),
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
  }),
  // Wraps on narrow screens rather than squeezing the pickers; InlineField's own margin would double the gap.
  row: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'flex-start',
    gap: theme.spacing(0.5),
    '& > div': { margin: 0 },
  }),
  index: css({
    width: theme.spacing(3),
    flexShrink: 0,
    color: theme.colors.text.secondary,
    fontFamily: theme.typography.fontFamilyMonospace,
    lineHeight: `${theme.spacing(theme.components.height.md)}`,
    textAlign: 'center',
  }),
  remove: css({ marginTop: theme.spacing(1) }),
  srOnly: css({
    position: 'absolute',
    width: 1,
    height: 1,
    padding: 0,
    margin: -1,
    overflow: 'hidden',
    clipPath: 'inset(50%)',
    whiteSpace: 'nowrap',
    border: 0,
  }),
});
