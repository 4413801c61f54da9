/**
 * One line of the log list: a band in the group's severity colour, the Starting At / Ending At mark, time,
 * Successful, the three Cryptolens properties and the body. Fixed height, so react-window can position rows
 * without measuring them.
 */
import { cx } from '@emotion/css';
import { dateTimeFormat } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';
import type { CSSProperties } from 'react';

import type { SeverityColours } from '../common/severity.ts';
import type { LogEntry } from './logEntries.ts';
import type { LogsStyles } from './styles.ts';

export const ROW_HEIGHT = 26;

const MARK_TEXT = { first: 'first', last: 'last', only: 'first · last' } as const;
const MARK_TITLE = {
  first: 'First entry of the group (its Starting At)',
  last: 'Last entry of the group (its Ending At)',
  only: 'Only entry of the group (Starting At = Ending At)',
} as const;

interface LogRowProps {
  entry: LogEntry;
  index: number;
  style: CSSProperties;
  styles: LogsStyles;
  colours: SeverityColours;
  timeZone: TimeZone;
  tint: (colour: string) => string;
}

export function LogRow({ entry, index, style, styles, colours, timeZone, tint }: LogRowProps) {
  const group = entry.group;
  const colour = group ? colours[group.severity] : undefined;
  const rowStyle: CSSProperties = group
    ? {
        ...style,
        background: tint(colour!),
        boxShadow: `inset 4px 0 0 ${colour}${entry.mark === 'first' || entry.mark === 'only' ? `, inset 0 2px 0 ${colour}` : ''}${
          entry.mark === 'last' || entry.mark === 'only' ? `, inset 0 -2px 0 ${colour}` : ''
        }`,
      }
    : style;
  return (
    <div
      className={cx(styles.row, group && styles.anomalous)}
      style={rowStyle}
      role="row"
      data-index={index}
      data-group={group?.id}
      data-mark={entry.mark}
      data-severity={group?.severity}
    >
      <span className={styles.mark} title={entry.mark ? MARK_TITLE[entry.mark] : undefined}>
        {entry.mark && (
          <span className={styles.markBadge} style={{ borderColor: colour, color: 'inherit' }}>
            {MARK_TEXT[entry.mark]}
          </span>
        )}
      </span>
      <span className={styles.time}>{dateTimeFormat(entry.time, { timeZone, format: 'YYYY-MM-DD HH:mm:ss' })}</span>
      <span className={cx(styles.cell, entry.successful === false && styles.failed)}>
        {entry.successful === null ? '' : entry.successful ? 'true' : 'false'}
      </span>
      <span
        className={cx(styles.cell, styles.mono)}
        title={group ? `score ${group.score.toFixed(1)} (${group.severity})` : undefined}
      >
        {group?.id ?? ''}
      </span>
      <span className={cx(styles.cell, styles.mono, styles.number)}>{group?.startingAt ?? ''}</span>
      <span className={cx(styles.cell, styles.mono, styles.number)}>{group?.endingAt ?? ''}</span>
      <span className={cx(styles.body, styles.mono)} title={entry.body}>
        {entry.body}
      </span>
    </div>
  );
}
