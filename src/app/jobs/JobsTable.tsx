/**
 * The jobs of one state store, one row each: what the job detects, its status, how far it got, whether it
 * is still learning, its memory status and last error, and the Reset / Delete buttons (the page confirms).
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Badge, Button, InteractiveTable, Stack, Text, Tooltip, useStyles2, type Column } from '@grafana/ui';
import { useMemo } from 'react';

import type { JobSummary } from '../../../common/resources.ts';
import { MEMORY_LOOK, STATUS_LOOK, formatLag, formatLearning, formatTime } from './format.ts';

export type JobAction = 'reset' | 'delete';

interface Props {
  jobs: JobSummary[];
  onAction(job: JobSummary, action: JobAction): void;
}

export function JobsTable({ jobs, onAction }: Props) {
  const styles = useStyles2(getStyles);
  const columns = useMemo<Array<Column<JobSummary>>>(
    () => [
      {
        id: 'description',
        header: 'Job',
        sortType: 'string',
        cell: ({ row: { original: job } }) => (
          <div className={styles.job}>
            <Text>{job.description}</Text>
            <span className={styles.key}>{job.key}</span>
          </div>
        ),
      },
      {
        id: 'status',
        header: 'Status',
        sortType: 'string',
        disableGrow: true,
        cell: ({ row: { original: job } }) => {
          const look = STATUS_LOOK[job.status];
          return <Badge text={look.text} color={look.color} icon={look.icon} tooltip={look.tooltip} />;
        },
      },
      {
        id: 'processedUntil',
        header: 'Processed until',
        disableGrow: true,
        cell: ({ row: { original: job } }) =>
          job.processedUntil ? (
            <div className={styles.nowrap}>
              <Text>{formatTime(job.processedUntil)}</Text>
              <br />
              <Text color="secondary" variant="bodySmall">
                {formatLag(job.lagSeconds) ?? ''}
              </Text>
            </div>
          ) : (
            <Text color="secondary">not yet</Text>
          ),
      },
      {
        id: 'learning',
        header: 'Learning',
        disableGrow: true,
        cell: ({ row: { original: job } }) => (
          <span className={styles.nowrap}>
            <Text color={job.learning ? 'primary' : 'secondary'}>
              {formatLearning(job.learning, job.learningUntil)}
            </Text>
          </span>
        ),
      },
      {
        id: 'memoryStatus',
        header: 'Memory',
        disableGrow: true,
        cell: ({ row: { original: job } }) => {
          if (job.memoryStatus === 'ok') {
            return <Text color="secondary">ok</Text>;
          }
          const look = MEMORY_LOOK[job.memoryStatus];
          return <Badge text={look.text} color={look.color} icon={look.icon} tooltip={look.tooltip} />;
        },
      },
      {
        id: 'lastError',
        header: 'Last error',
        cell: ({ row: { original: job } }) =>
          job.lastError ? (
            <Tooltip
              content={
                <div className={styles.errorTooltip}>
                  {job.lastErrorAt ? `${formatTime(job.lastErrorAt)}: ` : ''}
                  {job.lastError}
                </div>
              }
            >
              {/* Focusable, so the full text is reachable without a mouse. */}
              <span className={styles.error} tabIndex={0} data-testid={`last-error-${job.key}`}>
                {job.lastError}
              </span>
            </Tooltip>
          ) : (
            <Text color="secondary">none</Text>
          ),
      },
      {
        id: 'actions',
        disableGrow: true,
        cell: ({ row: { original: job } }) => (
          <Stack direction="row" gap={1} justifyContent="flex-end">
            <Button
              size="sm"
              variant="secondary"
              icon="history"
              aria-label={`Reset job ${job.key}`}
              tooltip="Forget what this job has analysed; its next use starts over"
              onClick={() => onAction(job, 'reset')}
            >
              Reset
            </Button>
            <Button
              size="sm"
              variant="destructive"
              fill="outline"
              icon="trash-alt"
              aria-label={`Delete job ${job.key}`}
              tooltip="Delete this job and its results"
              onClick={() => onAction(job, 'delete')}
            >
              Delete
            </Button>
          </Stack>
        ),
      },
    ],
    [styles, onAction],
  );
  return <InteractiveTable columns={columns} data={jobs} getRowId={(job) => job.key} />;
}

const getStyles = (theme: GrafanaTheme2) => ({
  job: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(0.25), minWidth: 220 }),
  key: css({
    fontFamily: theme.typography.fontFamilyMonospace,
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
  }),
  nowrap: css({ whiteSpace: 'nowrap' }),
  error: css({
    display: 'block',
    maxWidth: 260,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    color: theme.colors.error.text,
  }),
  errorTooltip: css({ maxWidth: 480, whiteSpace: 'pre-wrap', wordBreak: 'break-word' }),
});
