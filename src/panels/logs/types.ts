/** Options of the logs panel (saved in the dashboard JSON). */
import type { SeverityColours } from '../common/severity.ts';

export interface LogsOptions {
  /** Start with only entries of anomalous groups shown (the panel's switch toggles it). */
  onlyAnomalous: boolean;
  /** Oldest first reads a group from its Starting At to its Ending At. */
  order: 'asc' | 'desc';
  /** Dashboard variable holding a group id to filter to (set by the spans panel). */
  groupVariable: string;
  colours: Partial<SeverityColours>;
}

/** Defaults the options editor starts from (module.ts); tests mount the panel with them too. */
export const DEFAULT_LOGS_OPTIONS: LogsOptions = {
  onlyAnomalous: false,
  order: 'asc',
  groupVariable: 'group',
  colours: {},
};
