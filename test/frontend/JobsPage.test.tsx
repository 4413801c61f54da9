// @vitest-environment jsdom
import './helpers/dom.ts';
import type { DataSourceInstanceSettings } from '@grafana/data';
import {
  setBackendSrv,
  setDataSourceSrv,
  type BackendSrv,
  type BackendSrvRequest,
  type DataSourceSrv,
} from '@grafana/runtime';
import type { DataSourceRef } from '@grafana/schema';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, useLocation } from 'react-router-dom-v5-compat';
import { defer } from 'rxjs';
import { beforeEach, describe, expect, it } from 'vitest';

import type { JobList, JobSummary } from '../../common/resources.ts';
import { RootPage } from '../../src/app/RootPage.tsx';
import { formatLag, formatLearning } from '../../src/app/jobs/format.ts';
import { RarityDataSource } from '../../src/datasource/datasource.ts';
import type { RarityDataSourceOptions } from '../../src/datasource/types.ts';

const KEY_A = '0123456789abcdef';
const KEY_B = 'fedcba9876543210';

function job(patch: Partial<JobSummary>): JobSummary {
  return {
    key: KEY_A,
    description: 'rare by state in "public"."weblogs", 15m buckets',
    table: '"public"."weblogs"',
    function: 'rare',
    byField: 'state',
    overField: null,
    bucketSpan: '15m',
    status: 'current',
    processedUntil: '2026-11-02T13:00:00.000Z',
    lagSeconds: 300,
    learningUntil: '2026-11-01T12:00:00.000Z',
    learning: false,
    memoryStatus: 'ok',
    lastError: null,
    lastErrorAt: null,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-02T13:05:00.000Z',
    ...patch,
  };
}

const CURRENT = job({});
const FAILED = job({
  key: KEY_B,
  description: 'freq_rare by state over ip in "public"."weblogs", 1h buckets',
  function: 'freq_rare',
  overField: 'ip',
  bucketSpan: '1h',
  status: 'failed',
  processedUntil: null,
  lagSeconds: null,
  learning: true,
  learningUntil: '2026-11-03T00:00:00.000Z',
  memoryStatus: 'soft_limit',
  lastError: 'reading buckets of "public"."weblogs": canceling statement due to statement timeout',
  lastErrorAt: '2026-11-02T13:01:00.000Z',
});

interface Call {
  method: string;
  url: string;
  data?: unknown;
  headers?: Record<string, string>;
}

/**
 * The backend's jobs resources (pkg-backend/src/query/jobResources.ts) for one state store per datasource,
 * behind backendSrv.fetch: the real RarityDataSource builds the requests, this answers them like Grafana.
 */
class FakeGrafana {
  readonly calls: Call[] = [];
  readonly stores = new Map<string, JobList>();
  /** Answers to give instead, by "METHOD url", once. */
  readonly failures = new Map<string, { status: number; message: string }>();

  fetch(options: BackendSrvRequest) {
    return defer(async () => {
      const method = options.method ?? 'GET';
      this.calls.push({ method, url: options.url, data: options.data, headers: options.headers });
      const failure = this.failures.get(`${method} ${options.url}`);
      if (failure) {
        this.failures.delete(`${method} ${options.url}`);
        throw { status: failure.status, data: { message: failure.message } };
      }
      const match = /^\/api\/datasources\/uid\/([^/]+)\/resources\/jobs(?:\/([0-9a-f]{16})(\/reset)?)?$/.exec(
        options.url,
      );
      const store = match && this.stores.get(match[1]);
      if (!match || !store) {
        throw { status: 404, data: { message: `no fake answer for ${method} ${options.url}` } };
      }
      const [, , key, reset] = match;
      if (!key) {
        return { data: store, status: 200, ok: true };
      }
      if (!store.persisted) {
        throw { status: 409, data: { message: store.advice } };
      }
      const index = store.jobs.findIndex((j) => j.key === key);
      if (index < 0) {
        throw { status: 404, data: { message: `job ${key} does not exist` } };
      }
      if (method === 'DELETE') {
        store.jobs.splice(index, 1);
        return { data: { deleted: key }, status: 200, ok: true };
      }
      if (reset && method === 'POST') {
        store.jobs[index] = { ...store.jobs[index], status: 'created', processedUntil: null, lagSeconds: null };
      }
      return { data: store.jobs[index], status: 200, ok: true };
    });
  }

  requests(method: string) {
    return this.calls.filter((c) => c.method === method);
  }
}

function settings(uid: string, name: string): DataSourceInstanceSettings<RarityDataSourceOptions> {
  return {
    id: 1,
    uid,
    type: 'rarity-anomaly-datasource',
    name,
    access: 'proxy',
    readOnly: false,
    jsonData: { table: 'public.weblogs', timeColumn: 'ts' },
    meta: {
      id: 'rarity-anomaly-datasource',
      name: 'Rarity',
      type: 'datasource',
      info: { logos: { small: '', large: '' } },
    },
  } as unknown as DataSourceInstanceSettings<RarityDataSourceOptions>;
}

