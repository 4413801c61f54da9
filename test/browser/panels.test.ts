/**
 * The spans and logs panels in a real browser: frames produced by the REAL backend executable on the seeded
 * demo (scores, groups and logs queries over gRPC, Arrow decoded and handed to the page as the JSON frames
 * Grafana's /api/ds/query returns), mounted in Grafana's ThemeContext light and dark, driven by Chromium
 * (playwright-core). Screenshots land in test/browser/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { InjectedAnomaly } from '../../pkg-backend/src/demo/seed.ts';
import { readFrames } from '../backend/e2e.ts';
import { startDemoBackend, type DemoBackend } from '../backend/demoBackend.ts';
import { arrowToDataFrameJSON } from './arrowToDataFrame.ts';
import { launchChromium } from './chromium.ts';
import { startPanelsHarness, type PanelsHarness } from './panelsHarness.ts';

const here = dirname(fileURLToPath(import.meta.url));
const screenshots = join(here, 'screenshots');
const THEMES = ['light', 'dark'] as const;
const MINUTE = 60_000;
const RARE_STATE = { function: 'rare', byField: 'state', bucketSpan: '5m' };
const COUNTRY_OVER_KEY = { function: 'rare', byField: 'country', overField: 'key', bucketSpan: '5m' };
const SPANS_SIZE = { width: 1100, height: 420 };
const LOGS_SIZE = { width: 1100, height: 520 };

interface Group {
  groupId: string;
  entity: string;
  start: number;
  end: number;
  startingAt: unknown;
  endingAt: unknown;
  maxScore: number;
}

let backend: DemoBackend;
let harness: PanelsHarness;
let browser: Browser;
let groups: Group[];
/** The group each injected anomaly was detected as (by the detector the spans panel shows). */
const detected = new Map<InjectedAnomaly['kind'], Group>();

async function frames(json: Record<string, unknown>, range?: { from: number; to: number }) {
  const response = await backend.query(json, range);
  expect(response.error ?? '', JSON.stringify(json)).toBe('');
  return response.frames ?? [];
}

beforeAll(async () => {
  backend = await startDemoBackend('rarity_browser_panels');
  const { from, to, seed } = backend;
  const scores = await frames({ refId: 'A', queryType: 'scores', ...RARE_STATE });
  const byState = await frames({ refId: 'B', queryType: 'groups', ...RARE_STATE });
  const byKey = await frames({ refId: 'C', queryType: 'groups', ...COUNTRY_OVER_KEY });
  // Any numeric series may carry the spans: the keys' scores too (only keys that reached 50, to keep the legend short).
  const keyScores = await frames({ refId: 'D', queryType: 'scores', ...COUNTRY_OVER_KEY, minScore: 50, limit: 3 });
  groups = [...readFrames(byState), ...readFrames(byKey)].flatMap((f) => f.rows() as unknown as Group[]);
  for (const anomaly of seed.injected) {
    const start = Date.parse(anomaly.start);
    const end = Date.parse(anomaly.end);
    // Hammering is by an IP with state 4: rare by state names state 4, the other two name their entity.
    const entity = anomaly.kind === 'failed_hammering' ? '4' : anomaly.entity;
    const group = groups
      .filter((g) => g.entity === entity && g.start < end && g.end > start)
      .sort((a, b) => b.maxScore - a.maxScore)[0];
    if (group) {
      detected.set(anomaly.kind, group);
    }
  }

  const newState = seed.injected.find((a) => a.kind === 'new_state')!;
  // The newest entries up to 20 minutes after the new_state anomaly: the group among ordinary requests.
  const around = { from, to: Date.parse(newState.end) + 20 * MINUTE };
  harness = await startPanelsHarness();
  harness.fixtures.set('spans', {
    frames: arrowToDataFrameJSON([...scores, ...keyScores.slice(1), ...byState, ...byKey]),
    from,
    to,
    options: { groupsRefId: '' },
  });
  harness.fixtures.set('logs', {
    frames: arrowToDataFrameJSON(await frames({ refId: 'A', queryType: 'logs', ...RARE_STATE, limit: 300 }, around)),
    ...around,
  });
  const anomalousLogs = [
    ...(await frames({ refId: 'A', queryType: 'logs', ...RARE_STATE, minScore: 25 })),
    ...(await frames({ refId: 'B', queryType: 'logs', ...COUNTRY_OVER_KEY, minScore: 25 })),
  ];
  harness.fixtures.set('logs-anomalous', {
    frames: arrowToDataFrameJSON(anomalousLogs),
    from,
    to,
    options: { onlyAnomalous: true },
  });
  browser = await launchChromium();
  mkdirSync(screenshots, { recursive: true });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await harness?.close();
  await backend?.close();
});

