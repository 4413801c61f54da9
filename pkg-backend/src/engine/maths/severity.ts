// Severity bands of a normalised score, as Kibana's anomaly explorer colours them
// (ml-cpp CAnomalyScore::normalizedScoreToSeverity has the same 25/50/75 cut-offs; Kibana adds
// "warning" from 3 and "low" below it).

export type SeverityName = 'critical' | 'major' | 'minor' | 'warning' | 'low';

export interface Severity {
  name: SeverityName;
  color: string;
}

const BANDS: ReadonlyArray<readonly [number, Severity]> = [
  [75, { name: 'critical', color: '#fe5050' }],
  [50, { name: 'major', color: '#fba740' }],
  [25, { name: 'minor', color: '#fdec25' }],
  [3, { name: 'warning', color: '#8bc8fb' }],
];
const LOW: Severity = { name: 'low', color: '#d2e9f7' };

/** Severity of a 0–100 score; NaN counts as low. Returns a fresh object. */
export function severityOf(score: number): Severity {
  for (const [threshold, severity] of BANDS) if (score >= threshold) return { ...severity };
  return { ...LOW };
}
