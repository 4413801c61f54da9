/**
 * The editors in a real browser: a Vite build of test/browser/harness (ConfigEditor / QueryEditor inside
 * Grafana's ThemeContext, light and dark) whose resource calls the real backend executable answers, driven by
 * Chromium through playwright-core. Screenshots land in test/browser/screenshots/.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchChromium } from './chromium.ts';
import { buildHarness } from './harnessBuild.ts';
import { startHarnessServer, type HarnessServer } from './resourceServer.ts';

const here = dirname(fileURLToPath(import.meta.url));
const screenshots = join(here, 'screenshots');
const SCHEMA = 'rarity_browser';
const TABLE = `"${SCHEMA}"."weblogs"`;
const THEMES = ['light', 'dark'] as const;

let outDir: string;
let server: HarnessServer;
let browser: Browser;

async function createLogTable(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; CREATE SCHEMA ${SCHEMA}`);
    await client.query(`CREATE TABLE ${TABLE} (
      id bigserial PRIMARY KEY, ts timestamptz NOT NULL, ip text, key text, product integer, state integer,
      machine_code text, country text, latency double precision, payload jsonb)`);
    // Mostly successful requests (state 1) with a few rare states, as in the licensing Web API demo.
    await client.query(`INSERT INTO ${TABLE} (ts, ip, key, product, state, machine_code, country, latency, payload)
      SELECT timestamptz '2026-11-01' + g * interval '1 minute', '10.0.' || (g % 7) || '.' || (g % 13), 'K' || (g % 5),
             1 + g % 3, CASE WHEN g % 97 = 0 THEN 3 WHEN g % 11 = 0 THEN 0 ELSE 1 END, 'M' || (g % 17),
             (ARRAY['SE','DE','US','IN'])[1 + g % 4], random() * 100, '{}'::jsonb
        FROM generate_series(1, 2000) g`);
    await client.query(`ANALYZE ${TABLE}`);
  } finally {
    await client.end();
  }
}

async function open(page: Page, view: 'config' | 'query', theme: string) {
  const problems: string[] = [];
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${server.url}/?view=${view}&theme=${theme}&table=${encodeURIComponent(TABLE)}`);
  try {
    await page
      .getByText(view === 'config' ? 'Log table' : 'Query type')
      .first()
      .waitFor({ timeout: 15_000 });
  } catch (error) {
    // Say why the page did not render instead of only that it timed out.
    throw new Error(`the ${view} harness did not render: ${problems.join(' | ') || (error as Error).message}`);
  }
}

/** Opens a Combobox by its input id and returns the option texts once the resource answer is in. */
async function optionsOf(page: Page, inputId: string): Promise<string[]> {
  await page.locator(`#${inputId}`).click();
  const list = page.getByRole('listbox');
  await list.getByRole('option').first().waitFor();
  return list.getByRole('option').allTextContents();
}

async function choose(page: Page, inputId: string, option: RegExp) {
  await page.locator(`#${inputId}`).click();
  await page.getByRole('option', { name: option }).first().click();
}

beforeAll(async () => {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    throw new Error('DATABASE_URL is not set (test/setup/postgres.ts sets it)');
  }
  await createLogTable(databaseUrl);

  outDir = await buildHarness();
  server = await startHarnessServer(outDir, databaseUrl, TABLE);
  browser = await launchChromium();
  mkdirSync(screenshots, { recursive: true });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDir) {
    rmSync(outDir, { recursive: true, force: true });
  }
});

