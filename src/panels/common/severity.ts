/**
 * Kibana's anomaly severity bands (docs/detection.md, Severity bands) as the panels use them: a band per
 * score, a colour per band that the panel options may override, and a rank so "at least minor" filters are
 * one comparison.
 */
import {
  SEVERITY_BANDS,
  SEVERITY_COLOURS,
  SEVERITY_ORDER,
  severityOf,
  type SeverityName,
} from '../../../common/severity.ts';

export { SEVERITY_ORDER };
export type { SeverityName };

const capitalised = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** "Critical (≥ 75)" … "Low (< 3)", from the bands themselves. */
export const SEVERITY_LABELS = Object.fromEntries(
  SEVERITY_BANDS.map((band, i) => [
    band.name,
    i === 0 ? `${capitalised(band.name)} (< ${SEVERITY_BANDS[1].from})` : `${capitalised(band.name)} (≥ ${band.from})`,
  ]),
) as Record<SeverityName, string>;

export type SeverityColours = Record<SeverityName, string>;

/** Kibana's colours, the one definition the backend frames also use. */
export const DEFAULT_SEVERITY_COLOURS: SeverityColours = { ...SEVERITY_COLOURS };

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
    if (typeof chosen === 'string' && chosen.trim() !== '') {
      colours[name] = chosen;
    }
  }
  return colours;
}
