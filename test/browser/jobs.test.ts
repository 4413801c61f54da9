/**
 * The Jobs page in a real browser against the REAL backend executable: detection queries sent over gRPC with
 * the harness server's own datasource create persisted jobs in its state store, and the page (a Vite build of
 * test/browser/harness, ?view=jobs) lists, resets and deletes them through the resource calls Grafana would
 * forward. Screenshots (light and dark, with the table populated) land in test/browser/screenshots/.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { JobList, JobSummary } from '../../common/resources.ts';
import { createDatabase, dropDatabase } from '../backend/e2e.ts';
import { dataQuery } from '../backend/host.ts';
import { launchChromium } from './chromium.ts';
import { buildHarness } from './harnessBuild.ts';
import { startHarnessServer, type HarnessServer } from './resourceServer.ts';

const here = dirname(fileURLToPath(import.meta.url));
const screenshots = join(here, 'screenshots');
const DATABASE = 'rarity_browser_jobs';
const SCHEMA = 'rarity_browser';
const TABLE = `"${SCHEMA}"."weblogs"`;
/** A view whose state column divides by zero on some rows: the job's pushdown fails, the job is `failed`. */
const BROKEN = `"${SCHEMA}"."broken_feed"`;
const FROM = Date.parse('2026-11-01T00:00:00Z');
const TO = Date.parse('2026-11-03T00:00:00Z');

const RARE = `rare by state in ${TABLE}, 1h buckets`;
const FREQ_RARE = `freq_rare by state over ip in ${TABLE}, 1h buckets`;
const FAILING = `rare by state in ${BROKEN}, 1h buckets`;

/**
 * Files Grafana serves itself that the harness does not have: the fonts GlobalStyles declares (the harness
 * loads the same ones from @fontsource) and the spinner icon, which @grafana/ui does not ship.
 */
const GRAFANA_OWN = /\/public\/(fonts\/|build\/img\/icons\/unicons\/spinner\.svg$)/;

let outDir: string | undefined;
let server: HarnessServer;
let browser: Browser;

async function createLogTable(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${SCHEMA}`);
    await client.query(`CREATE TABLE ${TABLE} (
      id bigserial PRIMARY KEY, ts timestamptz NOT NULL, ip text, key text, product integer, state integer)`);
    // Mostly successful requests (state 1) with a few rare states, as in the licensing Web API demo.
    await client.query(`INSERT INTO ${TABLE} (ts, ip, key, product, state)
      SELECT timestamptz '2026-11-01' + g * interval '1 minute', '10.0.' || (g % 7) || '.' || (g % 13), 'K' || (g % 5),
             1 + g % 3, CASE WHEN g % 97 = 0 THEN 3 WHEN g % 11 = 0 THEN 0 ELSE 1 END
        FROM generate_series(1, 2000) g`);
    await client.query(`ANALYZE ${TABLE}`);
    await client.query(`CREATE VIEW ${BROKEN} AS
      SELECT id, ts, ip, key, product, CASE WHEN id % 500 = 0 THEN (id / 0)::integer ELSE state END AS state
        FROM ${TABLE}`);
  } finally {
    await client.end();
  }
}

async function detect(query: Record<string, unknown>): Promise<string> {
  const res = await server.client.queryData({
    pluginContext: server.context,
    headers: {},
    queries: [dataQuery('A', { refId: 'A', queryType: 'scores', bucketSpan: '1h', ...query }, { from: FROM, to: TO })],
  });
  return res.responses.A.error ?? '';
}

/** The jobs as the backend lists them, asked the way the page asks. */
async function listed(): Promise<JobSummary[]> {
  const messages = await server.client.callResource({
    pluginContext: server.context,
    path: 'jobs',
    method: 'GET',
    url: 'jobs',
    headers: {},
  });
  const list = JSON.parse(Buffer.concat(messages.map((m) => Buffer.from(m.body ?? []))).toString('utf8')) as JobList;
  if (!list.persisted) {
    throw new Error(`the harness datasource keeps no jobs: ${list.advice}`);
  }
  return list.jobs;
}

const byDescription = (jobs: JobSummary[], description: string) => {
  const job = jobs.find((j) => j.description === description);
  if (!job) {
    throw new Error(`no job "${description}" among ${jobs.map((j) => j.description).join('; ')}`);
  }
  return job;
};

async function open(page: Page, theme: string) {
  const problems: string[] = [];
  // Chromium's console line for a failed request lacks its URL; the response listener names it.
  page.on(
    'console',
    (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()),
  );
  page.on(
    'response',
    (r) => r.status() >= 400 && !GRAFANA_OWN.test(r.url()) && problems.push(`${r.status()} ${r.url()}`),
  );
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${server.url}/?view=jobs&theme=${theme}`);
  try {
    await page.getByRole('table').waitFor({ timeout: 15_000 });
  } catch (error) {
    throw new Error(`the jobs harness did not render a table: ${problems.join(' | ') || (error as Error).message}`);
  }
  return problems;
}

