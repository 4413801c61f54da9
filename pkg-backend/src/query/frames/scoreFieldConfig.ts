/** Field config that colours scores by Kibana's anomaly severity bands (docs/detection.md, Severity bands). */
import { MAX_SCORE, MIN_SCORE } from '../../../../common/limits.ts';
import { severityThresholdSteps } from '../../../../common/severity.ts';
import type { FieldConfig } from '../contract.ts';

export function scoreFieldConfig(displayName: string): FieldConfig {
  return {
    displayNameFromDS: displayName,
    min: MIN_SCORE,
    max: MAX_SCORE,
    decimals: 1,
    unit: 'none',
    color: { mode: 'thresholds' },
    thresholds: { mode: 'absolute', steps: severityThresholdSteps() },
    custom: { cellOptions: { type: 'color-background', mode: 'basic' } },
  };
}
