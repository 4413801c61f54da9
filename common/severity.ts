/**
 * Severity bands of a normalised score, as Kibana's anomaly explorer colours them (ml-cpp
 * CAnomalyScore::normalizedScoreToSeverity has the same 25/50/75 cut-offs; Kibana adds "warning" from 3 and
 * "low" below it). The one definition: backend frames, annotations and panels all read it.
 */

export type SeverityName = 'critical' | 'major' | 'minor' | 'warning' | 'low';

export interface Severity {
  name: SeverityName;
  color: string;
}

export interface SeverityBand extends Severity {
  /** Lowest score in the band; the weakest band starts at 0. */
  from: number;
}

/** Weakest to strongest: drawing in this order leaves the strongest band on top. */
export const SEVERITY_BANDS: readonly SeverityBand[] = [
  { name: 'low', from: 0, color: '#d2e9f7' },
  { name: 'warning', from: 3, color: '#8bc8fb' },
  { name: 'minor', from: 25, color: '#fdec25' },
  { name: 'major', from: 50, color: '#fba740' },
  { name: 'critical', from: 75, color: '#fe5050' },
];

export const SEVERITY_ORDER: readonly SeverityName[] = SEVERITY_BANDS.map((band) => band.name);

/** Lowest score of each band, e.g. SEVERITY_FROM.minor = 25. */
export const SEVERITY_FROM = Object.fromEntries(SEVERITY_BANDS.map((band) => [band.name, band.from])) as Record<
  SeverityName,
  number
>;

/** Kibana's colour of each band. */
export const SEVERITY_COLOURS = Object.fromEntries(SEVERITY_BANDS.map((band) => [band.name, band.color])) as Record<
  SeverityName,
  string
>;

/** Severity of a 0–100 score; NaN counts as low. Returns a fresh object. */
export function severityOf(score: number): Severity {
  for (let i = SEVERITY_BANDS.length - 1; i > 0; i--) {
    const band = SEVERITY_BANDS[i];
    if (score >= band.from) {
      return { name: band.name, color: band.color };
    }
  }
  return { name: SEVERITY_BANDS[0].name, color: SEVERITY_BANDS[0].color };
}

/** Grafana threshold steps that colour a 0–100 field by band (the first step has no lower bound). */
export function severityThresholdSteps(): Array<{ value: number | null; color: string }> {
  return SEVERITY_BANDS.map((band, i) => ({ value: i === 0 ? null : band.from, color: band.color }));
}
