/**
 * Settings of the detectors themselves: the model memory limit (Elastic's model_memory_limit), and how large
 * one query's answer may be. The rules are the backend's own (common/modelMemoryLimit.ts,
 * common/responseLimit.ts), so a bad value is pointed at before Save & test refuses it.
 */
import { updateDatasourcePluginJsonDataOption } from '@grafana/data';
import { Field, FieldSet, Icon, Input, Label, Stack, Tooltip } from '@grafana/ui';
import type { ChangeEvent } from 'react';

import {
  DEFAULT_MAX_RESPONSE_MB,
  DEFAULT_MODEL_MEMORY_LIMIT_MB,
  MAX_MAX_RESPONSE_MB,
  MAX_MODEL_MEMORY_LIMIT_MB,
  MIN_MAX_RESPONSE_MB,
  MIN_MODEL_MEMORY_LIMIT_MB,
} from '../../../common/limits.ts';
import { modelMemoryLimitProblem } from '../../../common/modelMemoryLimit.ts';
import { maxResponseMbProblem } from '../../../common/responseLimit.ts';
import { WIDTH_LONG, type ConfigProps } from './configOptions.ts';

const INPUT_ID = 'rarity-model-memory-limit';
const RESPONSE_INPUT_ID = 'rarity-max-response';

export const MODEL_MEMORY_LIMIT_TOOLTIP =
  "Like Elastic's model_memory_limit. From 90 % of it a job's memory status is soft_limit; at the limit it is " +
  'hard_limit: entities, values and pairs not seen before are no longer modelled (known ones are still scored) ' +
  'and panels show a warning. Raise it when that happens; a changed limit applies from the next chunk of each job.';

export const MAX_RESPONSE_TOOLTIP =
  'Encoded frames one query (refId) may answer with. Past it that query gets an error saying how to narrow it ' +
  '(a shorter time range, a higher minimum score, a lower row limit) and the other queries of the panel are ' +
  `still answered. At most ${MAX_MAX_RESPONSE_MB} MB, so that a whole response fits Grafana's 64 MiB message.`;

export function DetectionSection(props: ConfigProps) {
  const jsonData = props.options.jsonData ?? {};
  const problem = modelMemoryLimitProblem(jsonData.modelMemoryLimitMb);
  const responseProblem = maxResponseMbProblem(jsonData.maxResponseMb);

  // Written as typed, out of range included, so Save & test refuses it too; an empty field means the default.
  const onLimit = (event: ChangeEvent<HTMLInputElement>) => {
    const text = event.currentTarget.value.trim();
    updateDatasourcePluginJsonDataOption(props, 'modelMemoryLimitMb', text === '' ? undefined : Number(text));
  };
  const onResponse = (event: ChangeEvent<HTMLInputElement>) => {
    const text = event.currentTarget.value.trim();
    updateDatasourcePluginJsonDataOption(props, 'maxResponseMb', text === '' ? undefined : Number(text));
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
      <Field
        label={
          <Label
            htmlFor={RESPONSE_INPUT_ID}
            description={`Largest answer of one query; default ${DEFAULT_MAX_RESPONSE_MB} MB`}
          >
            <Stack gap={0.5} alignItems="center">
              <span>Max response size (MB)</span>
              <Tooltip content={MAX_RESPONSE_TOOLTIP}>
                <span tabIndex={0} aria-label="About the max response size">
                  <Icon name="info-circle" size="sm" />
                </span>
              </Tooltip>
            </Stack>
          </Label>
        }
        invalid={!!responseProblem}
        error={responseProblem}
      >
        <Input
          id={RESPONSE_INPUT_ID}
          type="number"
          width={WIDTH_LONG / 2}
          min={MIN_MAX_RESPONSE_MB}
          max={MAX_MAX_RESPONSE_MB}
          step={1}
          placeholder={String(DEFAULT_MAX_RESPONSE_MB)}
          suffix="MB"
          value={jsonData.maxResponseMb ?? ''}
          onChange={onResponse}
        />
      </Field>
    </FieldSet>
  );
}
