/**
 * The query editor's job mode in a real browser (the harness of editors.test.ts, resources answered by the
 * real backend executable): the Cryptolens preset built over a Cryptolens-like table's columns. Screenshots
 * job-editor-{light,dark}.png land in test/browser/screenshots/.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchChromium } from './chromium.ts';
import { buildHarness } from './harnessBuild.ts';
import { startHarnessServer, type HarnessServer } from './resourceServer.ts';

const here = dirname(fileURLToPath(import.meta.url));
const screenshots = join(here, 'screenshots');
const SCHEMA = 'rarity_browser_job';
const TABLE = `"${SCHEMA}"."verifications"`;
const THEMES = ['light', 'dark'] as const;

let outDir: string;
let server: HarnessServer;
let browser: Browser;

async function createLogTable(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; CREATE SCHEMA ${SCHEMA}`);
    // Cryptolens' own column spelling for the machine code, to see the preset follow the table.
    await client.query(`CREATE TABLE ${TABLE} (
      id bigserial PRIMARY KEY, ts timestamptz NOT NULL, ip text, key text, product integer, state integer,
      "MachineCode" text, country text)`);
    await client.query(`INSERT INTO ${TABLE} (ts, ip, key, product, state, "MachineCode", country)
      SELECT timestamptz '2026-11-01' + g * interval '1 minute', '10.0.' || (g % 7) || '.' || (g % 13), 'K' || (g % 5),
             1 + g % 3, CASE WHEN g % 11 = 0 THEN 0 ELSE 1 END, 'M' || (g % 17), (ARRAY['SE','DE','US','IN'])[1 + g % 4]
        FROM generate_series(1, 500) g`);
    await client.query(`ANALYZE ${TABLE}`);
  } finally {
    await client.end();
  }
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

describe.each(THEMES)('the job editor in the %s theme', (theme) => {
  it('fills the Cryptolens preset over the table’s columns', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const rule = JSON.stringify({ field: 'state', op: '=', value: '1' });
    await page.goto(
      `${server.url}/?view=query&theme=${theme}&table=${encodeURIComponent(TABLE)}&successRule=${encodeURIComponent(rule)}`,
    );
    await page.getByText('Query type').first().waitFor({ timeout: 15_000 });

    await page.getByRole('radio', { name: 'Job (several detectors)' }).click();
    // The preset reads the column names from the fields resource: wait until they are in.
    await page.locator('#rarity-detector-0-by').click();
    await page
      .getByRole('listbox')
      .getByRole('option', { name: /^MachineCode/ })
      .waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: /Cryptolens preset/ }).click();

    const query = () => page.evaluate(() => (window as unknown as { harnessQuery: unknown }).harnessQuery);
    await expect.poll(query).toMatchObject({
      bucketSpan: '1h',
      influencers: ['key', 'ip', 'MachineCode'],
      groupField: 'key',
    });
    const detectors = ((await query()) as { detectors: Array<{ byField: string }> }).detectors;
    expect(detectors.map((d) => d.byField)).toEqual([
      'state',
      'MachineCode',
      'ip',
      'country',
      'product',
      'state',
      'successful',
    ]);
    expect(await page.getByRole('row', { name: /^Detector \d$/ }).count()).toBe(7);
    expect(await page.getByText(/needs a|is the same as|is none of/).count()).toBe(0);
    await page.mouse.click(1250, 10);
    // Every chosen influencer is a pill in sight, none folded into MultiCombobox's "… N".
    const influencers = page.locator('#rarity-influencers').locator('..');
    const pills = async (names: string[]) => {
      for (const name of names) {
        await expect.poll(() => influencers.getByRole('button', { name: `Remove ${name}` }).isVisible()).toBe(true);
      }
      expect(await influencers.getByText('...', { exact: true }).count()).toBe(0);
    };
    await pills(['key', 'ip', 'MachineCode']);
    await page.screenshot({ path: join(screenshots, `job-editor-${theme}.png`), fullPage: true });

    // Three more: the field widens instead of folding them.
    await page.locator('#rarity-influencers').click();
    for (const name of ['country', 'product', 'state']) {
      await page
        .getByRole('listbox')
        .getByRole('option', { name: new RegExp(`^${name}`) })
        .click();
    }
    await page.keyboard.press('Escape');
    await page.mouse.click(1250, 10);
    await expect.poll(query).toMatchObject({
      influencers: ['key', 'ip', 'MachineCode', 'country', 'product', 'state'],
    });
    await pills(['key', 'ip', 'MachineCode', 'country', 'product', 'state']);
    expect(errors).toEqual([]);
    await page.close();
  });
});
