/** Field config that colours scores by Kibana's anomaly severity bands (DESIGN.md §6). */
import type { FieldConfig } from '../../plugin/frames.ts';

export const SEVERITY_STEPS = [
  { value: null, color: '#d2e9f7' },
  { value: 3, color: '#8bc8fb' },
  { value: 25, color: '#fdec25' },
  { value: 50, color: '#fba740' },
  { value: 75, color: '#fe5050' },
];

export function scoreFieldConfig(displayName: string): FieldConfig {
  return {
    displayNameFromDS: displayName,
    min: 0,
    max: 100,
    decimals: 1,
    unit: 'none',
    color: { mode: 'thresholds' },
    thresholds: { mode: 'absolute', steps: SEVERITY_STEPS },
    custom: { cellOptions: { type: 'color-background', mode: 'basic' } },
  };
}