const row = (page: Page, key: string) => page.getByRole('row').filter({ hasText: key });

beforeAll(async () => {
  const databaseUrl = await createDatabase(DATABASE);
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
  await dropDatabase(DATABASE).catch(() => undefined);
});

it('detection queries with the harness datasource create its jobs, one failing', { timeout: 120_000 }, async () => {
  expect(await detect({ function: 'rare', byField: 'state' })).toBe('');
  expect(await detect({ function: 'freq_rare', byField: 'state', overField: 'ip' })).toBe('');
  expect(await detect({ function: 'rare', byField: 'state', table: BROKEN })).toMatch(/division by zero/);
  // A backfill the query had to leave is finished by the background runner.
  await expect
    .poll(async () => (await listed()).map((j) => `${j.description}: ${j.status}`).sort(), { timeout: 60_000 })
    .toEqual([`${FAILING}: failed`, `${FREQ_RARE}: current`, `${RARE}: current`].sort());
});

describe.each(['light', 'dark'] as const)('the Jobs page in the %s theme', (theme) => {
  it('lists the jobs the queries created with their status, progress and last error', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const problems = await open(page, theme);
    const jobs = await listed();
    const rare = byDescription(jobs, RARE);
    const failing = byDescription(jobs, FAILING);

    await expect.poll(() => page.getByRole('row').count()).toBe(4);
    await expect.poll(() => row(page, rare.key).textContent()).toContain(RARE);
    expect(await row(page, rare.key).textContent()).toMatch(/current.*2026-1[12]-\d\d \d\d:00:00.*behind/);
    expect(await row(page, byDescription(jobs, FREQ_RARE).key).textContent()).toContain('current');
    expect(await row(page, failing.key).textContent()).toContain('failed');
    expect(await page.getByTestId(`last-error-${failing.key}`).textContent()).toMatch(/division by zero/);
    expect(await page.getByText('3 jobs in schema rarity').count()).toBe(1);
    // The page chose the harness's one Rarity datasource for want of ?datasource=.
    expect(await page.getByText('Rarity', { exact: true }).count()).toBe(1);

    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(screenshots, `jobs-${theme}.png`), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('Reset and Delete', () => {
  it('resets a job after confirming: its analysed history is gone and the row says so', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const problems = await open(page, 'light');
    const rare = byDescription(await listed(), RARE);
    await row(page, rare.key)
      .getByRole('button', { name: `Reset job ${rare.key}` })
      .click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.textContent()).toContain(`Reset ${RARE} (${rare.key})?`);
    await dialog.getByRole('button', { name: 'Reset', exact: true }).click();

    await expect.poll(() => row(page, rare.key).textContent()).toMatch(/created.*not yet/);
    expect(server.calls).toContain(`POST jobs/${rare.key}/reset`);
    expect(byDescription(await listed(), RARE)).toMatchObject({ status: 'created', processedUntil: null });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('deletes a job after confirming: the row disappears and the backend no longer has it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const problems = await open(page, 'dark');
    const failing = byDescription(await listed(), FAILING);
    await row(page, failing.key)
      .getByRole('button', { name: `Delete job ${failing.key}` })
      .click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();

    await expect.poll(() => row(page, failing.key).count()).toBe(0);
    expect(await page.getByText('2 jobs in schema rarity').count()).toBe(1);
    expect(server.calls).toContain(`DELETE jobs/${failing.key}`);
    expect((await listed()).map((j) => j.description).sort()).toEqual([FREQ_RARE, RARE]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