describe.each(THEMES)('editors in the %s theme', (theme) => {
  it('configures the log table from the database catalogue and a structured success rule', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await open(page, 'config', theme);

    const tables = await optionsOf(page, 'rarity-log-table');
    expect(tables.some((t) => t.startsWith(`${SCHEMA}.weblogs`))).toBe(true);
    await page.getByRole('option', { name: new RegExp(`^${SCHEMA}\\.weblogs`) }).click();

    // Only columns whose type suits the role are offered: one timestamp column.
    const times = await optionsOf(page, 'rarity-time-column');
    expect(times.map((t) => t.split('timestamp')[0])).toEqual(['ts']);
    await page.getByRole('option', { name: /^ts/ }).click();
    const ids = await optionsOf(page, 'rarity-id-column');
    expect(ids.map((t) => t.replace(/(bigint|integer)$/, ''))).toEqual(['id', 'product', 'state']);
    await page.getByRole('option', { name: /^id/ }).click();
    await choose(page, 'rarity-message-column', /^key/);

    await choose(page, 'rarity-success-field', /^state/);
    // Values come from the values resource, most frequent first.
    const states = await optionsOf(page, 'rarity-success-value');
    expect(states[0]).toMatch(/^1/);
    await page.getByRole('option', { name: /^1/ }).click();

    const jsonData = () =>
      page.evaluate(() => (window as unknown as { harnessOptions: { jsonData: unknown } }).harnessOptions.jsonData);
    // React commits the last pick after the click returns.
    await expect.poll(jsonData).toMatchObject({
      table: TABLE,
      timeColumn: 'ts',
      idColumn: 'id',
      messageColumn: 'key',
      successRule: { field: 'state', op: '=', value: '1' },
    });

    await page.locator('#rarity-state-schema').fill('rarity-jobs');
    await expect.poll(() => page.getByText(/Schema "rarity-jobs" is not a valid name/).count()).toBe(1);
    await page.locator('#rarity-state-schema').fill('rarity_jobs');
    await expect.poll(() => page.getByText(/is not a valid name/).count()).toBe(0);
    await page.locator('#rarity-state-retention').fill('30');
    await expect.poll(() => page.locator('#rarity-state-host').count()).toBe(0);
    // The switch's input is hidden under Grafana's drawn toggle; a click on the field's label flips it as for a user.
    await page.getByText('Separate state database', { exact: true }).click();
    await expect.poll(() => page.getByRole('switch', { name: /Separate state database/ }).isChecked()).toBe(true);
    await page.locator('#rarity-state-host').fill('state-db:5433');
    await page.locator('#rarity-state-database').fill('rarity_state');
    await expect.poll(jsonData).toMatchObject({
      table: TABLE,
      stateSchema: 'rarity_jobs',
      retentionDays: 30,
      stateUrl: 'state-db:5433',
      stateDatabase: 'rarity_state',
    });
    await page.mouse.click(1000, 10);
    await page.screenshot({ path: join(screenshots, `config-${theme}.png`), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('marks the over field required for freq_rare and picks fields from the resource answer', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 520 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await open(page, 'query', theme);

    const byFields = await optionsOf(page, 'rarity-by-field');
    const names = byFields.map((t) => t.split(/(bigint|integer|text)/)[0]);
    expect(names).toEqual(expect.arrayContaining(['ip', 'state', 'country', 'product']));
    expect(names).not.toContain('ts');
    expect(names).not.toContain('latency');
    expect(names).not.toContain('payload');
    await page.getByRole('option', { name: /^state/ }).click();

    await page.getByRole('radio', { name: 'freq_rare' }).click();
    await expect.poll(() => page.getByText('Over field *', { exact: true }).count()).toBe(1);
    await expect.poll(() => page.getByText(/Over field is required for freq_rare/).count()).toBe(1);
    const runsBefore = Number(await page.getByTestId('runs').textContent());

    await page.getByRole('button', { name: /Add filter/ }).click();
    await choose(page, 'rarity-filter-0-field', /^product/);
    await choose(page, 'rarity-filter-0-value', /^1/);
    await page.mouse.click(1000, 10);
    await page.screenshot({ path: join(screenshots, `query-${theme}.png`), fullPage: true });

    await choose(page, 'rarity-over-field', /^ip/);
    await expect.poll(() => page.getByText(/Over field is required/).count()).toBe(0);
    expect(Number(await page.getByTestId('runs').textContent())).toBeGreaterThan(runsBefore);
    const query = () => page.evaluate(() => (window as unknown as { harnessQuery: unknown }).harnessQuery);
    await expect.poll(query).toMatchObject({
      function: 'freq_rare',
      byField: 'state',
      overField: 'ip',
      filters: [{ field: 'product', op: '=', value: '1' }],
    });
    await page.mouse.click(1000, 10);
    await page.screenshot({ path: join(screenshots, `query-valid-${theme}.png`), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});

it('asked the resource server the paths DataSourceWithBackend.getResource uses', () => {
  expect(server.requests.some((r) => r.startsWith('tables'))).toBe(true);
  expect(server.requests.some((r) => r.startsWith('fields'))).toBe(true);
  expect(server.requests.some((r) => r.startsWith('values?') && r.includes('field=state'))).toBe(true);
  expect(resolve(screenshots)).toContain('test/browser/screenshots');
});
