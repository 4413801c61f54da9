/**
 * What Grafana's panel renderer gives a panel, built outside Grafana: frames decoded from the JSON Grafana's
 * /api/ds/query returns (dataFrameFromJSON) with field overrides applied (display processors, display names),
 * a time range, variables read from the URL (where locationService.partial writes them) and a zoom callback
 * the test can read.
 */
import {
  applyFieldOverrides,
  dataFrameFromJSON,
  dateTime,
  EventBusSrv,
  FieldConfigOptionsRegistry,
  LoadingState,
  type DataFrame,
  type DataFrameJSON,
  type GrafanaTheme2,
  type PanelProps,
  type TimeRange,
} from '@grafana/data';

export interface HarnessWindow {
  zooms: Array<{ from: number; to: number }>;
  rendered?: boolean;
}

export const harness: HarnessWindow = ((window as unknown as { harness: HarnessWindow }).harness = { zooms: [] });

export function timeRange(from: number, to: number): TimeRange {
  return { from: dateTime(from), to: dateTime(to), raw: { from: dateTime(from), to: dateTime(to) } };
}

export function prepareFrames(json: DataFrameJSON[], theme: GrafanaTheme2): DataFrame[] {
  return applyFieldOverrides({
    data: json.map((frame) => dataFrameFromJSON(frame)),
    fieldConfig: { defaults: {}, overrides: [] },
    fieldConfigRegistry: new FieldConfigOptionsRegistry(),
    replaceVariables: (text) => text,
    theme,
    timeZone: 'utc',
  });
}

/** ${name} / $name from the URL's var-<name>, as Grafana's template service would answer for a textbox variable. */
export function replaceVariables(text: string): string {
  const search = new URLSearchParams(window.location.search);
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    return search.has(`var-${name}`) ? search.get(`var-${name}`)! : name === 'group' ? '' : whole;
  });
}

export function panelProps<T>(
  options: T,
  series: DataFrame[],
  range: TimeRange,
  size: { width: number; height: number },
  onZoom: (r: TimeRange) => void,
): PanelProps<T> {
  return {
    id: 1,
    data: { series, state: LoadingState.Done, timeRange: range },
    timeRange: range,
    timeZone: 'utc',
    options,
    fieldConfig: { defaults: {}, overrides: [] },
    transparent: false,
    width: size.width,
    height: size.height,
    renderCounter: 0,
    title: 'Rarity',
    eventBus: new EventBusSrv(),
    onOptionsChange: () => undefined,
    onFieldConfigChange: () => undefined,
    replaceVariables,
    onChangeTimeRange: (r) => {
      const zoom = { from: r.from, to: r.to };
      harness.zooms.push(zoom);
      onZoom(timeRange(zoom.from, zoom.to));
    },
  } as PanelProps<T>;
}
