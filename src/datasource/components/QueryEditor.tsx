/**
 * The query editor: one detector (function, by/over fields) or a job of several (job/JobSection.tsx), bucket
 * span, structured filters and result limits.
 * Problems are shown next to the input that causes them (validateQuery, shared with the backend) and a query
 * that cannot run is not sent.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2, QueryEditorProps } from '@grafana/data';
import {
  Button,
  Combobox,
  InlineField,
  InlineFieldRow,
  InlineLabel,
  Input,
  RadioButtonGroup,
  Stack,
  useStyles2,
} from '@grafana/ui';
import { useMemo } from 'react';

import { parseDurationMs } from '../../../common/duration.ts';
import {
  DEFAULT_BUCKET_SPAN,
  DEFAULT_LIMIT,
  MAX_LIMIT,
  MAX_SCORE,
  MIN_LEARNING_BUCKETS,
  MIN_SCORE,
} from '../../../common/limits.ts';
import { SEVERITY_BANDS } from '../../../common/severity.ts';
import {
  DETECTOR_FUNCTIONS,
  QUERY_TYPES,
  type DetectorFunction,
  type QueryFilter,
  type QueryType,
  type RarityQuery,
} from '../../../common/queryModel.ts';
import { errorFor, isJobQuery, validateQuery, containsTemplateVariable } from '../../../common/validateQuery.ts';
import type { RarityDataSource } from '../datasource.ts';
import { FUNCTION_LABELS, QUERY_TYPE_LABELS, type RarityDataSourceOptions } from '../types.ts';
import { ConditionRow } from './ConditionRow.tsx';
import { asOption, displayTableName, fieldOptions, tableOptions, variableOptions } from './fieldOptions.ts';
import { JobSection } from './job/JobSection.tsx';
import { useResource } from './useResource.ts';

export type Props = QueryEditorProps<RarityDataSource, RarityQuery, RarityDataSourceOptions>;

const LABEL_WIDTH = 14;

const queryTypeOptions = QUERY_TYPES.map((type) => ({
  value: type,
  label: QUERY_TYPE_LABELS[type].label,
  description: QUERY_TYPE_LABELS[type].description,
}));
const functionOptions = DETECTOR_FUNCTIONS.map((fn) => ({
  value: fn,
  label: FUNCTION_LABELS[fn].label,
  description: FUNCTION_LABELS[fn].description,
}));

type DetectionMode = 'single' | 'job';
const modeOptions: Array<{ value: DetectionMode; label: string; description: string }> = [
  { value: 'single', label: 'Single detector', description: 'One rare or freq_rare detector' },
  {
    value: 'job',
    label: 'Job (several detectors)',
    description: 'Several detectors with partition fields and influencers, as an Elastic anomaly detection job',
  },
];

/** The query switched to `mode`, carrying the detector over: the single one becomes the job's first, and back. */
function switchMode(query: RarityQuery, mode: DetectionMode): RarityQuery {
  if (mode === 'job') {
    const fn = query.function ?? 'rare';
    return {
      ...query,
      detectors: [
        { function: fn, byField: query.byField ?? '', ...(query.overField && { overField: query.overField }) },
      ],
    };
  }
  const first = query.detectors?.[0];
  const { detectors: _detectors, influencers: _influencers, groupField: _groupField, ...rest } = query;
  return first ? { ...rest, function: first.function, byField: first.byField, overField: first.overField } : rest;
}

const BUCKET_SPAN_TOOLTIP =
  'Length of one bucket, as a Grafana duration (30s, 5m, 1h). Elastic advises short spans for rare and freq_rare, ' +
  `and a history of at least ${MIN_LEARNING_BUCKETS} buckets: nothing is flagged while the model is still learning.`;

const MIN_SCORE_TOOLTIP =
  `Only records, groups, annotations and log lines scoring at least this (${MIN_SCORE}–${MAX_SCORE}). Severity bands: ` +
  SEVERITY_BANDS.slice(1)
    .reverse()
    .map((band) => `≥ ${band.from} ${band.name}`)
    .join(', ') +
  '.';

/** "1h 40m": the two largest units (rangeUtil.secondsToHms would say only "1h"). */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || parts.length > 0) {
      parts.push(`${count}${unit}`);
    }
  }
  const shown = parts.slice(0, 2).filter((part) => !part.startsWith('0'));
  return shown.length ? shown.join(' ') : `${ms}ms`;
}

/** "The first 20 buckets (1h 40m) train the model." — or nothing when the span is not a literal duration. */
function learningHint(bucketSpan: string): string | undefined {
  if (containsTemplateVariable(bucketSpan)) {
    return undefined;
  }
  const spanMs = parseDurationMs(bucketSpan);
  if (Number.isNaN(spanMs)) {
    return undefined;
  }
  return `The first ${MIN_LEARNING_BUCKETS} buckets (${formatDuration(spanMs * MIN_LEARNING_BUCKETS)}) only train the model.`;
}

