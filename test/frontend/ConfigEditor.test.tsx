// @vitest-environment jsdom
import './helpers/dom.ts';
import type { DataSourceSettings } from '@grafana/data';
import { setDataSourceSrv, type DataSourceSrv } from '@grafana/runtime';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { ConfigEditor } from '../../src/datasource/components/ConfigEditor.tsx';
import type { RarityDataSourceOptions, RaritySecureJsonData } from '../../src/datasource/types.ts';
import { FIELDS, TABLES, VALUES } from './helpers/fixtures.ts';

type Settings = DataSourceSettings<RarityDataSourceOptions, RaritySecureJsonData>;

const getResource = vi.fn(async (path: string) => {
  if (path === 'tables') {
    return TABLES;
  }
  if (path === 'fields') {
    return FIELDS;
  }
  if (path === 'values') {
    return VALUES;
  }
  throw new Error(path);
});

function settings(patch: Partial<Settings> = {}): Settings {
  return {
    id: 1,
    uid: 'rarity-uid',
    orgId: 1,
    name: 'Rarity',
    type: 'rarity-anomaly-datasource',
    typeName: 'Rarity',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    withCredentials: false,
    readOnly: false,
    version: 1,
    jsonData: {},
    secureJsonFields: {},
    ...patch,
  } as Settings;
}

function setup(initial: Settings) {
  const seen: Settings[] = [];
  function Harness() {
    const [options, setOptions] = useState(initial);
    return (
      <ConfigEditor
        options={options}
        onOptionsChange={(next) => {
          seen.push(next);
          setOptions(next);
        }}
      />
    );
  }
  render(<Harness />);
  return { last: () => seen[seen.length - 1] };
}

describe('ConfigEditor', () => {
  beforeEach(() => {
    getResource.mockClear();
    setDataSourceSrv({ get: async () => ({ getResource }) } as unknown as DataSourceSrv);
  });

  it('has the PostgreSQL connection sections and writes host and user where Grafana and the backend read them', async () => {
    const user = userEvent.setup();
    const { last } = setup(settings());
    for (const section of ['Connection', 'Authentication', 'TLS/SSL Auth Details', 'Log table']) {
      expect(screen.getByText(section)).toBeInTheDocument();
    }
    await user.type(screen.getByLabelText(/^Host URL/), 'db:5432');
    expect(last().url).toBe('db:5432');
    expect(last().jsonData.url).toBe('db:5432');
    await user.type(screen.getByLabelText(/^Database name/), 'logs');
    expect(last().jsonData.database).toBe('logs');
    await user.type(screen.getByLabelText(/^Username/), 'grafana');
    expect(last().user).toBe('grafana');
  });

  it('keeps the password secret: typed into secureJsonData, reset when configured', async () => {
    const user = userEvent.setup();
    const { last } = setup(settings({ secureJsonFields: { password: true } }));
    expect(screen.getByDisplayValue('configured')).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Reset' }));
    expect(last().secureJsonFields.password).toBe(false);
    await user.type(screen.getByLabelText(/^Password/), 's3cret');
    await user.tab();
    expect(last().secureJsonData?.password).toBe('s3cret');
  });

  it('hides certificate settings when TLS is disabled and offers certificate content fields otherwise', async () => {
    setup(settings({ jsonData: { sslmode: 'disable' } }));
    expect(screen.queryByText('TLS/SSL Auth Details')).not.toBeInTheDocument();
    expect(screen.queryByText('TLS/SSL Method')).not.toBeInTheDocument();
  });

  it('shows certificate content inputs for verify-full with the content method', () => {
    setup(settings({ jsonData: { sslmode: 'verify-full', tlsConfigurationMethod: 'file-content' } }));
    expect(screen.getByText('TLS/SSL Root Certificate')).toBeInTheDocument();
    expect(screen.getByText('TLS/SSL Client Key')).toBeInTheDocument();
  });

  it('picks the log table and its columns from the resources, offering only fitting columns', async () => {
    const user = userEvent.setup();
    const { last } = setup(settings({ jsonData: { table: '"public"."weblogs"' } }));
    await waitFor(() => expect(getResource).toHaveBeenCalledWith('fields', { table: '"public"."weblogs"' }));

    await user.click(screen.getByLabelText(/^Table \*/));
    const tables = within(await screen.findByRole('listbox'))
      .getAllByRole('option')
      .map((o) => o.textContent);
    expect(tables.some((t) => t?.startsWith('public.weblogs'))).toBe(true);
    await user.keyboard('{Escape}');

    await user.click(screen.getByLabelText(/^Time column/));
    const times = within(await screen.findByRole('listbox'))
      .getAllByRole('option')
      .map((o) => o.textContent ?? '');
    expect(times).toHaveLength(1);
    expect(times[0]).toMatch(/^ts/);
    await user.click(screen.getByRole('option', { name: /^ts/ }));
    expect(last().jsonData.timeColumn).toBe('ts');

    await user.click(screen.getByLabelText(/^ID column/));
    const ids = within(await screen.findByRole('listbox'))
      .getAllByRole('option')
      .map((o) => (o.textContent ?? '').split(/\s/)[0]);
    expect(ids.map((t) => t.replace(/(bigint|integer)$/, ''))).toEqual(['id', 'state']);
  });

  it('builds the success rule as a structured condition', async () => {
    const user = userEvent.setup();
    const { last } = setup(settings({ jsonData: { table: '"public"."weblogs"' } }));
    await waitFor(() => expect(getResource).toHaveBeenCalledWith('fields', expect.anything()));
    expect(screen.getByText('Successful when')).toBeInTheDocument();

    await user.click(screen.getByLabelText('Success rule field'));
    await user.click(await screen.findByRole('option', { name: /^state/ }));
    await user.click(screen.getByLabelText('Success rule value'));
    await user.click(await screen.findByRole('option', { name: /^1/ }));
    expect(last().jsonData.successRule).toEqual({ field: 'state', op: '=', value: '1' });

    await user.click(screen.getByRole('button', { name: 'Clear rule' }));
    expect(last().jsonData.successRule).toBeUndefined();
  });

  it('asks to save first when the datasource has no uid yet', () => {
    setup(settings({ uid: '' }));
    expect(screen.getByRole('status')).toHaveTextContent(/Save the connection first/);
    expect(getResource).not.toHaveBeenCalled();
  });
});
