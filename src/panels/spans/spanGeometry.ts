/**
 * Where spans are on the plot: which to draw (visible, strong enough, weakest first so the strongest ends on
 * top) and which one the cursor is over (the strongest covering it). Pure functions of numbers, so they are
 * tested without a canvas and stay cheap with 10 000 groups.
 */
import { atLeast, type SeverityName } from '../common/severity.ts';
import type { AnomalyGroup } from '../common/groups.ts';

/** Groups at or above `minimum`, weakest first (draw order; the strongest is drawn last, on top). */
export function drawOrder(groups: readonly AnomalyGroup[], minimum: SeverityName): AnomalyGroup[] {
  return groups
    .filter((g) => atLeast(g.maxScore, minimum))
    .sort((a, b) => a.maxScore - b.maxScore || a.start - b.start);
}

/**
 * The strongest group covering time `x`, widened by `slack` (ms) on both sides so spans narrower than a few
 * pixels can still be hovered. `ordered` is in draw order, so the scan runs from the top layer down.
 */
export function groupAt(ordered: readonly AnomalyGroup[], x: number, slack = 0): AnomalyGroup | undefined {
  for (let i = ordered.length - 1; i >= 0; i--) {
    const g = ordered[i];
    if (x >= g.start - slack && x <= g.end + slack) {
      return g;
    }
  }
  return undefined;
}

/** Zoom target for a clicked group: the span with a tenth of its length (at least a minute) either side. */
export function zoomRange(group: AnomalyGroup): { from: number; to: number } {
  const pad = Math.max((group.end - group.start) / 10, 60_000);
  return { from: group.start - pad, to: group.end + pad };
}
