/** Options of the spans panel (saved in the dashboard JSON). */
import type { OptionsWithLegend, OptionsWithTooltip } from '@grafana/schema';

import type { SeverityColours, SeverityName } from '../common/severity.ts';

export interface SpansOptions extends OptionsWithLegend, OptionsWithTooltip {
  /** refId of the query whose `groups` frame holds the spans; empty = any frame shaped like groups. */
  groupsRefId: string;
  /** Groups weaker than this band are not drawn. */
  minSeverity: SeverityName;
  /** A colour per Kibana band; unset bands keep Kibana's. */
  colours: Partial<SeverityColours>;
  /** Opacity of the shaded span (0–1); the strip along the top is always opaque. */
  fillOpacity: number;
  /** Dashboard variable a click on a span sets to the group id (the logs panel filters by it). */
  groupVariable: string;
}

/** Defaults the options editor starts from (module.ts); tests mount the panel with them too. */
export const DEFAULT_SPANS_OPTIONS: Omit<SpansOptions, 'legend' | 'tooltip'> = {
  groupsRefId: '',
  minSeverity: 'warning',
  colours: {},
  fillOpacity: 0.2,
  groupVariable: 'group',
};
