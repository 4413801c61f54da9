/**
 * Where persisted detection jobs keep their results (docs/persistence.md). The backend reads these settings in
 * parseStateSettings; the checks here repeat its rules so a bad value is pointed at before Save & test.
 * Whatever a separate state database leaves empty is taken from the log database, as the backend does.
 */
import { css } from '@emotion/css';
import {
  onUpdateDatasourceJsonDataOption,
  onUpdateDatasourceSecureJsonDataOption,
  updateDatasourcePluginJsonDataOption,
  updateDatasourcePluginResetOption,
  type GrafanaTheme2,
} from '@grafana/data';
import { Combobox, Field, FieldSet, Input, SecretInput, Switch, useStyles2 } from '@grafana/ui';
import { useState, type ChangeEvent } from 'react';

import {
  DEFAULT_RETENTION_DAYS,
  DEFAULT_STATE_SCHEMA,
  MAX_RETENTION_DAYS,
  MIN_RETENTION_DAYS,
} from '../../../common/limits.ts';
import { DEFAULT_SSLMODE } from '../../../common/queryModel.ts';
import { stateSchemaProblem } from '../../../common/stateSchema.ts';
import type { RarityDataSourceOptions } from '../types.ts';
import { SSL_MODES, WIDTH_LONG, type ConfigProps, type SslMode } from './configOptions.ts';

/** Settings that only mean something for a separate state database; switching it off drops them. */
const STATE_DATABASE_KEYS = ['stateUrl', 'stateDatabase', 'stateUser', 'stateSslmode'] as const;

function retentionProblem(days: number | undefined): string | undefined {
  if (days === undefined || (Number.isInteger(days) && days >= MIN_RETENTION_DAYS && days <= MAX_RETENTION_DAYS)) {
    return undefined;
  }
  return `Retention must be a whole number of days from ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS}`;
}

