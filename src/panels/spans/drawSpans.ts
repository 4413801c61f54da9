/**
 * Paints the spans onto uPlot's canvas in its `drawClear` hook, i.e. under the grid and series as Grafana's
 * own region annotations sit under the data. One Path2D per band, filled once, so 10 000 groups cost
 * 10 000 rect() calls and five fills rather than 10 000 fill-style changes.
 */
import { colorManipulator } from '@grafana/data';
import type uPlot from 'uplot';

import { SEVERITY_ORDER, type SeverityColours, type SeverityName } from '../common/severity.ts';
import type { AnomalyGroup } from '../common/groups.ts';

/** Height of the opaque strip along the top of each span, in CSS pixels. */
export const STRIP_PX = 5;
/** Narrowest span drawn, in CSS pixels: a five-minute group in a month-long view must stay visible. */
export const MIN_WIDTH_PX = 3;

export function drawSpans(
  u: uPlot,
  ordered: readonly AnomalyGroup[],
  colours: SeverityColours,
  fillOpacity: number,
): void {
  const { ctx, bbox } = u;
  const min = u.scales.x.min;
  const max = u.scales.x.max;
  if (min == null || max == null || ordered.length === 0) {
    return;
  }
  const pxRatio = bbox.width / Math.max(1, u.over.clientWidth || bbox.width);
  const strip = Math.max(1, Math.round(STRIP_PX * (pxRatio || 1)));
  const minWidth = MIN_WIDTH_PX * (pxRatio || 1);

  const fills = new Map<SeverityName, Path2D>();
  const strips = new Map<SeverityName, Path2D>();
  for (const g of ordered) {
    if (g.end < min || g.start > max) {
      continue;
    }
    let x0 = u.valToPos(g.start, 'x', true);
    let x1 = u.valToPos(g.end, 'x', true);
    if (x1 - x0 < minWidth) {
      const middle = (x0 + x1) / 2;
      x0 = middle - minWidth / 2;
      x1 = middle + minWidth / 2;
    }
    x0 = Math.max(bbox.left, x0);
    const width = Math.max(1, Math.min(bbox.left + bbox.width, x1) - x0);
    let fill = fills.get(g.severity);
    if (!fill) {
      fills.set(g.severity, (fill = new Path2D()));
      strips.set(g.severity, new Path2D());
    }
    fill.rect(x0, bbox.top, width, bbox.height);
    strips.get(g.severity)!.rect(x0, bbox.top, width, strip);
  }

  ctx.save();
  for (const name of SEVERITY_ORDER) {
    const fill = fills.get(name);
    if (!fill) {
      continue;
    }
    ctx.fillStyle = colorManipulator.alpha(colours[name], fillOpacity);
    ctx.fill(fill);
    ctx.fillStyle = colours[name];
    ctx.fill(strips.get(name)!);
  }
  ctx.restore();
}
