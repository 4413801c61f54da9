// @vitest-environment jsdom
import './helpers/dom.ts';
import type { DataSourceSettings } from '@grafana/data';
import { setDataSourceSrv, type DataSourceSrv } from '@grafana/runtime';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import {
  DEFAULT_MAX_RESPONSE_MB,
  DEFAULT_MODEL_MEMORY_LIMIT_MB,
  DEFAULT_RETENTION_DAYS,
  DEFAULT_STATE_SCHEMA,
  MAX_MAX_RESPONSE_MB,
  MAX_MODEL_MEMORY_LIMIT_MB,
  MAX_RETENTION_DAYS,
  MIN_MAX_RESPONSE_MB,
  MIN_MODEL_MEMORY_LIMIT_MB,
  MIN_RETENTION_DAYS,
} from '../../common/limits.ts';
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
    const { last } = setup(settings({ jsonData: { sslmode: 'require' } }));
    for (const section of [
      'Connection',
      'Authentication',
      'TLS/SSL Auth Details',
      'Log table',
      'Detection',
      'Results storage',
    ]) {
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

  it('shows an unset TLS/SSL mode as the backend reads it, disable, and warns that it is plain text', () => {
    setup(settings());
    expect(screen.getByLabelText(/^TLS\/SSL Mode/)).toHaveValue('disable');
    expect(screen.getByRole('note')).toHaveTextContent(/Not encrypted: the password and the log rows/);
    expect(screen.queryByText('TLS/SSL Auth Details')).not.toBeInTheDocument();
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

  describe('Results storage', () => {
    const section = () => within(screen.getByRole('group', { name: 'Results storage' }));

    it('writes the schema and the retention, defaulting to the shared limits', async () => {
      const user = userEvent.setup();
      const { last } = setup(settings());
      // The log table is only read; the old claim that state stays in the plugin is gone.
      expect(screen.getByText(/Results are stored as configured under Results storage/)).toBeInTheDocument();
      expect(screen.queryByText(/stays in the plugin/)).not.toBeInTheDocument();
      const schema = section().getByLabelText(/^Schema/);
      expect(schema).toHaveAttribute('placeholder', DEFAULT_STATE_SCHEMA);
      await user.type(schema, 'rarity_state');
      expect(last().jsonData.stateSchema).toBe('rarity_state');

      const retention = section().getByLabelText(/^Retention/);
      expect(retention).toHaveAttribute('placeholder', String(DEFAULT_RETENTION_DAYS));
      await user.type(retention, '30');
      expect(last().jsonData.retentionDays).toBe(30);
      await user.clear(retention);
      expect(last().jsonData.retentionDays).toBeUndefined();
      expect(section().queryByRole('alert')).not.toBeInTheDocument();
    });

    it('names what is wrong with a schema the backend would refuse', async () => {
      const user = userEvent.setup();
      setup(settings());
      await user.type(section().getByLabelText(/^Schema/), 'rarity-state');
      expect(section().getByRole('alert')).toHaveTextContent(
        /Schema "rarity-state" is not a valid name: use letters, digits, _ and \$/,
      );
      await user.clear(section().getByLabelText(/^Schema/));
      await user.type(section().getByLabelText(/^Schema/), 'pg_state');
      expect(section().getByRole('alert')).toHaveTextContent(/reserved for PostgreSQL/);
      await user.clear(section().getByLabelText(/^Schema/));
      expect(section().queryByRole('alert')).not.toBeInTheDocument();
    });

    it('refuses a retention outside 1 to 3650 days but writes it, so Save & test refuses it too', async () => {
      const user = userEvent.setup();
      const { last } = setup(settings());
      const retention = section().getByLabelText(/^Retention/);
      await user.type(retention, '0');
      expect(last().jsonData.retentionDays).toBe(0);
      expect(section().getByRole('alert')).toHaveTextContent(
        `Retention must be a whole number of days from ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS}`,
      );
      await user.clear(retention);
      await user.type(retention, '3651');
      expect(section().getByRole('alert')).toHaveTextContent(/Retention must be/);
      await user.clear(retention);
      await user.type(retention, '3650');
      expect(section().queryByRole('alert')).not.toBeInTheDocument();
    });

    it('reveals the state database fields when switched on and writes them', async () => {
      const user = userEvent.setup();
      const { last } = setup(settings({ jsonData: { sslmode: 'verify-full' } }));
      expect(section().queryByLabelText(/^Host URL/)).not.toBeInTheDocument();
      const toggle = section().getByLabelText(/^Separate state database/);
      expect(toggle).not.toBeChecked();
      await user.click(toggle);
      expect(toggle).toBeChecked();
      expect(section().getByRole('status')).toHaveTextContent(/Name a host or a database/);

      await user.type(section().getByLabelText(/^Host URL/), 'state-db:5433');
      await user.type(section().getByLabelText(/^Database name/), 'rarity_state');
      await user.type(section().getByLabelText(/^Username/), 'rarity_writer');
      await user.type(section().getByLabelText(/^Password/), 'w-s3cret');
      await user.tab();
      expect(section().queryByRole('status')).not.toBeInTheDocument();

      const sslmode = section().getByLabelText(/^TLS\/SSL Mode/);
      expect(sslmode).toHaveAttribute('placeholder', 'same as the log database (verify-full)');
      await user.click(sslmode);
      await user.click(await screen.findByRole('option', { name: 'disable' }));

      expect(last().jsonData).toMatchObject({
        sslmode: 'verify-full',
        stateUrl: 'state-db:5433',
        stateDatabase: 'rarity_state',
        stateUser: 'rarity_writer',
        stateSslmode: 'disable',
      });
      // The state password is a secret like the log one, never jsonData.
      expect(last().secureJsonData?.statePassword).toBe('w-s3cret');
      expect(JSON.stringify(last().jsonData)).not.toContain('w-s3cret');
      expect(last().url).toBe('');
    });

    it('starts switched on for a saved state database, and switching off clears it and resets the password', async () => {
      const user = userEvent.setup();
      const { last } = setup(
        settings({
          jsonData: {
            database: 'logs',
            stateSchema: 'jobs',
            stateDatabase: 'rarity_state',
            stateUser: 'rarity_writer',
            stateSslmode: 'require',
          },
          secureJsonFields: { password: true, statePassword: true },
        }),
      );
      const toggle = section().getByLabelText(/^Separate state database/);
      expect(toggle).toBeChecked();
      expect(section().getByLabelText(/^Database name/)).toHaveValue('rarity_state');
      // isConfigured: the saved password shows as configured, not as text.
      expect(section().getByLabelText(/^Password/)).toHaveValue('configured');
      expect(section().getByLabelText(/^Password/)).toBeDisabled();

      await user.click(toggle);
      expect(section().queryByLabelText(/^Database name/)).not.toBeInTheDocument();
      const jsonData = last().jsonData;
      for (const key of ['stateUrl', 'stateDatabase', 'stateUser', 'stateSslmode']) {
        expect(jsonData).not.toHaveProperty(key);
      }
      expect(jsonData).toMatchObject({ database: 'logs', stateSchema: 'jobs' });
      expect(last().secureJsonFields).toEqual({ password: true, statePassword: false });
      expect(last().secureJsonData?.statePassword).toBe('');

      // Switching back on starts from empty fields and a password to type.
      await user.click(toggle);
      expect(section().getByLabelText(/^Database name/)).toHaveValue('');
      expect(section().getByLabelText(/^Password/)).toBeEnabled();
    });

    it('resets a configured state password on its own', async () => {
      const user = userEvent.setup();
      const { last } = setup(
        settings({
          jsonData: { stateUrl: 'state-db:5432' },
          secureJsonFields: { password: true, statePassword: true },
        }),
      );
      await user.click(section().getByRole('button', { name: 'Reset' }));
      expect(last().secureJsonFields).toEqual({ password: true, statePassword: false });
      expect(last().jsonData.stateUrl).toBe('state-db:5432');
    });
  });

  describe('Allowed schemas', () => {
    const section = () => within(screen.getByRole('group', { name: 'Log table' }));
    const input = () => section().getByLabelText(/^Allowed schemas/);

    it("writes the schemas as a list, tidied on blur, empty meaning the log table's schema", async () => {
      const user = userEvent.setup();
      const { last } = setup(settings());
      expect(input()).toHaveAttribute('placeholder', "the log table's schema");
      expect(section().getByText(/empty: only the log table's schema/)).toBeInTheDocument();
      await user.type(input(), 'public, logs ,');
      expect(input()).toHaveValue('public, logs ,');
      expect(last().jsonData.allowedSchemas).toEqual(['public', ' logs ', '']);
      await user.tab();
      expect(last().jsonData.allowedSchemas).toEqual(['public', 'logs']);
      expect(input()).toHaveValue('public,logs');
      await user.clear(input());
      expect(last().jsonData.allowedSchemas).toBeUndefined();
      expect(section().queryByRole('alert')).not.toBeInTheDocument();
    });

    it('shows saved schemas, also one comma-separated text from a provisioning file', () => {
      setup(settings({ jsonData: { allowedSchemas: 'public,audit' as unknown as string[] } }));
      expect(input()).toHaveValue('public,audit');
    });

    it('refuses a system schema, as Save & test does', async () => {
      const user = userEvent.setup();
      const { last } = setup(settings());
      await user.type(input(), 'public,PG_CATALOG');
      expect(last().jsonData.allowedSchemas).toEqual(['public', 'PG_CATALOG']);
      expect(section().getByRole('alert')).toHaveTextContent(
        "Allowed schemas: pg_catalog is one of PostgreSQL's system schemas, which hold roles and password hashes",
      );
      await user.clear(input());
      await user.type(input(), 'information_schema');
      expect(section().getByRole('alert')).toHaveTextContent(
        /information_schema is one of PostgreSQL's system schemas/,
      );
    });
  });

  describe('Detection', () => {
    const section = () => within(screen.getByRole('group', { name: 'Detection' }));
    const limitInput = () => section().getByLabelText(/^Model memory limit \(MB\)/);
    const responseInput = () => section().getByLabelText(/^Max response size \(MB\)/);

    it('writes the max response size in MB, refusing what the backend refuses, empty meaning the default', async () => {
      const user = userEvent.setup();
      const { last } = setup(settings());
      const input = responseInput();
      expect(input).toHaveAttribute('placeholder', String(DEFAULT_MAX_RESPONSE_MB));
      expect(input).toHaveAttribute('max', String(MAX_MAX_RESPONSE_MB));
      await user.type(input, '32');
      expect(last().jsonData.maxResponseMb).toBe(32);
      expect(section().queryByRole('alert')).not.toBeInTheDocument();
      await user.clear(input);
      await user.type(input, '49');
      expect(last().jsonData.maxResponseMb).toBe(49);
      expect(section().getByRole('alert')).toHaveTextContent(
        `Max response size (maxResponseMb) 49 must be a whole number of MB from ${MIN_MAX_RESPONSE_MB} to ${MAX_MAX_RESPONSE_MB}`,
      );
      await user.clear(input);
      expect(last().jsonData.maxResponseMb).toBeUndefined();
    });

    it('writes the model memory limit in MB, empty meaning the shared default', async () => {
      const user = userEvent.setup();
      const { last } = setup(settings());
      const limit = limitInput();
      expect(limit).toHaveAttribute('placeholder', String(DEFAULT_MODEL_MEMORY_LIMIT_MB));
      expect(limit).toHaveAttribute('min', String(MIN_MODEL_MEMORY_LIMIT_MB));
      expect(limit).toHaveAttribute('max', String(MAX_MODEL_MEMORY_LIMIT_MB));
      expect(
        section().getByText(`Model memory one detector may hold; default ${DEFAULT_MODEL_MEMORY_LIMIT_MB} MB`),
      ).toBeInTheDocument();
      await user.type(limit, '2048');
      expect(last().jsonData.modelMemoryLimitMb).toBe(2048);
      await user.clear(limit);
      expect(last().jsonData.modelMemoryLimitMb).toBeUndefined();
      expect(section().queryByRole('alert')).not.toBeInTheDocument();
    });

    it('shows a saved limit', () => {
      setup(settings({ jsonData: { modelMemoryLimitMb: 1024 } }));
      expect(limitInput()).toHaveValue(1024);
    });

    it('explains hard_limit in its tooltip', async () => {
      const user = userEvent.setup();
      setup(settings());
      await user.hover(section().getByLabelText('About the model memory limit'));
      const tip = await screen.findByRole('tooltip');
      expect(tip).toHaveTextContent(/hard_limit: entities, values and pairs not seen before are no longer modelled/);
    });

    it('refuses a limit outside 1 to 65536 MB or not whole, but writes it so Save & test refuses it too', async () => {
      const user = userEvent.setup();
      const { last } = setup(settings());
      const limit = limitInput();
      await user.type(limit, '0');
      expect(last().jsonData.modelMemoryLimitMb).toBe(0);
      expect(section().getByRole('alert')).toHaveTextContent(
        `Model memory limit 0 must be a whole number of MB from ${MIN_MODEL_MEMORY_LIMIT_MB} to ${MAX_MODEL_MEMORY_LIMIT_MB}`,
      );
      await user.clear(limit);
      await user.type(limit, '65537');
      expect(section().getByRole('alert')).toHaveTextContent(/Model memory limit 65537 must be/);
      await user.clear(limit);
      await user.type(limit, '1.5');
      expect(last().jsonData.modelMemoryLimitMb).toBe(1.5);
      expect(section().getByRole('alert')).toHaveTextContent(/must be a whole number of MB/);
      await user.clear(limit);
      await user.type(limit, '65536');
      expect(section().queryByRole('alert')).not.toBeInTheDocument();
    });
  });

  it('asks to save first when the datasource has no uid yet', () => {
    setup(settings({ uid: '' }));
    expect(screen.getByRole('status')).toHaveTextContent(/Save the connection first/);
    expect(getResource).not.toHaveBeenCalled();
  });
});
