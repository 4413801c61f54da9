/**
 * Datasource settings. The connection part follows Grafana's own PostgreSQL datasource (same sections,
 * labels and keys) so users recognise it; the "Log table" part maps the user's columns and the success rule.
 * Pickers read the backend's resources, which use the *saved* connection: save once, then pick.
 */
import { css } from '@emotion/css';
import {
  onUpdateDatasourceJsonDataOption,
  onUpdateDatasourceSecureJsonDataOption,
  updateDatasourcePluginJsonDataOption,
  updateDatasourcePluginResetOption,
  type GrafanaTheme2,
} from '@grafana/data';
import {
  Button,
  Combobox,
  Divider,
  Field,
  FieldSet,
  InlineLabel,
  Input,
  SecretInput,
  SecretTextArea,
  Stack,
  useStyles2,
  type ComboboxOption,
} from '@grafana/ui';
import { useMemo, type ChangeEvent } from 'react';

import { DEFAULT_SSLMODE, type QueryFilter, type SuccessRule } from '../../../common/queryModel.ts';
import type { RarityDataSourceOptions } from '../types.ts';
import { resourcesForUid, type RarityResources } from '../resources.ts';
import { AllowedSchemasField } from './AllowedSchemasField.tsx';
import { ConditionRow } from './ConditionRow.tsx';
import { DetectionSection } from './DetectionSection.tsx';
import { SSL_MODES, WIDTH_LONG, type ConfigProps, type SslMode } from './configOptions.ts';
import { asOption, displayTableName, fieldOptions, tableOptions } from './fieldOptions.ts';
import { ResultsStorageSection } from './ResultsStorageSection.tsx';
import { useResource } from './useResource.ts';

export type Props = ConfigProps;

type TlsMethod = NonNullable<RarityDataSourceOptions['tlsConfigurationMethod']>;
const TLS_METHODS: Array<ComboboxOption<TlsMethod>> = [
  { value: 'file-path', label: 'File system path' },
  { value: 'file-content', label: 'Certificate content' },
];

