/**
 * (d) The spans panel in headless Chromium: mount-to-painted time of the panel (a week of 5-minute scores)
 * with `groups` anomaly groups overlaid, against the same panel with none, in the same browser and run.
 * The page is test/browser/panels-harness (production Vite build), ?view=bench&groups=N.
 */
import { launchChromium } from '../test/browser/chromium.ts';
import { startPanelsHarness } from '../test/browser/panelsHarness.ts';

export interface PanelBench {
  groups: number;
  baselineMs: number;
  withGroupsMs: number;
  runs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function benchSpansPanel(options: { groups?: number; runs?: number } = {}): Promise<PanelBench> {
  const groups = options.groups ?? 10_000;
  const runs = options.runs ?? 7;
  const harness = await startPanelsHarness();
  const browser = await launchChromium();
  try {
    const measure = async (count: number): Promise<number> => {
      const page = await browser.newPage({ viewport: { width: 1300, height: 600 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${harness.url}/?view=bench&groups=${count}&width=1200&height=450`);
      await page.waitForFunction(
        () => typeof (window as unknown as { drawMs?: number }).drawMs === 'number',
        undefined,
        { timeout: 60_000 },
      );
      const ms = await page.evaluate(() => (window as unknown as { drawMs: number }).drawMs);
      await page.close();
      if (errors.length) {
        throw new Error(`bench page failed: ${errors.join(' | ')}`);
      }
      return ms;
    };
    // One warm-up of each (compilation, fonts), then alternate so drift hits both alike.
    await measure(0);
    await measure(groups);
    const base: number[] = [];
    const loaded: number[] = [];
    for (let i = 0; i < runs; i++) {
      base.push(await measure(0));
      loaded.push(await measure(groups));
    }
    return { groups, baselineMs: median(base), withGroupsMs: median(loaded), runs };
  } finally {
    await browser.close();
    await harness.close();
  }
}