async function open(
  view: 'spans' | 'logs',
  fixture: string,
  theme: string,
  size: { width: number; height: number },
  extra = '',
): Promise<{ page: Page; errors: string[] }> {
  // Room below the panel for tooltips; screenshots of the panel alone are clipped to it.
  const page = await browser.newPage({
    viewport: { width: size.width + 60, height: size.height + (view === 'spans' ? 280 : 60) },
  });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // Grafana serves the Inter font from its own public/fonts; @grafana/ui does not ship it, so the page falls back.
  page.on(
    'response',
    (r) => r.status() >= 400 && !r.url().includes('/public/fonts/') && errors.push(`${r.status()} ${r.url()}`),
  );
  await page.goto(
    `${harness.url}/?view=${view}&frames=${fixture}&theme=${theme}&width=${size.width}&height=${size.height}${extra}`,
  );
  await page
    .waitForFunction(() => typeof (window as unknown as { drawMs?: number }).drawMs === 'number', undefined, {
      timeout: 20_000,
    })
    .catch(() => {
      throw new Error(`the ${view} harness did not render: ${errors.join(' | ')}`);
    });
  return { page, errors };
}

/** Page x of time `t` on the plot: uPlot's x scale is the panel's time range across the .u-over box. */
async function xOf(page: Page, t: number, range: { from: number; to: number }): Promise<{ x: number; y: number }> {
  const box = (await page.locator('.u-over').boundingBox())!;
  return { x: box.x + ((t - range.from) / (range.to - range.from)) * box.width, y: box.y + box.height * 0.6 };
}

/** Group ids of the rows inside the list's viewport (react-window also renders a few rows above and below it). */
function visibleGroups(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rows = [...document.querySelectorAll<HTMLElement>('[role="row"][data-group]')];
    const viewport = rows[0]?.parentElement?.parentElement?.getBoundingClientRect();
    if (!viewport) {
      return [];
    }
    const inside = rows.filter((r) => {
      const box = r.getBoundingClientRect();
      return box.bottom > viewport.top + 2 && box.top < viewport.bottom - 2;
    });
    inside.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
    return [...new Set(inside.map((r) => r.dataset.group!))];
  });
}

it('the strongest demo groups are the injected anomalies, as the spans panel will show them', () => {
  expect([...detected.keys()].sort()).toEqual(['failed_hammering', 'key_new_country', 'new_state']);
  for (const group of detected.values()) {
    expect(group.maxScore).toBeGreaterThanOrEqual(25);
  }
});