export function ConfigEditor(props: Props) {
  const { options, onOptionsChange } = props;
  const styles = useStyles2(getStyles);
  const jsonData = options.jsonData ?? {};
  const secureFields = options.secureJsonFields ?? {};
  const sslmode: SslMode = jsonData.sslmode ?? DEFAULT_SSLMODE;
  const tlsMethod: TlsMethod = jsonData.tlsConfigurationMethod ?? 'file-path';

  // Resources need a saved datasource (uid); a brand-new one has none yet.
  const resourcesPromise = useMemo<Promise<RarityResources> | undefined>(
    () => (options.uid ? resourcesForUid(options.uid) : undefined),
    [options.uid],
  );
  const tables = useResource(
    resourcesPromise ? () => resourcesPromise.then((resources) => resources.tables()) : undefined,
    `tables:${options.uid}:${options.version ?? ''}`,
  );
  const fields = useResource(
    resourcesPromise && jsonData.table
      ? () => resourcesPromise.then((resources) => resources.fields(jsonData.table))
      : undefined,
    `fields:${options.uid}:${jsonData.table ?? ''}:${options.version ?? ''}`,
  );

  const setJson = <K extends keyof RarityDataSourceOptions>(key: K, value: RarityDataSourceOptions[K]) =>
    updateDatasourcePluginJsonDataOption(props, key, value);

  // Grafana's PostgreSQL datasource keeps host and user on the settings themselves (they reach the backend as
  // DataSourceInstanceSettings.url / .user); the shared options type also carries them in jsonData so a
  // provisioning file may use either form. Both are written to keep them equal.
  const onConnectionText = (key: 'url' | 'user') => (event: ChangeEvent<HTMLInputElement>) => {
    const value = event.currentTarget.value;
    onOptionsChange({ ...options, [key]: value, jsonData: { ...jsonData, [key]: value } });
  };

  const successRule: SuccessRule = jsonData.successRule ?? { field: '', op: '=' };
  const loadValues = (field: string, search: string) =>
    resourcesPromise
      ? resourcesPromise.then((resources) => resources.values(jsonData.table, field, search))
      : Promise.resolve([]);

  const notSaved = !options.uid;
  const pickerHint = notSaved
    ? 'Save the connection first; the lists come from the database.'
    : tables.error
      ? `Could not list tables: ${tables.error}. Check the connection and use Save & test.`
      : undefined;

  return (
    <div className={styles.editor}>
      <FieldSet label="Connection">
        <Field label="Host URL" required description="host:port of the PostgreSQL server">
          <Input
            id="rarity-host"
            width={WIDTH_LONG}
            name="host"
            placeholder="localhost:5432"
            value={options.url || jsonData.url || ''}
            onChange={onConnectionText('url')}
          />
        </Field>
        <Field label="Database name" required>
          <Input
            id="rarity-database"
            width={WIDTH_LONG}
            name="database"
            placeholder="Database"
            value={jsonData.database || ''}
            onChange={onUpdateDatasourceJsonDataOption(props, 'database')}
          />
        </Field>
      </FieldSet>

      <Divider />

      <FieldSet label="Authentication">
        <Field label="Username" required>
          <Input
            id="rarity-user"
            width={WIDTH_LONG}
            placeholder="Username"
            value={options.user || jsonData.user || ''}
            onChange={onConnectionText('user')}
          />
        </Field>
        <Field label="Password" required>
          <SecretInput
            id="rarity-password"
            width={WIDTH_LONG}
            placeholder="Password"
            isConfigured={Boolean(secureFields.password)}
            onReset={() => updateDatasourcePluginResetOption(props, 'password')}
            onBlur={onUpdateDatasourceSecureJsonDataOption(props, 'password')}
          />
        </Field>
        <Field
          label="TLS/SSL Mode"
          description="Whether or with what priority a secure TLS/SSL TCP/IP connection will be negotiated with the server"
        >
          <Combobox<SslMode>
            id="rarity-sslmode"
            width={WIDTH_LONG}
            options={SSL_MODES}
            value={sslmode}
            onChange={(option) => setJson('sslmode', option.value)}
          />
        </Field>
        {sslmode === 'disable' ? (
          <div className={styles.warning} role="note">
            Not encrypted: the password and the log rows cross the network in plain text. Choose require or verify-full
            unless PostgreSQL runs on the Grafana host.
          </div>
        ) : (
          <Field
            label="TLS/SSL Method"
            description="File system path: certificates already on the Grafana server. Certificate content: stored encrypted in Grafana's database."
          >
            <Combobox<TlsMethod>
              id="rarity-tls-method"
              width={WIDTH_LONG}
              options={TLS_METHODS}
              value={tlsMethod}
              onChange={(option) => setJson('tlsConfigurationMethod', option.value)}
            />
          </Field>
        )}
      </FieldSet>

      {sslmode !== 'disable' && (
        <>
          <Divider />
          <FieldSet label="TLS/SSL Auth Details">
            {tlsMethod === 'file-content' ? (
              <>
                {(sslmode === 'verify-ca' || sslmode === 'verify-full') && (
                  <Field label="TLS/SSL Root Certificate" description="Begins with -----BEGIN CERTIFICATE-----">
                    <SecretTextArea
                      id="rarity-tls-ca"
                      cols={WIDTH_LONG}
                      rows={4}
                      placeholder="-----BEGIN CERTIFICATE-----"
                      isConfigured={Boolean(secureFields.tlsCACert)}
                      onReset={() => updateDatasourcePluginResetOption(props, 'tlsCACert')}
                      onBlur={onUpdateDatasourceSecureJsonDataOption(props, 'tlsCACert')}
                    />
                  </Field>
                )}
                <Field label="TLS/SSL Client Certificate" description="Begins with -----BEGIN CERTIFICATE-----">
                  <SecretTextArea
                    id="rarity-tls-cert"
                    cols={WIDTH_LONG}
                    rows={4}
                    placeholder="-----BEGIN CERTIFICATE-----"
                    isConfigured={Boolean(secureFields.tlsClientCert)}
                    onReset={() => updateDatasourcePluginResetOption(props, 'tlsClientCert')}
                    onBlur={onUpdateDatasourceSecureJsonDataOption(props, 'tlsClientCert')}
                  />
                </Field>
                <Field label="TLS/SSL Client Key" description="Begins with -----BEGIN RSA PRIVATE KEY-----">
                  <SecretTextArea
                    id="rarity-tls-key"
                    cols={WIDTH_LONG}
                    rows={4}
                    placeholder="-----BEGIN RSA PRIVATE KEY-----"
                    isConfigured={Boolean(secureFields.tlsClientKey)}
                    onReset={() => updateDatasourcePluginResetOption(props, 'tlsClientKey')}
                    onBlur={onUpdateDatasourceSecureJsonDataOption(props, 'tlsClientKey')}
                  />
                </Field>
              </>
            ) : (
              <>
                <Field
                  label="TLS/SSL Root Certificate"
                  description="If the selected TLS/SSL mode requires a server root certificate, provide the path to the file here."
                >
                  <Input
                    id="rarity-ssl-root"
                    width={WIDTH_LONG}
                    placeholder="TLS/SSL root cert file"
                    value={jsonData.sslRootCertFile || ''}
                    onChange={onUpdateDatasourceJsonDataOption(props, 'sslRootCertFile')}
                  />
                </Field>
                <Field
                  label="TLS/SSL Client Certificate"
                  description="To authenticate with a TLS/SSL client certificate, provide the path to the file here. It must be readable by the user running Grafana."
                >
                  <Input
                    id="rarity-ssl-cert"
                    width={WIDTH_LONG}
                    placeholder="TLS/SSL client cert file"
                    value={jsonData.sslCertFile || ''}
                    onChange={onUpdateDatasourceJsonDataOption(props, 'sslCertFile')}
                  />
                </Field>
                <Field
                  label="TLS/SSL Client Key"
                  description="Path to the key of the client certificate. It should be readable only by the user running Grafana."
                >
                  <Input
                    id="rarity-ssl-key"
                    width={WIDTH_LONG}
                    placeholder="TLS/SSL client key file"
                    value={jsonData.sslKeyFile || ''}
                    onChange={onUpdateDatasourceJsonDataOption(props, 'sslKeyFile')}
                  />
                </Field>
              </>
            )}
          </FieldSet>
        </>
      )}

      <Divider />

      <FieldSet label="Log table">
        <p className={styles.intro}>
          The table holding your logs and the roles of its columns. Rarity only reads it: SELECT on the table is all it
          needs there. Results are stored as configured under Results storage below.
        </p>
        {pickerHint && (
          <p className={styles.warning} role="status">
            {pickerHint}
          </p>
        )}
        <Field
          label="Table"
          required
          htmlFor="rarity-log-table"
          description="Default log table of queries; schema-qualified names are allowed"
        >
          <Stack direction="row" gap={1} alignItems="center">
            <Combobox<string>
              id="rarity-log-table"
              width={WIDTH_LONG}
              createCustomValue
              loading={tables.loading}
              placeholder="public.weblogs"
              options={tableOptions(tables.value)}
              value={asOption(jsonData.table, displayTableName(jsonData.table))}
              onChange={(option) => setJson('table', option.value)}
            />
            <Button
              variant="secondary"
              icon="sync"
              tooltip="Reload tables and columns"
              aria-label="Reload tables and columns"
              disabled={notSaved}
              onClick={() => {
                tables.reload();
                fields.reload();
              }}
            />
          </Stack>
        </Field>
        <AllowedSchemasField {...props} />
        <Field
          label="Time column"
          required
          description="Timestamp of each log entry"
          invalid={!!fields.error}
          error={fields.error ? `Could not list columns: ${fields.error}` : undefined}
        >
          <Combobox<string>
            id="rarity-time-column"
            width={WIDTH_LONG}
            createCustomValue
            loading={fields.loading}
            placeholder={jsonData.table ? 'choose a column' : 'choose a table first'}
            options={fieldOptions(fields.value, 'time')}
            value={asOption(jsonData.timeColumn)}
            onChange={(option) => setJson('timeColumn', option.value)}
          />
        </Field>
        <Field
          label="ID column"
          description="Increasing id of each entry; a group's Starting At / Ending At are the first and last ids"
        >
          <Combobox<string>
            id="rarity-id-column"
            width={WIDTH_LONG}
            isClearable
            createCustomValue
            loading={fields.loading}
            placeholder={jsonData.table ? 'choose a column' : 'choose a table first'}
            options={fieldOptions(fields.value, 'id')}
            value={asOption(jsonData.idColumn)}
            onChange={(option) => setJson('idColumn', option?.value || undefined)}
          />
        </Field>
        <Field label="Message column" description="Optional text shown as the log line; without it the row is rendered">
          <Combobox<string>
            id="rarity-message-column"
            width={WIDTH_LONG}
            isClearable
            createCustomValue
            loading={fields.loading}
            placeholder="none: render the row"
            options={fieldOptions(fields.value, 'message')}
            value={asOption(jsonData.messageColumn)}
            onChange={(option) => setJson('messageColumn', option?.value || undefined)}
          />
        </Field>
        <Field
          label="Success rule"
          description="When a request counts as successful, for the successful / unsuccessful counts of a group. Bound as parameters, never SQL."
        >
          <div className={styles.rule}>
            <InlineLabel width={18} htmlFor="rarity-success-field">
              Successful when
            </InlineLabel>
            <ConditionRow
              id="rarity-success"
              name="Success rule"
              condition={successRule as QueryFilter}
              fields={fields.value}
              fieldsLoading={fields.loading}
              loadValues={loadValues}
              onChange={(next) => setJson('successRule', next.field ? (next as SuccessRule) : undefined)}
            />
            {jsonData.successRule && (
              <Button
                variant="secondary"
                fill="text"
                size="sm"
                onClick={() => setJson('successRule', undefined)}
                className={styles.clear}
              >
                Clear rule
              </Button>
            )}
          </div>
        </Field>
      </FieldSet>

      <Divider />

      <DetectionSection {...props} />

      <Divider />

      <ResultsStorageSection {...props} />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  editor: css({ maxWidth: 900 }),
  intro: css({ color: theme.colors.text.secondary, marginBottom: theme.spacing(2), maxWidth: 720 }),
  warning: css({
    color: theme.colors.warning.text,
    marginBottom: theme.spacing(2),
  }),
  rule: css({ display: 'flex', flexWrap: 'wrap', alignItems: 'flex-start' }),
  clear: css({ marginTop: theme.spacing(0.5) }),
});
