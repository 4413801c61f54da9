/**
 * Mounts the spans or the logs panel (?view=spans|logs|bench) inside Grafana's ThemeContext (?theme=light|dark)
 * with @grafana/ui's global styles, fed with frames the test fetched from the real backend (?frames=<name>,
 * served as /frames/<name>.json) or, for the benchmark, synthetic ones (?groups=N).
 */
import { createTheme, type DataFrameJSON, type PanelProps, type TimeRange } from '@grafana/data';
import { locationService } from '@grafana/runtime';
import { GlobalStyles, ThemeContext } from '@grafana/ui';
import { useEffect, useState, type ComponentType } from 'react';
import { createRoot } from 'react-dom/client';

import '../grafanaFonts.ts';
import { plugin as logsPlugin } from '../../../src/panels/logs/module.ts';
import { plugin as spansPlugin } from '../../../src/panels/spans/module.ts';
import { DEFAULT_LOGS_OPTIONS } from '../../../src/panels/logs/types.ts';
import { DEFAULT_SPANS_OPTIONS } from '../../../src/panels/spans/types.ts';
import { benchFrames } from './benchFrames.ts';
import { harness, panelProps, prepareFrames, timeRange } from './panelProps.ts';

const params = new URLSearchParams(window.location.search);
const mode = params.get('theme') === 'dark' ? 'dark' : 'light';
const view = params.get('view') ?? 'spans';
const theme = createTheme({ colors: { mode } });
const width = Number(params.get('width') ?? 1000);
const height = Number(params.get('height') ?? 420);

interface Fixture {
  frames: DataFrameJSON[];
  from: number;
  to: number;
  options?: Record<string, unknown>;
}

const PANELS = { spans: spansPlugin, logs: logsPlugin, bench: spansPlugin };

/** Panel defaults as Grafana fills them from the options builder, then the fixture's options. */
function optionsFor(name: keyof typeof PANELS, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const common = {
    legend: { showLegend: true, displayMode: 'list', placement: 'bottom', calcs: [] },
    tooltip: { mode: 'multi', sort: 'none' },
  };
  return { ...common, ...(name === 'logs' ? DEFAULT_LOGS_OPTIONS : DEFAULT_SPANS_OPTIONS), ...extra };
}

function Panel({ fixture }: { fixture: Fixture }) {
  const [range, setRange] = useState<TimeRange>(() => timeRange(fixture.from, fixture.to));
  const [, setLocation] = useState(0);
  // The logs panel reads the group variable on render; re-render when the URL changes, as a dashboard would.
  useEffect(() => locationService.getHistory().listen(() => setLocation((n) => n + 1)), []);
  const name = view as keyof typeof PANELS;
  const Component = PANELS[name].panel as unknown as ComponentType<PanelProps<unknown>>;
  const series = prepareFrames(fixture.frames, theme);
  const props: PanelProps<unknown> = panelProps<unknown>(
    optionsFor(name, fixture.options),
    series,
    range,
    { width, height },
    setRange,
  );
  useEffect(() => {
    harness.rendered = true;
  });
  return <Component {...props} />;
}

async function loadFixture(): Promise<Fixture> {
  if (view === 'bench') {
    return benchFrames(Number(params.get('groups') ?? 0), Date.UTC(2026, 10, 20));
  }
  const response = await fetch(`./frames/${params.get('frames')}.json`);
  return (await response.json()) as Fixture;
}

const fixture = await loadFixture();
const started = performance.now();
createRoot(document.getElementById('root')!).render(
  <ThemeContext.Provider value={theme}>
    <GlobalStyles />
    <main
      style={{ padding: 16, minHeight: '100vh', boxSizing: 'border-box', background: theme.colors.background.primary }}
    >
      <div
        style={{
          width,
          height,
          boxSizing: 'content-box',
          background: theme.colors.background.primary,
          border: `1px solid ${theme.colors.border.weak}`,
          padding: 8,
        }}
        data-testid="panel"
      >
        <Panel fixture={fixture} />
      </div>
    </main>
  </ThemeContext.Provider>,
);
// Mount to painted: the first animation frame after uPlot's canvas exists (uPlot draws it synchronously on
// creation, the frame after that is on screen).
function whenPainted() {
  if (!document.querySelector('[data-testid="panel"] canvas, [data-testid="rarity-logs-panel"]')) {
    requestAnimationFrame(whenPainted);
    return;
  }
  requestAnimationFrame(() => {
    (window as unknown as { drawMs: number }).drawMs = performance.now() - started;
  });
}
requestAnimationFrame(whenPainted);
