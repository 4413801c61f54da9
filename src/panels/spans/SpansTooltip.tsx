/**
 * Tooltip content for TooltipPlugin2: the series values at the cursor, as Grafana's time series tooltip shows
 * them, and below them the anomaly group under the cursor with the Cryptolens properties.
 */
import {
  dateTimeFormat,
  formattedValueToString,
  getFieldSeriesColor,
  type DataFrame,
  type GrafanaTheme2,
} from '@grafana/data';
import type { TimeZone } from '@grafana/schema';
import {
  TooltipDisplayMode,
  VizTooltipColorIndicator,
  VizTooltipContent,
  VizTooltipHeader,
  VizTooltipWrapper,
  useTheme2,
  type VizTooltipItem,
} from '@grafana/ui';

import type { AnomalyGroup } from '../common/groups.ts';
import { SEVERITY_LABELS } from '../common/severity.ts';

interface SpansTooltipProps {
  frame: DataFrame;
  dataIdxs: Array<number | null>;
  seriesIdx: number | null;
  mode: TooltipDisplayMode;
  isPinned: boolean;
  group?: AnomalyGroup;
  groupColour?: string;
  timeZone: TimeZone;
  maxHeight?: number;
}

function seriesItems(
  frame: DataFrame,
  dataIdxs: Array<number | null>,
  seriesIdx: number | null,
  mode: TooltipDisplayMode,
  theme: GrafanaTheme2,
): VizTooltipItem[] {
  const items: VizTooltipItem[] = [];
  for (let i = 1; i < frame.fields.length; i++) {
    if (mode === TooltipDisplayMode.Single && i !== seriesIdx) {
      continue;
    }
    const field = frame.fields[i];
    const row = dataIdxs[i];
    if (row == null || field.config.custom?.hideFrom?.tooltip) {
      continue;
    }
    const value = field.values[row];
    if (value == null) {
      continue;
    }
    const display = field.display ? field.display(value) : { text: String(value), color: undefined };
    items.push({
      label: field.state?.displayName ?? field.name,
      value: formattedValueToString(display),
      // The line's colour (as in the legend), not the value's threshold colour.
      color: getFieldSeriesColor(field, theme).color,
      isActive: i === seriesIdx,
      numeric: Number(value),
    });
  }
  return items.sort((a, b) => (b.numeric ?? 0) - (a.numeric ?? 0));
}

export function groupItems(group: AnomalyGroup): VizTooltipItem[] {
  return [
    { label: 'Group Id', value: group.id },
    { label: 'Entity', value: group.entity },
    { label: 'Starting At', value: group.startingAt },
    { label: 'Ending At', value: group.endingAt },
    { label: 'Max score', value: `${group.maxScore.toFixed(1)} · ${SEVERITY_LABELS[group.severity]}` },
    {
      label: 'Requests',
      value: `${group.requests} (${group.successful} successful / ${group.unsuccessful} unsuccessful)`,
    },
  ];
}

export function SpansTooltip({
  frame,
  dataIdxs,
  seriesIdx,
  mode,
  isPinned,
  group,
  groupColour,
  timeZone,
  maxHeight,
}: SpansTooltipProps) {
  const xIdx = dataIdxs.find((idx) => idx != null) ?? null;
  const time = xIdx != null ? frame.fields[0].values[xIdx] : undefined;
  const theme = useTheme2();
  const items = seriesItems(frame, dataIdxs, seriesIdx, mode, theme);
  return (
    <VizTooltipWrapper>
      {time != null && (
        <VizTooltipHeader item={{ label: '', value: dateTimeFormat(time, { timeZone }) }} isPinned={isPinned} />
      )}
      {items.length > 0 && (
        <VizTooltipContent items={items} isPinned={isPinned} scrollable={maxHeight != null} maxHeight={maxHeight} />
      )}
      {group && (
        <div data-testid="rarity-span-tooltip">
          <VizTooltipHeader
            item={{
              label: 'Anomaly group',
              value: `${dateTimeFormat(group.start, { timeZone })} – ${dateTimeFormat(group.end, { timeZone })}`,
              color: groupColour,
              colorIndicator: VizTooltipColorIndicator.value,
            }}
            isPinned={isPinned}
          />
          <VizTooltipContent items={groupItems(group)} isPinned={isPinned}>
            {group.explanation && (
              <div style={{ maxWidth: 380, whiteSpace: 'normal', opacity: 0.85 }}>{group.explanation}</div>
            )}
          </VizTooltipContent>
        </div>
      )}
    </VizTooltipWrapper>
  );
}
