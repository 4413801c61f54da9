/**
 * The job part of the query editor: detectors, influencers and the group field, filled by hand, from a pasted
 * Elastic job or from the Cryptolens preset over the datasource's columns.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import {
  Alert,
  Button,
  Combobox,
  InlineField,
  InlineFieldRow,
  InlineLabel,
  MultiCombobox,
  Stack,
  useStyles2,
} from '@grafana/ui';
import { useState } from 'react';

import { ElasticJobError } from '../../../../common/elasticJob.ts';
import type { JobDefinition } from '../../../../common/jobModel.ts';
import { jobDefinitionToQuery, settingsNotKeptByQuery } from '../../../../common/jobQuery.ts';
import { MAX_INFLUENCERS, MAX_JOB_DETECTORS } from '../../../../common/limits.ts';
import { cryptolensPreset } from '../../../../common/presets.ts';
import type { QueryDetector, RarityQuery } from '../../../../common/queryModel.ts';
import type { FieldInfo } from '../../../../common/resources.ts';
import { errorFor, type QueryValidationError } from '../../../../common/validateQuery.ts';
import { asOption } from '../fieldOptions.ts';
import { DetectorRows } from './DetectorRows.tsx';
import { ElasticJobModal } from './ElasticJobModal.tsx';
import { cryptolensColumnsOf, influencersMinWidth, jobFieldOptions } from './jobFields.ts';

interface Props {
  query: RarityQuery;
  errors: readonly QueryValidationError[];
  fields: readonly FieldInfo[] | undefined;
  fieldsLoading?: boolean;
  hasSuccessRule: boolean;
  labelWidth: number;
  /** Replaces the query; runs it when `run` and it is valid. */
  onChange: (query: RarityQuery, run?: boolean) => void;
  onCommit: () => void;
}

interface Notice {
  severity: 'warning' | 'error';
  title: string;
  items: string[];
}

export function JobSection({
  query,
  errors,
  fields,
  fieldsLoading,
  hasSuccessRule,
  labelWidth,
  onChange,
  onCommit,
}: Props) {
  const styles = useStyles2(getStyles);
  const [pasting, setPasting] = useState(false);
  const [notice, setNotice] = useState<Notice | undefined>();
  const detectors = query.detectors ?? [];
  const influencers = query.influencers ?? [];

  const setDetectors = (next: QueryDetector[], run = true) => onChange({ ...query, detectors: next }, run);
  const applyJob = (job: JobDefinition) => onChange(jobDefinitionToQuery(job, query));

  const applyPasted = (job: JobDefinition) => {
    setPasting(false);
    applyJob(job);
    const notes = [...job.warnings, ...settingsNotKeptByQuery(job)];
    const name = job.jobId ? `"${job.jobId}"` : 'the Elastic job';
    setNotice(
      notes.length > 0
        ? { severity: 'warning', title: `Applied ${name}; not everything in it is used`, items: notes }
        : undefined,
    );
  };

  const applyPreset = () => {
    try {
      applyJob(cryptolensPreset(cryptolensColumnsOf(fields), { successful: hasSuccessRule }).job);
      setNotice(undefined);
    } catch (err) {
      if (!(err instanceof ElasticJobError)) {
        throw err;
      }
      setNotice({
        severity: 'error',
        title: 'The Cryptolens preset does not fit this table',
        items: err.problems.map((p) => `${p.path}: ${p.message}`),
      });
    }
  };

  const influencerError =
    errorFor(errors, 'influencers') ?? errors.find((e) => e.field.startsWith('influencers.'))?.message;
  const jobFields = [
    ...new Set([...detectors.flatMap((d) => [d.byField, d.overField, d.partitionField]), ...influencers]),
  ].filter((f): f is string => !!f && f.trim() !== '');
  const groupPlaceholder = influencers[0]
    ? `default: ${influencers[0]} (first influencer)`
    : 'default: first influencer';

  return (
    <div className={styles.section} data-testid="rarity-job-section">
      <div className={styles.detectors}>
        <InlineLabel
          width={labelWidth}
          as="span"
          tooltip={`The detectors of one job (at most ${MAX_JOB_DETECTORS}); their records combine into one bucket score`}
        >
          Detectors
        </InlineLabel>
        <Stack direction="column" gap={1} grow={1}>
          <DetectorRows
            detectors={detectors}
            errors={errors}
            fields={fields}
            fieldsLoading={fieldsLoading}
            hasSuccessRule={hasSuccessRule}
            onChange={setDetectors}
            onCommit={onCommit}
          />
          {errorFor(errors, 'detectors') && <Alert severity="error" title={errorFor(errors, 'detectors')!} />}
          <Stack direction="row" gap={1} wrap="wrap">
            <Button
              variant="secondary"
              size="sm"
              icon="plus"
              disabled={detectors.length >= MAX_JOB_DETECTORS}
              onClick={() => setDetectors([...detectors, { function: 'rare', byField: '' }], false)}
            >
              Add detector
            </Button>
            <Button variant="secondary" size="sm" icon="import" onClick={() => setPasting(true)}>
              Paste Elastic job JSON
            </Button>
            <Button
              variant="secondary"
              size="sm"
              icon="bolt"
              tooltip="Every Cryptolens parameter at once: key, IP, machine code, state, product, country and success, grouped per key"
              onClick={applyPreset}
            >
              Cryptolens preset
            </Button>
          </Stack>
          {notice && (
            <Alert severity={notice.severity} title={notice.title} onRemove={() => setNotice(undefined)}>
              <ul className={styles.notes}>
                {notice.items.map((item, i) => (
                  <li key={i}>{item}</li>
                ))}
              </ul>
            </Alert>
          )}
        </Stack>
      </div>

      <InlineFieldRow>
        <InlineField
          label="Influencers"
          labelWidth={labelWidth}
          tooltip={`Fields whose values may explain an anomaly (e.g. a license key or an IP); at most ${MAX_INFLUENCERS}`}
          invalid={!!influencerError}
          error={influencerError}
        >
          <MultiCombobox<string>
            id="rarity-influencers"
            // A fixed width folds pills: MultiCombobox compares grid units with pixels. Auto width with a floor
            // that grows with the choice keeps every influencer in sight.
            width="auto"
            minWidth={influencersMinWidth(influencers)}
            createCustomValue
            loading={fieldsLoading}
            placeholder="none"
            options={jobFieldOptions(fields, 'by', hasSuccessRule)}
            value={influencers}
            onChange={(options) => onChange({ ...query, influencers: options.map((o) => o.value) })}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField
          label="Group field"
          labelWidth={labelWidth}
          tooltip="Anomaly groups are formed per value of this field (Cryptolens groups per license key): a by, over, partition or influencer field of the job"
          invalid={!!errorFor(errors, 'groupField')}
          error={errorFor(errors, 'groupField')}
        >
          <Combobox<string>
            id="rarity-group-field"
            width={40}
            isClearable
            createCustomValue
            placeholder={groupPlaceholder}
            options={jobFields.map((f) => ({ value: f, label: f }))}
            value={asOption(query.groupField)}
            onChange={(option) => onChange({ ...query, groupField: option?.value || undefined })}
          />
        </InlineField>
      </InlineFieldRow>

      <ElasticJobModal isOpen={pasting} onDismiss={() => setPasting(false)} onApply={applyPasted} />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  section: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(0.5) }),
  detectors: css({
    display: 'flex',
    alignItems: 'flex-start',
    gap: theme.spacing(0.5),
    marginBottom: theme.spacing(0.5),
  }),
  notes: css({ paddingLeft: theme.spacing(2), margin: 0 }),
});
