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

/** The settings this section writes: whole numbers of MB, empty meaning the default. */
type MegabytesKey = 'modelMemoryLimitMb' | 'maxResponseMb';

interface MegabytesFieldProps {
  config: ConfigProps;
  setting: MegabytesKey;
  id: string;
  label: string;
  description: string;
  tooltip: string;
  /** The info icon's accessible name. */
  about: string;
  min: number;
  max: number;
  defaultMb: number;
  problem: string | undefined;
}

function MegabytesField({
  config,
  setting,
  id,
  label,
  description,
  tooltip,
  about,
  min,
  max,
  defaultMb,
  problem,
}: MegabytesFieldProps) {
  const value = config.options.jsonData?.[setting];
  // Written as typed, out of range included, so Save & test refuses it too; an empty field means the default.
  const onChange = (event: ChangeEvent<HTMLInputElement>) => {
    const text = event.currentTarget.value.trim();
    updateDatasourcePluginJsonDataOption(config, setting, text === '' ? undefined : Number(text));
  };
  return (
    <Field
      label={
        <Label htmlFor={id} description={description}>
          <Stack gap={0.5} alignItems="center">
            <span>{label}</span>
            <Tooltip content={tooltip}>
              {/* Focusable, so the explanation is reachable without a mouse. */}
              <span tabIndex={0} aria-label={about}>
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
        id={id}
        type="number"
        width={WIDTH_LONG / 2}
        min={min}
        max={max}
        step={1}
        placeholder={String(defaultMb)}
        suffix="MB"
        value={value ?? ''}
        onChange={onChange}
      />
    </Field>
  );
}

export function DetectionSection(props: ConfigProps) {
  const jsonData = props.options.jsonData ?? {};
  return (
    <FieldSet label="Detection">
      <MegabytesField
        config={props}
        setting="modelMemoryLimitMb"
        id={INPUT_ID}
        label="Model memory limit (MB)"
        description={`Model memory one detector may hold; default ${DEFAULT_MODEL_MEMORY_LIMIT_MB} MB`}
        tooltip={MODEL_MEMORY_LIMIT_TOOLTIP}
        about="About the model memory limit"
        min={MIN_MODEL_MEMORY_LIMIT_MB}
        max={MAX_MODEL_MEMORY_LIMIT_MB}
        defaultMb={DEFAULT_MODEL_MEMORY_LIMIT_MB}
        problem={modelMemoryLimitProblem(jsonData.modelMemoryLimitMb)}
      />
      <MegabytesField
        config={props}
        setting="maxResponseMb"
        id={RESPONSE_INPUT_ID}
        label="Max response size (MB)"
        description={`Largest answer of one query; default ${DEFAULT_MAX_RESPONSE_MB} MB`}
        tooltip={MAX_RESPONSE_TOOLTIP}
        about="About the max response size"
        min={MIN_MAX_RESPONSE_MB}
        max={MAX_MAX_RESPONSE_MB}
        defaultMb={DEFAULT_MAX_RESPONSE_MB}
        problem={maxResponseMbProblem(jsonData.maxResponseMb)}
      />
    </FieldSet>
  );
}
