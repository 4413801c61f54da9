/**
 * Results of the Cryptolens preset job (issue 12) in a real browser: the job's influencer series drawn with
 * its anomaly groups as spans, and its logs with each entry's group, from the REAL backend executable over a
 * demo seeded with the key takeover (20 days of 2 000 requests: enough history for the per-key models).
 * Screenshots land in test/browser/screenshots/job-*.png.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { jobDefinitionToQuery } from '../../common/jobQuery.ts';
import { cryptolensPreset } from '../../common/presets.ts';
import type { QueryType, RarityQuery } from '../../common/queryModel.ts';
import { readFrames } from '../backend/e2e.ts';
import { startDemoBackend, type DemoBackend } from '../backend/demoBackend.ts';
import { arrowToDataFrameJSON } from './arrowToDataFrame.ts';
import { launchChromium } from './chromium.ts';
import { startPanelsHarness, type PanelsHarness } from './panelsHarness.ts';

const here = dirname(fileURLToPath(import.meta.url));
const screenshots = join(here, 'screenshots');
const THEMES = ['light', 'dark'] as const;
const MINUTE = 60_000;
const SIZE = { width: 1100, height: 460 };

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
let takeover: Group;
let seriesLabels: string[];

/** The preset as the editor applies it (JobSection's "Cryptolens preset"), with the datasource's success rule. */
function presetQuery(refId: string, queryType: QueryType, extra: Partial<RarityQuery> = {}): Record<string, unknown> {
  return { ...jobDefinitionToQuery(cryptolensPreset().job, { refId, queryType } as RarityQuery), ...extra };
}

async function frames(json: Record<string, unknown>, range?: { from: number; to: number }) {
  const response = await backend.query(json, range);
  expect(response.error ?? '', JSON.stringify(json)).toBe('');
  return response.frames ?? [];
}

beforeAll(async () => {
  backend = await startDemoBackend('rarity_browser_job_panels', { days: 20, rowsPerDay: 2000 });
  const { from, to, seed } = backend;
  const groupsFrames = await frames(presetQuery('B', 'groups'));
  const groups = readFrames(groupsFrames).flatMap((f) => f.rows() as unknown as Group[]);
  const start = Date.parse(seed.keyTakeover.start);
  const end = Date.parse(seed.keyTakeover.end);
  takeover = groups
    .filter((g) => g.entity === seed.keyTakeover.key && g.start < end && g.end > start)
    .sort((a, b) => b.maxScore - a.maxScore)[0];
  // Only influencers that reached 50, the strongest few: a legend of a handful of entries.
  const influencers = await frames(presetQuery('A', 'influencers', { minScore: 50, limit: 4 }));
  seriesLabels = readFrames(influencers).flatMap((f) =>
    f.fields.filter((field) => field.labels).map((field) => JSON.stringify(field.labels)),
  );
  harness = await startPanelsHarness();
  harness.fixtures.set('job-influencers', {
    frames: arrowToDataFrameJSON([...influencers, ...groupsFrames]),
    from,
    to,
    options: { groupsRefId: '' },
  });
  // The minutes around the takeover: its entries among the ordinary requests of the same time.
  const around = { from: start - 30 * MINUTE, to: end + 30 * MINUTE };
  harness.fixtures.set('job-logs', {
    frames: arrowToDataFrameJSON(await frames(presetQuery('A', 'logs', { limit: 300 }), around)),
    ...around,
  });
  browser = await launchChromium();
  mkdirSync(screenshots, { recursive: true });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await harness?.close();
  await backend?.close();
});

async function open(view: 'spans' | 'logs', fixture: string, theme: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: SIZE.width + 60, height: SIZE.height + 60 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // Grafana serves the Inter font from its own public/fonts; @grafana/ui does not ship it, so the page falls back.
  page.on(
    'response',
    (r) => r.status() >= 400 && !r.url().includes('/public/fonts/') && errors.push(`${r.status()} ${r.url()}`),
  );
  await page.goto(
    `${harness.url}/?view=${view}&frames=${fixture}&theme=${theme}&width=${SIZE.width}&height=${SIZE.height}`,
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

it('the preset finds the takeover key as a critical group and among its strongest influencers', () => {
  expect(takeover, 'a group of the takeover key during the takeover').toBeDefined();
  expect(takeover.maxScore).toBeGreaterThanOrEqual(75);
  expect(seriesLabels.length).toBeGreaterThan(0);
  expect(seriesLabels.length).toBeLessThanOrEqual(4);
  expect(
    seriesLabels.some((l) => l.includes(backend.seed.keyTakeover.key)),
    seriesLabels.join(' '),
  ).toBe(true);
});

describe.each(THEMES)('%s theme', (theme) => {
  it('draws the influencer series, labelled by influencer, with the groups as spans', async () => {
    const { page, errors } = await open('spans', 'job-influencers', theme);
    const legend = (await page.getByTestId('panel').textContent()) ?? '';
    expect(legend).toContain(`key=${backend.seed.keyTakeover.key}`);
    await page.screenshot({ path: join(screenshots, `job-influencers-${theme}.png`) });
    expect(errors).toEqual([]);
  });

  it('lists the takeover entries with their Group Id, Starting At and Ending At', async () => {
    const { page, errors } = await open('logs', 'job-logs', theme);
    for (const header of ['Group Id (Anomaly)', 'Starting At (Anomaly)', 'Ending At (Anomaly)']) {
      await page.getByText(header, { exact: true }).waitFor();
    }
    // Only a screenful of rows exists (virtualised): jump to the group, so that its entries are on screen.
    for (let i = 0; i < 10 && (await visibleGroups(page))[0] !== takeover.groupId; i++) {
      await page.getByRole('button', { name: 'Next group' }).click();
    }
    expect((await visibleGroups(page))[0]).toBe(takeover.groupId);
    const rows = page.locator(`[role="row"][data-group="${takeover.groupId}"]`);
    expect(await rows.count()).toBeGreaterThan(0);
    const text = (await rows.first().textContent()) ?? '';
    expect(text).toContain(takeover.groupId);
    expect(text).toContain(String(takeover.startingAt));
    expect(text).toContain(String(takeover.endingAt));
    await page.screenshot({ path: join(screenshots, `job-logs-${theme}.png`) });
    expect(errors).toEqual([]);
  });
});