let grafana: FakeGrafana;

function install(all: Array<DataSourceInstanceSettings<RarityDataSourceOptions>>) {
  const instances = new Map(all.map((s) => [s.uid, new RarityDataSource(s)]));
  const find = (ref?: DataSourceRef | string | null) => {
    const key = typeof ref === 'string' ? ref : ref?.uid;
    return all.find((s) => s.uid === key || s.name === key);
  };
  setBackendSrv({ fetch: (options: BackendSrvRequest) => grafana.fetch(options) } as unknown as BackendSrv);
  setDataSourceSrv({
    get: async (ref?: DataSourceRef | string | null) => instances.get(find(ref)?.uid ?? ''),
    getInstanceSettings: find,
    getList: (filters: { pluginId?: string } = {}) =>
      all.filter((s) => !filters.pluginId || s.type === filters.pluginId),
  } as unknown as DataSourceSrv);
}

function Location() {
  const location = useLocation();
  return <output data-testid="location">{`${location.pathname}${location.search}`}</output>;
}

function open(entry = '/jobs') {
  render(
    <MemoryRouter initialEntries={[entry]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <RootPage {...({} as Parameters<typeof RootPage>[0])} />
      <Location />
    </MemoryRouter>,
  );
}

const rowOf = (key: string) => screen.getByText(key).closest('tr')!;
const jobsUrl = (uid: string) => `/api/datasources/uid/${uid}/resources/jobs`;

describe('Jobs page', () => {
  beforeEach(() => {
    grafana = new FakeGrafana();
    grafana.stores.set('rarity-a', {
      persisted: true,
      schema: 'rarity',
      jobs: [CURRENT, FAILED].map((j) => ({ ...j })),
    });
    grafana.stores.set('rarity-b', {
      persisted: false,
      advice: 'results are not persisted: grant CREATE on schema rarity to grafana_reader, or set a state database',
    });
    install([settings('rarity-a', 'Rarity logs'), settings('rarity-b', 'Rarity read-only')]);
  });

  it('lists the jobs of the first Rarity datasource with status, progress, learning, memory and error', async () => {
    open();
    await screen.findByText(KEY_A);
    const current = within(rowOf(KEY_A));
    expect(current.getByText('rare by state in "public"."weblogs", 15m buckets')).toBeInTheDocument();
    expect(current.getByText('current')).toBeInTheDocument();
    expect(current.getByText(/^2026-11-02 \d\d:00:00$/)).toBeInTheDocument();
    expect(current.getByText('5 min behind')).toBeInTheDocument();
    expect(current.getByText('no')).toBeInTheDocument();
    expect(current.getByText('ok')).toBeInTheDocument();
    expect(current.getByText('none')).toBeInTheDocument();

    const failed = within(rowOf(KEY_B));
    expect(failed.getByText('failed')).toBeInTheDocument();
    expect(failed.getByText('not yet')).toBeInTheDocument();
    expect(failed.getByText(/^yes, until 2026-11-0[23] \d\d:00:00$/)).toBeInTheDocument();
    expect(failed.getByText('soft limit')).toBeInTheDocument();
    expect(failed.getByTestId(`last-error-${KEY_B}`)).toHaveTextContent(FAILED.lastError!);
    expect(screen.getByText('2 jobs in schema rarity')).toBeInTheDocument();
    expect(grafana.calls).toEqual([
      {
        method: 'GET',
        url: jobsUrl('rarity-a'),
        data: undefined,
        headers: expect.objectContaining({ 'X-Datasource-Uid': 'rarity-a' }),
      },
    ]);
  });

  it('shows the full last error on hover', async () => {
    const user = userEvent.setup();
    open();
    await user.hover(await screen.findByTestId(`last-error-${KEY_B}`));
    expect(await screen.findByRole('tooltip')).toHaveTextContent(/statement timeout$/);
  });

  it("shows the backend's advice when the datasource keeps no state, and no table", async () => {
    open('/jobs?datasource=rarity-b');
    expect(await screen.findByText('The jobs of Rarity read-only are not persisted')).toBeInTheDocument();
    expect(
      screen.getByText(
        'Results are not persisted: grant CREATE on schema rarity to grafana_reader, or set a state database.',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(grafana.calls.map((c) => c.url)).toEqual([jobsUrl('rarity-b')]);
  });

  it('says how jobs come about when there are none', async () => {
    grafana.stores.set('rarity-a', { persisted: true, schema: 'jobs_state', jobs: [] });
    open();
    expect(await screen.findByText('No jobs in schema jobs_state yet.')).toBeInTheDocument();
    expect(screen.getByText(/Jobs are created on first use by a query or an alert rule, or with/)).toHaveTextContent(
      'or with rarity jobs backfill.',
    );
  });

  it('remembers the chosen datasource in the URL and lists its jobs', async () => {
    const user = userEvent.setup();
    open('/jobs?orgId=1');
    await screen.findByText(KEY_A);
    await user.click(screen.getByLabelText('Datasource'));
    await user.click(await screen.findByText('Rarity read-only'));
    expect(await screen.findByText('The jobs of Rarity read-only are not persisted')).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent('/jobs?orgId=1&datasource=rarity-b');
    expect(grafana.calls.map((c) => c.url)).toEqual([jobsUrl('rarity-a'), jobsUrl('rarity-b')]);
  });

  it('resets a job only after confirming, then reloads the list', async () => {
    const user = userEvent.setup();
    open();
    await screen.findByText(KEY_A);
    await user.click(within(rowOf(KEY_A)).getByRole('button', { name: `Reset job ${KEY_A}` }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Reset rare by state in "public"."weblogs", 15m buckets (0123456789abcdef)?');
    expect(grafana.requests('POST')).toEqual([]);

    await user.click(within(dialog).getByRole('button', { name: 'Reset' }));
    await waitFor(() => expect(within(rowOf(KEY_A)).getByText('created')).toBeInTheDocument());
    expect(within(rowOf(KEY_A)).getByText('not yet')).toBeInTheDocument();
    expect(grafana.requests('POST')).toEqual([
      expect.objectContaining({ url: `${jobsUrl('rarity-a')}/${KEY_A}/reset`, data: {} }),
    ]);
    expect(grafana.requests('GET')).toHaveLength(2);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('leaves the job alone when the confirmation is cancelled', async () => {
    const user = userEvent.setup();
    open();
    await screen.findByText(KEY_A);
    await user.click(within(rowOf(KEY_B)).getByRole('button', { name: `Delete job ${KEY_B}` }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(grafana.requests('DELETE')).toEqual([]);
    expect(screen.getByText(KEY_B)).toBeInTheDocument();
  });

  it('deletes a job after confirming, then reloads the list without it', async () => {
    const user = userEvent.setup();
    open();
    await screen.findByText(KEY_A);
    await user.click(within(rowOf(KEY_B)).getByRole('button', { name: `Delete job ${KEY_B}` }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent(/The job and all its results are deleted/);
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByText(KEY_B)).not.toBeInTheDocument());
    expect(screen.getByText(KEY_A)).toBeInTheDocument();
    expect(grafana.requests('DELETE')).toEqual([
      expect.objectContaining({
        url: `${jobsUrl('rarity-a')}/${KEY_B}`,
        headers: { 'X-Plugin-Id': 'rarity-anomaly-datasource', 'X-Datasource-Uid': 'rarity-a' },
      }),
    ]);
    expect(grafana.requests('GET')).toHaveLength(2);
    expect(screen.getByText('1 job in schema rarity')).toBeInTheDocument();
  });

  it('names the job whose call failed, with the backend message, and reloads anyway', async () => {
    const user = userEvent.setup();
    grafana.failures.set(`DELETE ${jobsUrl('rarity-a')}/${KEY_A}`, {
      status: 404,
      message: `job ${KEY_A} does not exist`,
    });
    open();
    await screen.findByText(KEY_A);
    await user.click(within(rowOf(KEY_A)).getByRole('button', { name: `Delete job ${KEY_A}` }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Delete' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(
      `Could not delete job "rare by state in "public"."weblogs", 15m buckets" (${KEY_A})job ${KEY_A} does not exist`,
    );
    await waitFor(() => expect(grafana.requests('GET')).toHaveLength(2));
  });

  it('reloads on Refresh', async () => {
    const user = userEvent.setup();
    open();
    await screen.findByText(KEY_A);
    grafana.stores.set('rarity-a', { persisted: true, schema: 'rarity', jobs: [] });
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByText('No jobs in schema rarity yet.')).toBeInTheDocument();
  });

  it('shows the overview at the app root', () => {
    open('/');
    expect(screen.getByText(/anomaly detection over logs that already live/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Detection jobs/ })).toHaveAttribute('href', 'a/rarity-anomaly-app/jobs');
    expect(grafana.calls).toEqual([]);
  });
});

describe('job fields in words', () => {
  it('says how far behind a job is', () => {
    expect(formatLag(null)).toBeUndefined();
    expect(formatLag(42)).toBe('less than a minute behind');
    expect(formatLag(300)).toBe('5 min behind');
    expect(formatLag(2 * 3600)).toBe('2 h behind');
    expect(formatLag(2 * 3600 + 10 * 60 + 5)).toBe('2 h 10 min behind');
    expect(formatLag(86_400)).toBe('1 day behind');
    expect(formatLag(3 * 86_400 + 4 * 3600)).toBe('3 days 4 h behind');
  });

  it('says whether a job is learning', () => {
    expect(formatLearning(false, '2026-11-03T00:00:00.000Z')).toBe('no');
    expect(formatLearning(true, null)).toBe('yes');
    expect(formatLearning(true, '2026-11-03T00:00:00.000Z')).toMatch(/^yes, until 2026-11-0[23] \d\d:00:00$/);
  });
});
