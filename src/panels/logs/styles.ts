import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

/** Column widths shared by the header and the rows (mark, time, successful, group id, starting, ending, body). */
export const COLUMNS = '58px 136px 72px 132px 132px 124px minmax(160px, 1fr)';

export function getLogsStyles(theme: GrafanaTheme2) {
  const row = css({
    display: 'grid',
    gridTemplateColumns: COLUMNS,
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(0, 1),
    fontSize: theme.typography.bodySmall.fontSize,
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    whiteSpace: 'nowrap',
    boxSizing: 'border-box',
  });
  return {
    container: css({ display: 'flex', flexDirection: 'column', height: '100%', overflow: 'hidden' }),
    toolbar: css({
      display: 'flex',
      alignItems: 'center',
      gap: theme.spacing(1),
      minHeight: 32,
      paddingBottom: theme.spacing(0.5),
      flexWrap: 'nowrap',
      overflow: 'hidden',
    }),
    summary: css({
      color: theme.colors.text.secondary,
      fontSize: theme.typography.bodySmall.fontSize,
      marginLeft: 'auto',
      whiteSpace: 'nowrap',
    }),
    header: css(row, {
      color: theme.colors.text.secondary,
      fontWeight: theme.typography.fontWeightMedium,
      background: theme.colors.background.secondary,
      height: 26,
    }),
    row,
    anomalous: css({ color: theme.colors.text.primary }),
    cell: css({ overflow: 'hidden', textOverflow: 'ellipsis' }),
    mono: css({ fontFamily: theme.typography.fontFamilyMonospace }),
    number: css({ textAlign: 'right' }),
    failed: css({ color: theme.colors.error.text }),
    time: css({ fontFamily: theme.typography.fontFamilyMonospace, color: theme.colors.text.secondary }),
    body: css({ overflow: 'hidden', textOverflow: 'ellipsis', color: theme.colors.text.primary }),
    mark: css({ overflow: 'hidden' }),
    markBadge: css({
      display: 'inline-block',
      padding: '0 4px',
      border: '1px solid',
      borderRadius: theme.shape.radius.default,
      fontSize: 10,
      lineHeight: '14px',
      fontWeight: theme.typography.fontWeightMedium,
      textTransform: 'uppercase',
    }),
    empty: css({ padding: theme.spacing(2), color: theme.colors.text.secondary }),
  };
}

export type LogsStyles = ReturnType<typeof getLogsStyles>;