function toNumber(text: string): number | undefined {
  if (text.trim() === '') {
    return undefined;
  }
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

export function QueryEditor({ query, datasource, onChange, onRunQuery }: Props) {
  const styles = useStyles2(getStyles);
  const fn: DetectorFunction = query.function ?? 'rare';
  const queryType: QueryType = query.queryType ?? 'scores';
  const table = query.table || undefined;
  const bucketSpan = query.bucketSpan ?? DEFAULT_BUCKET_SPAN;

  const tables = useResource(() => datasource.resources.tables(), 'tables');
  // Variables in the table name are only known at query time; fields of the default table are a fair guess.
  const fieldsTable = table && !containsTemplateVariable(table) ? table : undefined;
  const fields = useResource(() => datasource.resources.fields(fieldsTable), `fields:${fieldsTable ?? ''}`);

  const errors = useMemo(() => validateQuery(query, { allowTemplateVariables: true }), [query]);
  const filters = query.filters ?? [];

  const replace = (next: RarityQuery, run = true) => {
    onChange(next);
    // Running an invalid query would only return the backend's version of the error shown here already.
    if (run && validateQuery(next, { allowTemplateVariables: true }).length === 0) {
      onRunQuery();
    }
  };
  const change = (patch: Partial<RarityQuery>, run = true) => replace({ ...query, ...patch }, run);
  const runIfValid = () => {
    if (errors.length === 0) {
      onRunQuery();
    }
  };
  const setFilters = (next: QueryFilter[], run = true) => change({ filters: next }, run);

  const fieldsLoadError = fields.error ? `Could not load fields: ${fields.error}` : undefined;
  const overRequired = fn === 'freq_rare';
  const mode: DetectionMode = isJobQuery(query) ? 'job' : 'single';

  return (
    <div className={styles.editor} data-testid="rarity-query-editor">
      <InlineFieldRow>
        <InlineField label="Query type" labelWidth={LABEL_WIDTH} tooltip={QUERY_TYPE_LABELS[queryType].description}>
          <RadioButtonGroup<QueryType>
            options={queryTypeOptions}
            value={queryType}
            onChange={(value) => change({ queryType: value })}
          />
        </InlineField>
      </InlineFieldRow>

      <InlineFieldRow>
        <InlineField
          label="Detection"
          labelWidth={LABEL_WIDTH}
          tooltip="One detector, or a job: several detectors whose records combine into one bucket score"
        >
          <RadioButtonGroup<DetectionMode>
            options={modeOptions}
            value={mode}
            onChange={(value) => replace(switchMode(query, value))}
          />
        </InlineField>
      </InlineFieldRow>

      {mode === 'single' && (
        <InlineFieldRow>
          <InlineField
            label="Function"
            labelWidth={LABEL_WIDTH}
            tooltip="Elastic ML detector function; both work on categorical fields"
            invalid={!!errorFor(errors, 'function')}
            error={errorFor(errors, 'function')}
          >
            <RadioButtonGroup<DetectorFunction>
              options={functionOptions}
              value={fn}
              onChange={(value) => change({ function: value })}
            />
          </InlineField>
          <p className={styles.explanation} data-testid="function-explanation">
            {FUNCTION_LABELS[fn].description}
          </p>
        </InlineFieldRow>
      )}

      <InlineFieldRow>
        <InlineField
          label="Table"
          labelWidth={LABEL_WIDTH}
          tooltip="Log table to analyse; leave empty for the datasource's default table"
          error={tables.error ? `Could not load tables: ${tables.error}` : undefined}
          invalid={!!tables.error}
        >
          <Combobox<string>
            id="rarity-table"
            width={32}
            isClearable
            createCustomValue
            loading={tables.loading}
            placeholder={
              datasource.defaultTable ? `default: ${displayTableName(datasource.defaultTable)}` : 'default table'
            }
            options={[...tableOptions(tables.value), ...variableOptions()]}
            value={asOption(query.table, displayTableName(query.table))}
            onChange={(option) => change({ table: option?.value || undefined })}
          />
        </InlineField>
      </InlineFieldRow>

      {mode === 'job' && (
        <JobSection
          query={query}
          errors={errors}
          fields={fields.value}
          fieldsLoading={fields.loading}
          hasSuccessRule={datasource.hasSuccessRule}
          labelWidth={LABEL_WIDTH}
          onChange={replace}
          onCommit={runIfValid}
        />
      )}
      {mode === 'job' && fieldsLoadError && <p className={styles.error}>{fieldsLoadError}</p>}

      {mode === 'single' && (
        <InlineFieldRow>
          <InlineField
            label="By field"
            labelWidth={LABEL_WIDTH}
            required
            tooltip="Categorical field whose rare values are searched for (e.g. a status, product or country)"
            invalid={!!errorFor(errors, 'byField') || !!fieldsLoadError}
            error={errorFor(errors, 'byField') ?? fieldsLoadError}
          >
            <Combobox<string>
              id="rarity-by-field"
              width={28}
              createCustomValue
              loading={fields.loading}
              placeholder="choose a field"
              options={[...fieldOptions(fields.value, 'by'), ...variableOptions()]}
              value={asOption(query.byField)}
              onChange={(option) => change({ byField: option.value })}
            />
          </InlineField>
          <InlineField
            label="Over field"
            labelWidth={LABEL_WIDTH}
            required={overRequired}
            tooltip={
              overRequired
                ? 'Required for freq_rare: the entity (e.g. a client IP) whose use of rare values is scored'
                : 'Optional: analyse the population of this entity field (e.g. a client IP) instead of time alone'
            }
            invalid={!!errorFor(errors, 'overField')}
            error={errorFor(errors, 'overField')}
          >
            <Combobox<string>
              id="rarity-over-field"
              width={28}
              isClearable
              createCustomValue
              loading={fields.loading}
              placeholder={overRequired ? 'required for freq_rare' : 'none (rare in time)'}
              options={[...fieldOptions(fields.value, 'over'), ...variableOptions()]}
              value={asOption(query.overField)}
              onChange={(option) => change({ overField: option?.value || undefined })}
            />
          </InlineField>
        </InlineFieldRow>
      )}

      <InlineFieldRow>
        <InlineField
          label="Bucket span"
          labelWidth={LABEL_WIDTH}
          tooltip={BUCKET_SPAN_TOOLTIP}
          invalid={!!errorFor(errors, 'bucketSpan')}
          error={errorFor(errors, 'bucketSpan')}
        >
          <Input
            id="rarity-bucket-span"
            width={12}
            placeholder={DEFAULT_BUCKET_SPAN}
            value={query.bucketSpan ?? ''}
            onChange={(event) => change({ bucketSpan: event.currentTarget.value || undefined }, false)}
            onBlur={runIfValid}
          />
        </InlineField>
        <InlineField
          label="Min score"
          labelWidth={LABEL_WIDTH}
          tooltip={MIN_SCORE_TOOLTIP}
          invalid={!!errorFor(errors, 'minScore')}
          error={errorFor(errors, 'minScore')}
        >
          <Input
            id="rarity-min-score"
            type="number"
            min={MIN_SCORE}
            max={MAX_SCORE}
            width={10}
            placeholder="0"
            value={query.minScore ?? ''}
            onChange={(event) => change({ minScore: toNumber(event.currentTarget.value) }, false)}
            onBlur={runIfValid}
          />
        </InlineField>
        <InlineField
          label="Limit"
          labelWidth={8}
          tooltip="Most rows a records, groups, logs or annotations query returns"
          invalid={!!errorFor(errors, 'limit')}
          error={errorFor(errors, 'limit')}
        >
          <Input
            id="rarity-limit"
            type="number"
            min={1}
            max={MAX_LIMIT}
            width={12}
            placeholder={String(DEFAULT_LIMIT)}
            value={query.limit ?? ''}
            onChange={(event) => change({ limit: toNumber(event.currentTarget.value) }, false)}
            onBlur={runIfValid}
          />
        </InlineField>
      </InlineFieldRow>
      {learningHint(bucketSpan) && <p className={styles.hint}>{learningHint(bucketSpan)}</p>}

      <div className={styles.filters}>
        <InlineLabel
          width={LABEL_WIDTH}
          id="rarity-filters-label"
          as="span"
          tooltip="Structured conditions on log rows; values are bound as parameters"
        >
          Filters
        </InlineLabel>
        <div role="group" aria-labelledby="rarity-filters-label">
          <Stack direction="column" gap={0.5}>
            {filters.map((filter, i) => (
              <ConditionRow
                key={i}
                id={`rarity-filter-${i}`}
                name={`Filter ${i + 1}`}
                condition={filter}
                fields={fields.value}
                fieldsLoading={fields.loading}
                loadValues={(field, search) => datasource.resources.values(fieldsTable, field, search)}
                errors={{
                  field: errorFor(errors, `filters.${i}.field`),
                  op: errorFor(errors, `filters.${i}.op`),
                  value: errorFor(errors, `filters.${i}.value`),
                }}
                onChange={(next) =>
                  setFilters(
                    filters.map((old, j) => (j === i ? next : old)),
                    false,
                  )
                }
                onCommit={runIfValid}
                onRemove={() => setFilters(filters.filter((_, j) => j !== i))}
              />
            ))}
            <div>
              <Button
                variant="secondary"
                size="sm"
                icon="plus"
                onClick={() => setFilters([...filters, { field: '', op: '=' }], false)}
              >
                Add filter
              </Button>
            </div>
          </Stack>
        </div>
      </div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  editor: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(0.5) }),
  explanation: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    margin: theme.spacing(1, 0, 0, 1),
    maxWidth: 640,
  }),
  hint: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    margin: theme.spacing(0, 0, 0.5, 0),
  }),
  error: css({ color: theme.colors.error.text, fontSize: theme.typography.bodySmall.fontSize, margin: 0 }),
  filters: css({ display: 'flex', alignItems: 'flex-start', gap: theme.spacing(0.5), marginTop: theme.spacing(0.5) }),
});