describe.each(THEMES)('spans panel, %s theme', (theme) => {
  it('draws the injected anomalies as severity-coloured spans, shows a group tooltip on hover and zooms + sets $group on click', async () => {
    const { page, errors } = await open('spans', 'spans', theme, SPANS_SIZE);
    const range = { from: backend.from, to: backend.to };
    // Each injected anomaly's span is painted in its severity colour (sampled inside the top strip).
    for (const [kind, group] of detected) {
      const at = await xOf(page, (group.start + group.end) / 2, range);
      const box = (await page.locator('.u-over').boundingBox())!;
      const pixel = await page.evaluate(
        ({ x, y }) => {
          const canvas = document.querySelector('.uplot canvas') as HTMLCanvasElement;
          const r = canvas.getBoundingClientRect();
          const ratio = canvas.width / r.width;
          const d = canvas
            .getContext('2d')!
            .getImageData(Math.round((x - r.left) * ratio), Math.round((y - r.top) * ratio), 1, 1).data;
          return [d[0], d[1], d[2]];
        },
        { x: at.x, y: box.y + 1.5 },
      );
      const expected =
        group.maxScore >= 75 ? [0xfe, 0x50, 0x50] : group.maxScore >= 50 ? [0xfb, 0xa7, 0x40] : [0xfd, 0xec, 0x25];
      expect(pixel, `${kind} span colour`).toEqual(expected);
    }
    await page.mouse.move(5, 5);
    const panelBox = (await page.getByTestId('panel').boundingBox())!;
    const clip = { x: 0, y: 0, width: panelBox.x * 2 + panelBox.width, height: panelBox.y * 2 + panelBox.height };
    await page.screenshot({ path: join(screenshots, `spans-${theme}.png`), clip });

    // Hover the new_state span: Grafana's tooltip with the group's Cryptolens properties.
    const newState = detected.get('new_state')!;
    const at = await xOf(page, (newState.start + newState.end) / 2, range);
    await page.mouse.move(at.x, at.y);
    const tooltip = page.getByTestId('rarity-span-tooltip');
    await tooltip.waitFor({ timeout: 5_000 });
    const text = await tooltip.textContent();
    for (const part of [
      'Group Id',
      newState.groupId,
      'Entity',
      'Starting At',
      String(newState.startingAt),
      'Ending At',
      String(newState.endingAt),
      'Max score',
      'Requests',
      'successful',
    ]) {
      expect(text).toContain(part);
    }
    await page.screenshot({ path: join(screenshots, `spans-tooltip-${theme}.png`) });

    await page.mouse.click(at.x, at.y);
    const zooms = await page.evaluate(
      () => (window as unknown as { harness: { zooms: Array<{ from: number; to: number }> } }).harness.zooms,
    );
    expect(zooms).toHaveLength(1);
    expect(zooms[0].from).toBeLessThanOrEqual(newState.start);
    expect(zooms[0].to).toBeGreaterThanOrEqual(newState.end);
    expect(zooms[0].to - zooms[0].from).toBeLessThan(2 * 3_600_000);
    expect(new URL(page.url()).searchParams.get('var-group')).toBe(newState.groupId);
    await page.mouse.move(5, 5);
    await page.screenshot({ path: join(screenshots, `spans-zoomed-${theme}.png`), clip });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe.each(THEMES)('logs panel, %s theme', (theme) => {
  it('bands the entries of an anomalous group, marks its first and last entry and hides the rest on the switch', async () => {
    const { page, errors } = await open('logs', 'logs', theme, LOGS_SIZE);
    const group = detected.get('new_state')!;
    const rows = page.locator(`[role="row"][data-group="${group.groupId}"]`);
    // Only a screenful of rows exists (virtualised): jump to the group, then all of its entries are rendered.
    for (let i = 0; i < 10 && (await visibleGroups(page))[0] !== group.groupId; i++) {
      await page.getByRole('button', { name: 'Next group' }).click();
    }
    expect((await visibleGroups(page))[0]).toBe(group.groupId);
    // Its entries are banded among the ordinary requests of the same minutes; the first is its Starting At.
    const top = page.locator(`[role="row"][data-group="${group.groupId}"]`).first();
    expect(await top.getAttribute('data-mark')).toMatch(/^(first|only)$/);
    const first = await top.textContent();
    expect(first).toContain(String(group.startingAt));
    expect(first).toContain(String(group.endingAt));
    expect(await page.locator('[role="row"][data-index]:not([data-group])').count()).toBeGreaterThan(0);
    for (const header of ['Group Id (Anomaly)', 'Starting At (Anomaly)', 'Ending At (Anomaly)', 'Successful']) {
      await page.getByText(header, { exact: true }).waitFor();
    }
    await page.screenshot({ path: join(screenshots, `logs-${theme}.png`) });

    // Only anomalous: the group's entries alone, first and last marked.
    await page.getByText('Only anomalous').click();
    await expect.poll(() => page.locator('[role="row"][data-index]:not([data-group])').count()).toBe(0);
    expect(await rows.count()).toBeGreaterThanOrEqual(5);
    expect(
      await page
        .locator(
          `[data-group="${group.groupId}"][data-mark="first"], [data-group="${group.groupId}"][data-mark="only"]`,
        )
        .count(),
    ).toBe(1);
    expect(
      await page
        .locator(`[data-group="${group.groupId}"][data-mark="last"], [data-group="${group.groupId}"][data-mark="only"]`)
        .count(),
    ).toBe(1);
    await page.screenshot({ path: join(screenshots, `logs-only-anomalous-${theme}.png`) });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lists every injected anomaly as a group, jumps between groups, virtualises, and filters by $group', async () => {
    const { page, errors } = await open('logs', 'logs-anomalous', theme, LOGS_SIZE);
    const ids = [...detected.values()].map((g) => g.groupId);
    const start = (await visibleGroups(page))[0];
    expect(ids).toContain(start);
    await page.screenshot({ path: join(screenshots, `logs-anomalous-${theme}.png`) });
    // The hammering group has hundreds of entries; only a screenful of rows is in the DOM.
    const summary = await page.getByText(/entries ·/).textContent();
    const total = Number(/of ([\d,]+) entries/.exec(summary!)![1].replace(/,/g, ''));
    expect(total).toBeGreaterThan(100);
    expect(await page.locator('[role="row"][data-group]').count()).toBeLessThan(60);

    const seen = new Set(await visibleGroups(page));
    for (let i = 0; i < 4; i++) {
      await page.getByRole('button', { name: 'Next group' }).click();
      for (const id of await visibleGroups(page)) {
        seen.add(id);
      }
    }
    for (const id of ids) {
      expect(seen, `next group reaches ${id}`).toContain(id);
    }
    await page.getByRole('button', { name: 'Previous group' }).click();
    await page.getByRole('button', { name: 'Previous group' }).click();
    await page.getByRole('button', { name: 'Previous group' }).click();
    await expect.poll(async () => (await visibleGroups(page))[0]).toBe(start);

    const target = detected.get('key_new_country')!;
    await page.goto(`${page.url()}&var-group=${target.groupId}`);
    await page.waitForFunction(() => typeof (window as unknown as { drawMs?: number }).drawMs === 'number');
    await expect
      .poll(() =>
        page
          .locator('[role="row"][data-group]')
          .evaluateAll((r) => [...new Set(r.map((x) => x.getAttribute('data-group')))]),
      )
      .toEqual([target.groupId]);
    await page.getByRole('button', { name: `Group ${target.groupId}` }).click();
    await expect
      .poll(
        async () =>
          new Set(
            await page
              .locator('[role="row"][data-group]')
              .evaluateAll((r) => r.map((x) => x.getAttribute('data-group'))),
          ).size,
      )
      .toBeGreaterThan(1);
    expect(errors).toEqual([]);
    await page.close();
  });
});
