/**
 * Settings of the detectors themselves: the model memory limit (Elastic's model_memory_limit). The rule is
 * the backend's own (common/modelMemoryLimit.ts), so a bad value is pointed at before Save & test refuses it.
 */
import { updateDatasourcePluginJsonDataOption } from '@grafana/data';
import { Field, FieldSet, Icon, Input, Label, Stack, Tooltip } from '@grafana/ui';
import type { ChangeEvent } from 'react';

import {
  DEFAULT_MODEL_MEMORY_LIMIT_MB,
  MAX_MODEL_MEMORY_LIMIT_MB,
  MIN_MODEL_MEMORY_LIMIT_MB,
} from '../../../common/limits.ts';
import { modelMemoryLimitProblem } from '../../../common/modelMemoryLimit.ts';
import { WIDTH_LONG, type ConfigProps } from './configOptions.ts';

const INPUT_ID = 'rarity-model-memory-limit';

export const MODEL_MEMORY_LIMIT_TOOLTIP =
  "Like Elastic's model_memory_limit. From 90 % of it a job's memory status is soft_limit; at the limit it is " +
  'hard_limit: entities, values and pairs not seen before are no longer modelled (known ones are still scored) ' +
  'and panels show a warning. Raise it when that happens; a changed limit applies from the next chunk of each job.';

export function DetectionSection(props: ConfigProps) {
  const jsonData = props.options.jsonData ?? {};
  const problem = modelMemoryLimitProblem(jsonData.modelMemoryLimitMb);

  // Written as typed, out of range included, so Save & test refuses it too; an empty field means the default.
  const onLimit = (event: ChangeEvent<HTMLInputElement>) => {
    const text = event.currentTarget.value.trim();
    updateDatasourcePluginJsonDataOption(props, 'modelMemoryLimitMb', text === '' ? undefined : Number(text));
  };

  return (
    <FieldSet label="Detection">
      <Field
        label={
          <Label
            htmlFor={INPUT_ID}
            description={`Model memory one detector may hold; default ${DEFAULT_MODEL_MEMORY_LIMIT_MB} MB`}
          >
            <Stack gap={0.5} alignItems="center">
              <span>Model memory limit (MB)</span>
              <Tooltip content={MODEL_MEMORY_LIMIT_TOOLTIP}>
                {/* Focusable, so the explanation is reachable without a mouse. */}
                <span tabIndex={0} aria-label="About the model memory limit">
                  <Icon name="info-circle" size="sm" />
                </span>
              </Tooltip>
            </Stack>
          </Label>
        }
        invalid={!!problem}
        error={problem}
      >
        <Input
          id={INPUT_ID}
          type="number"
          width={WIDTH_LONG / 2}
          min={MIN_MODEL_MEMORY_LIMIT_MB}
          max={MAX_MODEL_MEMORY_LIMIT_MB}
          step={1}
          placeholder={String(DEFAULT_MODEL_MEMORY_LIMIT_MB)}
          suffix="MB"
          value={jsonData.modelMemoryLimitMb ?? ''}
          onChange={onLimit}
        />
      </Field>
    </FieldSet>
  );
}
