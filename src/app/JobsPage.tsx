/**
 * The Jobs page: the persisted detection jobs of one Rarity datasource (chosen in the picker, kept in the
 * URL as ?datasource=<uid>), with Reset and Delete. A datasource without a state store gets the backend's
 * advice on how to give it one instead of a table.
 */
import { css } from '@emotion/css';
import type { DataSourceInstanceSettings, GrafanaTheme2 } from '@grafana/data';
import { DataSourcePicker, PluginPage, getDataSourceSrv } from '@grafana/runtime';
import { Alert, Button, InlineField, LinkButton, Stack, Text, useStyles2 } from '@grafana/ui';
import { useCallback, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom-v5-compat';

import type { JobSummary } from '../../common/resources.ts';
import { describeError, useResource } from '../datasource/components/useResource.ts';
import { jobResourcesForUid } from '../datasource/resources.ts';
import { DATASOURCE_PARAM, DATASOURCE_TYPE, NEW_DATASOURCE_URL } from './constants.ts';
import { ConfirmJobAction } from './jobs/ConfirmJobAction.tsx';
import { JobsTable, type JobAction } from './jobs/JobsTable.tsx';

interface Pending {
  job: JobSummary;
  action: JobAction;
}

interface Failure {
  title: string;
  message: string;
}

/** The datasource named in the URL, else the first Rarity datasource; choosing one writes it to the URL. */
function useChosenDatasource() {
  const [params, setParams] = useSearchParams();
  const datasources = useMemo(() => getDataSourceSrv().getList({ pluginId: DATASOURCE_TYPE }), []);
  const uid = params.get(DATASOURCE_PARAM) ?? datasources[0]?.uid;
  const choose = useCallback(
    (ds: DataSourceInstanceSettings) =>
      // Other parameters (Grafana's own, or a harness's) stay as they are.
      setParams((current) => {
        const next = new URLSearchParams(current);
        next.set(DATASOURCE_PARAM, ds.uid);
        return next;
      }),
    [setParams],
  );
  return { uid, name: datasources.find((ds) => ds.uid === uid)?.name ?? uid, none: datasources.length === 0, choose };
}

export function JobsPage() {
  const styles = useStyles2(getStyles);
  const datasource = useChosenDatasource();
  const { uid } = datasource;
  const list = useResource(uid ? async () => (await jobResourcesForUid(uid)).jobs() : undefined, uid ?? '');
  const [pending, setPending] = useState<Pending>();
  const [failure, setFailure] = useState<Failure>();
  const onAction = useCallback((job: JobSummary, action: JobAction) => setPending({ job, action }), []);

  const confirm = async () => {
    if (!pending || !uid) {
      return;
    }
    const { job, action } = pending;
    try {
      const resources = await jobResourcesForUid(uid);
      await (action === 'reset' ? resources.resetJob(job.key) : resources.deleteJob(job.key));
      setFailure(undefined);
    } catch (error) {
      setFailure({ title: `Could not ${action} job "${job.description}" (${job.key})`, message: describeError(error) });
    } finally {
      setPending(undefined);
      // Also after a failure: a 404 means someone else deleted it, and the list should say so.
      list.reload();
    }
  };

  return (
    <PluginPage subTitle="Detection jobs kept in PostgreSQL: how far each has analysed its log table, and how it is doing.">
      <Stack direction="column" gap={2}>
        <Stack direction="row" gap={1} alignItems="center" wrap="wrap">
          <InlineField label="Datasource" htmlFor="rarity-jobs-datasource" className={styles.field}>
            <DataSourcePicker
              pluginId={DATASOURCE_TYPE}
              current={uid ?? null}
              onChange={datasource.choose}
              noDefault
              width={36}
              inputId="rarity-jobs-datasource"
              placeholder="Choose a Rarity datasource"
            />
          </InlineField>
          <Button
            variant="secondary"
            icon={list.loading ? 'spinner' : 'sync'}
            onClick={list.reload}
            disabled={!uid || list.loading}
          >
            Refresh
          </Button>
        </Stack>

        {failure && (
          <Alert severity="error" title={failure.title} onRemove={() => setFailure(undefined)}>
            {failure.message}
          </Alert>
        )}

        {datasource.none && !uid ? (
          <Alert severity="info" title="There is no Rarity datasource yet">
            <Stack direction="column" gap={1} alignItems="flex-start">
              <span>Jobs belong to a datasource: add one, then come back here.</span>
              <LinkButton href={NEW_DATASOURCE_URL} icon="plus" size="sm">
                Add a Rarity datasource
              </LinkButton>
            </Stack>
          </Alert>
        ) : list.error ? (
          <Alert severity="error" title={`Could not list the jobs of ${datasource.name}`}>
            {list.error}
          </Alert>
        ) : !list.value ? (
          list.loading && <Text color="secondary">Loading jobs…</Text>
        ) : !list.value.persisted ? (
          <Alert severity="warning" title={`The jobs of ${datasource.name} are not persisted`}>
            {sentence(list.value.advice)}
          </Alert>
        ) : list.value.jobs.length === 0 ? (
          <div className={styles.empty}>
            <Text element="p">No jobs in schema {list.value.schema} yet.</Text>
            <Text element="p" color="secondary">
              Jobs are created on first use by a query or an alert rule, or with <code>rarity jobs backfill</code>.
            </Text>
          </div>
        ) : (
          <Stack direction="column" gap={1}>
            <Text color="secondary" variant="bodySmall">
              {list.value.jobs.length === 1 ? '1 job' : `${list.value.jobs.length} jobs`} in schema {list.value.schema}
            </Text>
            <JobsTable jobs={list.value.jobs} onAction={onAction} />
          </Stack>
        )}
      </Stack>
      {pending && (
        <ConfirmJobAction
          job={pending.job}
          action={pending.action}
          onConfirm={confirm}
          onDismiss={() => setPending(undefined)}
        />
      )}
    </PluginPage>
  );
}

/** The backend's advice reads as a clause ("results are not persisted: grant …"); on its own it is a sentence. */
function sentence(text: string): string {
  const capitalised = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

const getStyles = (theme: GrafanaTheme2) => ({
  // InlineField keeps a bottom margin for forms; here it sits in a toolbar row.
  field: css({ margin: 0 }),
  empty: css({
    padding: theme.spacing(3),
    border: `1px dashed ${theme.colors.border.medium}`,
    borderRadius: theme.shape.radius.default,
    textAlign: 'center',
  }),
});
