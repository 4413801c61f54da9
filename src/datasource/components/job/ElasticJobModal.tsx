/**
 * "Paste Elastic job JSON": the body of PUT _ml/anomaly_detectors/<job_id>, that console request, or a GET
 * response holding one job. Apply reads it with checkElasticJob; with any problem, every one is listed with its
 * JSON path and nothing is applied.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, Modal, TextArea, useStyles2 } from '@grafana/ui';
import { useState } from 'react';

import { checkElasticJob, type JobProblem } from '../../../../common/elasticJob.ts';
import type { JobDefinition } from '../../../../common/jobModel.ts';

interface Props {
  isOpen: boolean;
  onDismiss: () => void;
  /** Called with a job that has no problems; the modal closes afterwards. */
  onApply: (job: JobDefinition) => void;
}

export function ElasticJobModal({ isOpen, onDismiss, onApply }: Props) {
  const styles = useStyles2(getStyles);
  const [text, setText] = useState('');
  const [problems, setProblems] = useState<JobProblem[]>([]);

  const apply = () => {
    const checked = checkElasticJob(text);
    if (!checked.job) {
      setProblems(checked.problems);
      return;
    }
    setProblems([]);
    setText('');
    onApply(checked.job);
  };

  return (
    <Modal title="Paste Elastic job JSON" isOpen={isOpen} onDismiss={onDismiss} className={styles.modal}>
      <p className={styles.hint}>
        The body of <code>PUT _ml/anomaly_detectors/&lt;job_id&gt;</code> (with or without that line), or the response
        of <code>GET _ml/anomaly_detectors/&lt;job_id&gt;</code>. Rarity runs the rare and freq_rare detectors; the
        bucket span, influencers and <code>custom_settings.rarity.group_field</code> are kept too.
      </p>
      <label htmlFor="rarity-elastic-job" className={styles.label}>
        Elastic job JSON
      </label>
      <TextArea
        id="rarity-elastic-job"
        rows={16}
        className={styles.code}
        spellCheck={false}
        invalid={problems.length > 0}
        placeholder={'{\n  "analysis_config": {\n    "bucket_span": "1h",\n    "detectors": [ … ]\n  }\n}'}
        value={text}
        onChange={(event) => setText(event.currentTarget.value)}
      />
      {problems.length > 0 && (
        <Alert
          severity="error"
          title={
            problems.length === 1
              ? 'The job has a problem; nothing was applied'
              : `The job has ${problems.length} problems; nothing was applied`
          }
          className={styles.problems}
        >
          <ul data-testid="elastic-job-problems">
            {problems.map((problem, i) => (
              <li key={i}>
                {problem.path && <code>{problem.path}</code>}
                {problem.path && ': '}
                {problem.message}
              </li>
            ))}
          </ul>
        </Alert>
      )}
      <Modal.ButtonRow>
        <Button variant="secondary" fill="outline" onClick={onDismiss}>
          Cancel
        </Button>
        <Button onClick={apply} disabled={text.trim() === ''}>
          Apply
        </Button>
      </Modal.ButtonRow>
    </Modal>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  modal: css({ width: 'min(880px, 90vw)' }),
  hint: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  label: css({ display: 'block', fontWeight: theme.typography.fontWeightMedium, marginBottom: theme.spacing(0.5) }),
  code: css({ fontFamily: theme.typography.fontFamilyMonospace, fontSize: theme.typography.bodySmall.fontSize }),
  problems: css({ marginTop: theme.spacing(1), ul: { paddingLeft: theme.spacing(2) } }),
});
