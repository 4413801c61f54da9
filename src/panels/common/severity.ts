/**
 * Kibana's anomaly severity bands (DESIGN.md §6) as the panels use them: a band per score, a colour per band
 * that the panel options may override, and a rank so "at least minor" filters are one comparison.
 */
import { severityOf, type SeverityName } from '../../../pkg-backend/src/engine/maths/severity.ts';

export type { SeverityName };

/** Weakest to strongest: drawing in this order leaves the strongest band on top. */
export const SEVERITY_ORDER: readonly SeverityName[] = ['low', 'warning', 'minor', 'major', 'critical'];

export const SEVERITY_LABELS: Record<SeverityName, string> = {
  critical: 'Critical (≥ 75)',
  major: 'Major (≥ 50)',
  minor: 'Minor (≥ 25)',
  warning: 'Warning (≥ 3)',
  low: 'Low (< 3)',
};

export type SeverityColours = Record<SeverityName, string>;

/** Kibana's colours, taken from the one definition the backend frames also use. */
export const DEFAULT_SEVERITY_COLOURS: SeverityColours = {
  critical: severityOf(75).color,
  major: severityOf(50).color,
  minor: severityOf(25).color,
  warning: severityOf(3).color,
  low: severityOf(0).color,
};

export function severityName(score: number): SeverityName {
  return severityOf(score).name;
}

export function severityRank(name: SeverityName): number {
  return SEVERITY_ORDER.indexOf(name);
}

export function atLeast(score: number, minimum: SeverityName): boolean {
  return severityRank(severityName(score)) >= severityRank(minimum);
}

/** A colour per band: the panel's choice where set, Kibana's otherwise. */
export function bandColours(overrides: Partial<SeverityColours> | undefined): SeverityColours {
  const colours = { ...DEFAULT_SEVERITY_COLOURS };
  for (const name of SEVERITY_ORDER) {
    const chosen = overrides?.[name];
    if (typeof chosen === 'string' && chosen.trim() !== '') colours[name] = chosen;
  }
  return colours;
}
