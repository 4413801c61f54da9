/**
 * A log view of `log-lines` frames that shows which entries belong to anomaly groups: the Cryptolens
 * properties per entry, the group banded in its severity colour, its first and last entries marked, a switch
 * for anomalous entries only, previous / next group, and a filter on the `group` dashboard variable the spans
 * panel sets. Rows are virtualised (react-window), so a result of 100 000 entries renders as a screenful.
 */
import { colorManipulator, type PanelProps } from '@grafana/data';
import { Button, ButtonGroup, InlineSwitch, useStyles2, useTheme2 } from '@grafana/ui';
import { useCallback, useMemo, useRef, useState } from 'react';
import { FixedSizeList, type ListChildComponentProps, type ListOnItemsRenderedProps } from 'react-window';

import { bandColours, SEVERITY_ORDER, type SeverityColours } from '../common/severity.ts';
import { DEFAULT_GROUP_VARIABLE, readVariable, setVariable } from '../common/variables.ts';
import { adjacentGroup, filterEntries, groupStarts, readLogEntries, type LogEntry } from './logEntries.ts';
import { LogRow, ROW_HEIGHT } from './LogRow.tsx';
import { getLogsStyles } from './styles.ts';
import type { LogsOptions } from './types.ts';

const TOOLBAR_HEIGHT = 36;
const HEADER_HEIGHT = 26;

interface RowData {
  entries: LogEntry[];
  render: (entry: LogEntry, index: number, style: React.CSSProperties) => React.ReactNode;
}

function Row({ index, style, data }: ListChildComponentProps<RowData>) {
  return <>{data.render(data.entries[index], index, style)}</>;
}

export function LogsPanel({ data, width, height, options, timeZone, replaceVariables }: PanelProps<LogsOptions>) {
  const theme = useTheme2();
  const styles = useStyles2(getLogsStyles);
  // The toggle starts from the panel option and follows it when the option changes; a click overrides it
  // until then. Derived during render rather than synced in an effect, which would render twice.
  const optionOnlyAnomalous = options.onlyAnomalous ?? false;
  const [choice, setChoice] = useState<{ option: boolean; value: boolean }>();
  const onlyAnomalous = choice?.option === optionOnlyAnomalous ? choice.value : optionOnlyAnomalous;

  const variable = options.groupVariable || DEFAULT_GROUP_VARIABLE;
  const groupId = readVariable(replaceVariables, variable);
  const all = useMemo(() => readLogEntries(data.series, options.order ?? 'asc'), [data.series, options.order]);
  const entries = useMemo(() => filterEntries(all, { onlyAnomalous, groupId }), [all, onlyAnomalous, groupId]);
  const starts = useMemo(() => groupStarts(entries), [entries]);
  const groupCount = useMemo(() => new Set(all.flatMap((e) => (e.group ? [e.group.id] : []))).size, [all]);

  const colours = useMemo((): SeverityColours => {
    const chosen = bandColours(options.colours);
    return Object.fromEntries(
      SEVERITY_ORDER.map((name) => [name, theme.visualization.getColorByName(chosen[name])]),
    ) as SeverityColours;
  }, [options.colours, theme]);
  // A light wash of the band colour: readable text in both themes, the band still recognisable.
  const tint = useCallback(
    (colour: string) => colorManipulator.alpha(colour, theme.isDark ? 0.16 : 0.22),
    [theme.isDark],
  );

  const list = useRef<FixedSizeList<RowData>>(null);
  const top = useRef(0);
  const onItemsRendered = useCallback((props: ListOnItemsRenderedProps) => {
    top.current = props.visibleStartIndex;
  }, []);
  const jump = (direction: 1 | -1) => {
    const target = adjacentGroup(starts, top.current, direction);
    if (target !== undefined) {
      top.current = target;
      list.current?.scrollToItem(target, 'start');
    }
  };

  const itemData = useMemo<RowData>(
    () => ({
      entries,
      render: (entry, index, style) => (
        <LogRow
          key={entry.key}
          entry={entry}
          index={index}
          style={style}
          styles={styles}
          colours={colours}
          timeZone={timeZone}
          tint={tint}
        />
      ),
    }),
    [entries, styles, colours, timeZone, tint],
  );

  const listHeight = Math.max(ROW_HEIGHT, height - TOOLBAR_HEIGHT - HEADER_HEIGHT);
  return (
    <div className={styles.container} style={{ width, height }} data-testid="rarity-logs-panel">
      <div className={styles.toolbar} style={{ height: TOOLBAR_HEIGHT }}>
        <InlineSwitch
          label="Only anomalous"
          showLabel
          transparent
          value={onlyAnomalous}
          onChange={(e) => setChoice({ option: optionOnlyAnomalous, value: e.currentTarget.checked })}
          aria-label="Only anomalous entries"
        />
        <ButtonGroup>
          <Button
            size="sm"
            variant="secondary"
            fill="outline"
            icon="arrow-up"
            onClick={() => jump(-1)}
            disabled={starts.length === 0}
          >
            Previous group
          </Button>
          <Button
            size="sm"
            variant="secondary"
            fill="outline"
            icon="arrow-down"
            onClick={() => jump(1)}
            disabled={starts.length === 0}
          >
            Next group
          </Button>
        </ButtonGroup>
        {groupId && (
          <Button
            size="sm"
            variant="primary"
            fill="outline"
            icon="times"
            onClick={() => setVariable(variable, undefined)}
            tooltip="Show all groups"
          >
            Group {groupId}
          </Button>
        )}
        <span className={styles.summary}>
          {entries.length.toLocaleString('en')} of {all.length.toLocaleString('en')} entries · {groupCount} group
          {groupCount === 1 ? '' : 's'}
        </span>
      </div>
      <div className={styles.header} role="row">
        <span />
        <span>Time</span>
        <span>Successful</span>
        <span>Group Id (Anomaly)</span>
        <span>Starting At (Anomaly)</span>
        <span>Ending At (Anomaly)</span>
        <span>Body</span>
      </div>
      {entries.length === 0 ? (
        <div className={styles.empty}>
          {all.length === 0 ? 'No log entries in this time range' : 'No entries match: no anomalous entries here'}
        </div>
      ) : (
        <FixedSizeList<RowData>
          ref={list}
          height={listHeight}
          width={width}
          itemCount={entries.length}
          itemSize={ROW_HEIGHT}
          itemData={itemData}
          itemKey={(index, d) => d.entries[index].key}
          onItemsRendered={onItemsRendered}
          overscanCount={10}
        >
          {Row}
        </FixedSizeList>
      )}
    </div>
  );
}