export function ResultsStorageSection(props: ConfigProps) {
  const { options, onOptionsChange } = props;
  const styles = useStyles2(getStyles);
  const jsonData = options.jsonData ?? {};
  const secureFields = options.secureJsonFields ?? {};
  // Local so that switching on shows the empty fields before anything is typed into them.
  const [separate, setSeparate] = useState(Boolean(jsonData.stateUrl || jsonData.stateDatabase));

  const schemaError = stateSchemaProblem(jsonData.stateSchema);
  const retentionError = retentionProblem(jsonData.retentionDays);
  const logSslmode = jsonData.sslmode ?? DEFAULT_SSLMODE;

  // Out-of-range numbers are written as typed so Save & test refuses them too; an empty field means the default.
  const onRetention = (event: ChangeEvent<HTMLInputElement>) => {
    const text = event.currentTarget.value.trim();
    updateDatasourcePluginJsonDataOption(props, 'retentionDays', text === '' ? undefined : Number(text));
  };

  const onSeparate = (event: ChangeEvent<HTMLInputElement>) => {
    const on = event.currentTarget.checked;
    setSeparate(on);
    if (on) {
      return;
    }
    // One change for all of them: separate updateDatasourcePlugin* calls would each start from the same stale options.
    const cleared: RarityDataSourceOptions = { ...jsonData };
    for (const key of STATE_DATABASE_KEYS) {
      delete cleared[key];
    }
    onOptionsChange({
      ...options,
      jsonData: cleared,
      secureJsonFields: { ...options.secureJsonFields, statePassword: false },
      secureJsonData: { ...options.secureJsonData, statePassword: '' },
    });
  };

  return (
    <FieldSet label="Results storage">
      <p className={styles.intro}>
        Results and model snapshots are kept in PostgreSQL, so each bucket is analysed once and restarts and other
        Grafana replicas reuse them. By default they live in the schema <code>{DEFAULT_STATE_SCHEMA}</code> of the log
        database, which needs CREATE on the database (or on the schema, if it was created for the user). Or name a
        separate, writable state database, e.g. when the logs sit on a read-only replica. Without either, results are
        computed in the plugin and not persisted; Save &amp; test says which is in use.
      </p>
      <Field
        label="Schema"
        description="Schema holding jobs, snapshots and results; created on first use"
        invalid={!!schemaError}
        error={schemaError}
      >
        <Input
          id="rarity-state-schema"
          width={WIDTH_LONG}
          placeholder={DEFAULT_STATE_SCHEMA}
          value={jsonData.stateSchema ?? ''}
          onChange={onUpdateDatasourceJsonDataOption(props, 'stateSchema')}
        />
      </Field>
      <Field
        label="Retention"
        description={`Days of results and snapshots kept; older ones are deleted (default ${DEFAULT_RETENTION_DAYS})`}
        invalid={!!retentionError}
        error={retentionError}
      >
        <Input
          id="rarity-state-retention"
          type="number"
          width={WIDTH_LONG / 2}
          min={MIN_RETENTION_DAYS}
          max={MAX_RETENTION_DAYS}
          step={1}
          placeholder={String(DEFAULT_RETENTION_DAYS)}
          suffix="days"
          value={jsonData.retentionDays ?? ''}
          onChange={onRetention}
        />
      </Field>
      <Field
        label="Separate state database"
        description="Results go to another database, where the user needs CREATE; empty fields are taken from the log database"
      >
        <Switch id="rarity-state-separate" value={separate} onChange={onSeparate} />
      </Field>
      {separate && (
        <div className={styles.database}>
          {!jsonData.stateUrl && !jsonData.stateDatabase && (
            <p className={styles.warning} role="status">
              Name a host or a database; until then results stay in the log database.
            </p>
          )}
          <Field label="Host URL" description="host:port of the state server; empty: the log database's server">
            <Input
              id="rarity-state-host"
              width={WIDTH_LONG}
              placeholder="localhost:5432"
              value={jsonData.stateUrl ?? ''}
              onChange={onUpdateDatasourceJsonDataOption(props, 'stateUrl')}
            />
          </Field>
          <Field label="Database name" description="Empty: the log database's name on the state server">
            <Input
              id="rarity-state-database"
              width={WIDTH_LONG}
              placeholder="Database"
              value={jsonData.stateDatabase ?? ''}
              onChange={onUpdateDatasourceJsonDataOption(props, 'stateDatabase')}
            />
          </Field>
          <Field label="Username" description="Empty: the log database's user">
            <Input
              id="rarity-state-user"
              width={WIDTH_LONG}
              placeholder="Username"
              value={jsonData.stateUser ?? ''}
              onChange={onUpdateDatasourceJsonDataOption(props, 'stateUser')}
            />
          </Field>
          <Field label="Password" description="Empty without a username: the log database's password">
            <SecretInput
              id="rarity-state-password"
              width={WIDTH_LONG}
              placeholder="Password"
              isConfigured={Boolean(secureFields.statePassword)}
              onReset={() => updateDatasourcePluginResetOption(props, 'statePassword')}
              onBlur={onUpdateDatasourceSecureJsonDataOption(props, 'statePassword')}
            />
          </Field>
          <Field label="TLS/SSL Mode" description="Empty: the log database's mode">
            <Combobox<SslMode>
              id="rarity-state-sslmode"
              width={WIDTH_LONG}
              isClearable
              placeholder={`same as the log database (${logSslmode})`}
              options={SSL_MODES}
              value={jsonData.stateSslmode ?? null}
              onChange={(option) => updateDatasourcePluginJsonDataOption(props, 'stateSslmode', option?.value)}
            />
          </Field>
        </div>
      )}
    </FieldSet>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  intro: css({ color: theme.colors.text.secondary, marginBottom: theme.spacing(2), maxWidth: 720 }),
  warning: css({ color: theme.colors.warning.text, marginBottom: theme.spacing(2) }),
  database: css({
    borderLeft: `2px solid ${theme.colors.border.medium}`,
    paddingLeft: theme.spacing(2),
  }),
});
