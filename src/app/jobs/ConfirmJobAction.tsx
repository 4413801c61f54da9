/**
 * The confirmation before a Reset or Delete: both throw away analysed history that only a new backfill can
 * rebuild, so neither runs on one click.
 */
import { ConfirmModal, Text } from '@grafana/ui';

import type { JobSummary } from '../../../common/resources.ts';
import type { JobAction } from './JobsTable.tsx';

interface Props {
  job: JobSummary;
  action: JobAction;
  onConfirm(): Promise<void>;
  onDismiss(): void;
}

const WORDING: Record<JobAction, { title: string; confirm: string; consequence: string }> = {
  reset: {
    title: 'Reset job',
    confirm: 'Reset',
    consequence:
      'Its results, snapshots and progress are deleted; the definition stays, and the next query or alert rule that uses it analyses the history again.',
  },
  delete: {
    title: 'Delete job',
    confirm: 'Delete',
    consequence:
      'The job and all its results are deleted. A query or alert rule that uses the same detector later creates it again, from scratch.',
  },
};

export function ConfirmJobAction({ job, action, onConfirm, onDismiss }: Props) {
  const wording = WORDING[action];
  return (
    <ConfirmModal
      isOpen
      title={wording.title}
      body={
        <Text element="p">
          {wording.confirm} <strong>{job.description}</strong> ({job.key})?
        </Text>
      }
      description={wording.consequence}
      confirmText={wording.confirm}
      confirmVariant="destructive"
      onConfirm={onConfirm}
      onDismiss={onDismiss}
    />
  );
}
