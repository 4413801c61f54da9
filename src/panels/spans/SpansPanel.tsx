/**
 * Time series with anomaly groups overlaid as shaded spans. The chart is @grafana/ui's TimeSeries with the
 * plugins Grafana's own time series panel uses (keyboard, shared cursor, TooltipPlugin2 with drag-to-zoom), so
 * zoom, tooltip, theme and crosshair behave natively; the spans are one more uPlot plugin.
 */
import { useCallback, useMemo } from 'react';
import { DashboardCursorSync, type PanelProps } from '@grafana/data';
import { PanelDataErrorView } from '@grafana/runtime';
import {
  EventBusPlugin,
  KeyboardPlugin,
  TimeSeries,
  TooltipDisplayMode,
  TooltipPlugin2,
  usePanelContext,
  useTheme2,
} from '@grafana/ui';

import { findGroupsFrames, readGroups, type AnomalyGroup } from '../common/groups.ts';
import { bandColours, SEVERITY_ORDER, type SeverityColours } from '../common/severity.ts';
import { DEFAULT_GROUP_VARIABLE, setVariable } from '../common/variables.ts';
import { graphableFrames } from './graphableFrames.ts';
import { drawOrder, zoomRange } from './spanGeometry.ts';
import { groupUnderCursor, SpansPlugin } from './SpansPlugin.tsx';
import { SpansTooltip } from './SpansTooltip.tsx';
import type { SpansOptions } from './types.ts';

// TooltipHoverMode is a const enum in @grafana/ui's types (no runtime object); these are its values.
const HOVER_X_ONE = 0;
const HOVER_X_ALL = 1;

export function SpansPanel({
  data,
  timeRange,
  timeZone,
  width,
  height,
  options,
  fieldConfig,
  onChangeTimeRange,
  id,
}: PanelProps<SpansOptions>) {
  const { sync, eventsScope, eventBus } = usePanelContext();
  const theme = useTheme2();
  const cursorSync = sync?.() ?? DashboardCursorSync.Off;

  const groupsFrames = useMemo(
    () => findGroupsFrames(data.series, options.groupsRefId),
    [data.series, options.groupsRefId],
  );
  const spans = useMemo(
    () => drawOrder(readGroups(groupsFrames), options.minSeverity ?? 'warning'),
    [groupsFrames, options.minSeverity],
  );
  const frames = useMemo(() => graphableFrames(data.series, groupsFrames), [data.series, groupsFrames]);
  const colours = useMemo((): SeverityColours => {
    const chosen = bandColours(options.colours);
    // Colour pickers save names such as "red"; the canvas needs real colours.
    return Object.fromEntries(
      SEVERITY_ORDER.map((name) => [name, theme.visualization.getColorByName(chosen[name])]),
    ) as SeverityColours;
  }, [options.colours, theme]);

  const select = useCallback(
    (group: AnomalyGroup) => {
      onChangeTimeRange(zoomRange(group));
      setVariable(options.groupVariable || DEFAULT_GROUP_VARIABLE, group.id);
    },
    [onChangeTimeRange, options.groupVariable],
  );

  if (frames.length === 0) {
    return <PanelDataErrorView panelId={id} data={data} fieldConfig={fieldConfig} needsTimeField needsNumberField />;
  }

  const tooltipMode = options.tooltip?.mode ?? TooltipDisplayMode.Multi;
  return (
    <TimeSeries
      frames={frames}
      structureRev={data.structureRev}
      timeRange={timeRange}
      timeZone={timeZone}
      width={width}
      height={height}
      legend={options.legend}
      options={options}
    >
      {(config, alignedFrame) => (
        <>
          <KeyboardPlugin config={config} />
          {cursorSync !== DashboardCursorSync.Off && (
            <EventBusPlugin config={config} eventBus={eventBus} frame={alignedFrame} />
          )}
          <SpansPlugin
            config={config}
            spans={spans}
            colours={colours}
            fillOpacity={options.fillOpacity ?? 0.2}
            onSelect={select}
          />
          {tooltipMode !== TooltipDisplayMode.None && (
            <TooltipPlugin2
              config={config}
              hoverMode={(tooltipMode === TooltipDisplayMode.Single ? HOVER_X_ONE : HOVER_X_ALL) as never}
              queryZoom={onChangeTimeRange}
              clientZoom={true}
              syncMode={cursorSync}
              syncScope={eventsScope}
              render={(u, dataIdxs, seriesIdx, isPinned = false) => {
                const group = groupUnderCursor(u, spans);
                return (
                  <SpansTooltip
                    frame={alignedFrame}
                    dataIdxs={dataIdxs}
                    seriesIdx={seriesIdx}
                    mode={tooltipMode}
                    isPinned={isPinned}
                    group={group}
                    groupColour={group ? colours[group.severity] : undefined}
                    timeZone={timeZone}
                    maxHeight={options.tooltip?.maxHeight}
                  />
                );
              }}
              maxWidth={options.tooltip?.maxWidth ?? 420}
            />
          )}
        </>
      )}
    </TimeSeries>
  );
}
