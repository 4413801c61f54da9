/**
 * The app's first page: what Rarity does and where to start. The work happens in the datasource and panels;
 * this page only points there, and to the jobs the datasource keeps.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { LinkButton, Stack, Text, TextLink, useStyles2 } from '@grafana/ui';

import { JOBS_PAGE_URL, NEW_DATASOURCE_URL } from './constants.ts';

export function OverviewPage() {
  const styles = useStyles2(getStyles);
  return (
    <PluginPage>
      <div className={styles.page}>
        <Stack direction="column" gap={2}>
          <Text element="h1">Rarity</Text>
          <Text color="secondary">
            Elastic-style <code>rare</code> and <code>freq_rare</code> anomaly detection over logs that already live in
            PostgreSQL: anomaly scores for alert rules, anomaly groups with their first and last log ids, and region
            annotations for any time series panel.
          </Text>
          <Stack direction="row" gap={1}>
            <LinkButton href={NEW_DATASOURCE_URL} icon="plus">
              Add a Rarity datasource
            </LinkButton>
            <LinkButton variant="secondary" href="explore" icon="compass">
              Explore logs
            </LinkButton>
            <LinkButton variant="secondary" href={JOBS_PAGE_URL} icon="list-ul">
              Detection jobs
            </LinkButton>
          </Stack>
          <Text color="secondary">
            Detection semantics follow Elastic ML —{' '}
            <TextLink href="https://www.elastic.co/guide/en/machine-learning/current/ml-rare-functions.html" external>
              rare functions
            </TextLink>
            .
          </Text>
        </Stack>
      </div>
    </PluginPage>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ padding: theme.spacing(3), maxWidth: 880 }),
});
