/**
 * The uPlot side of the spans: registers the paint hook and the click handler on the builder that
 * @grafana/ui's TimeSeries hands its children (the pattern of Grafana's AnnotationsPlugin2), and redraws when
 * the spans or their colours change. Hover is left to TooltipPlugin2, which asks `groupUnderCursor`.
 */
import { useEffect, useLayoutEffect, useRef } from 'react';
import type uPlot from 'uplot';
import type { UPlotConfigBuilder } from '@grafana/ui';

import type { AnomalyGroup } from '../common/groups.ts';
import type { SeverityColours } from '../common/severity.ts';
import { drawSpans } from './drawSpans.ts';
import { groupAt } from './spanGeometry.ts';

/** Pixels of slack around a span for hover and click. */
const HIT_SLACK_PX = 3;
/** A mouse-up further than this from its mouse-down was a drag-to-zoom, not a click. */
const CLICK_TOLERANCE_PX = 3;

/** The strongest span under uPlot's cursor, if any. */
export function groupUnderCursor(u: uPlot, ordered: readonly AnomalyGroup[]): AnomalyGroup | undefined {
  const left = u.cursor.left;
  if (left == null || left < 0 || ordered.length === 0) {
    return undefined;
  }
  const x = u.posToVal(left, 'x');
  const msPerPx = Math.abs(u.posToVal(left + 1, 'x') - x);
  return groupAt(ordered, x, HIT_SLACK_PX * msPerPx);
}

interface SpansPluginProps {
  config: UPlotConfigBuilder;
  /** In draw order (weakest first). */
  spans: readonly AnomalyGroup[];
  colours: SeverityColours;
  fillOpacity: number;
  onSelect: (group: AnomalyGroup) => void;
}

export function SpansPlugin({ config, spans, colours, fillOpacity, onSelect }: SpansPluginProps) {
  const plot = useRef<uPlot>();
  // uPlot hooks are registered once per builder; they read the latest props through this ref.
  const latest = useRef({ spans, colours, fillOpacity, onSelect });
  useLayoutEffect(() => {
    latest.current = { spans, colours, fillOpacity, onSelect };
  });

  useLayoutEffect(() => {
    config.addHook('init', (u) => {
      plot.current = u;
      let down: { x: number; y: number } | undefined;
      u.over.addEventListener('mousedown', (e) => (down = { x: e.clientX, y: e.clientY }));
      // Capture phase, so a click on a span selects it instead of pinning TooltipPlugin2's tooltip.
      u.over.addEventListener(
        'click',
        (e) => {
          const dragged = down && Math.hypot(e.clientX - down.x, e.clientY - down.y) > CLICK_TOLERANCE_PX;
          if (dragged || e.ctrlKey || e.metaKey) {
            return;
          }
          const group = groupUnderCursor(u, latest.current.spans);
          if (!group) {
            return;
          }
          e.stopImmediatePropagation();
          latest.current.onSelect(group);
        },
        true,
      );
    });
    config.addHook('drawClear', (u) => {
      const { spans: ordered, colours: c, fillOpacity: opacity } = latest.current;
      drawSpans(u, ordered, c, opacity);
    });
  }, [config]);

  useEffect(() => {
    plot.current?.redraw(false, false);
  }, [spans, colours, fillOpacity]);

  return null;
}
