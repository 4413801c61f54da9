/**
 * The app's one page: what Rarity does and where to start. The work happens in the datasource and panels;
 * this page only points there.
 */
import { css } from '@emotion/css';
import type { AppRootProps, GrafanaTheme2 } from '@grafana/data';
import { LinkButton, Stack, Text, TextLink, useStyles2 } from '@grafana/ui';

export function RootPage(_props: AppRootProps) {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.page}>
      <Stack direction="column" gap={2}>
        <Text element="h1">Rarity</Text>
        <Text color="secondary">
          Elastic-style <code>rare</code> and <code>freq_rare</code> anomaly detection over logs that already live in
          PostgreSQL: anomaly scores for alert rules, anomaly groups with their first and last log ids, and region
          annotations for any time series panel.
        </Text>
        <Stack direction="row" gap={1}>
          <LinkButton href="connections/datasources/new" icon="plus">
            Add a Rarity datasource
          </LinkButton>
          <LinkButton variant="secondary" href="explore" icon="compass">
            Explore logs
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
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ padding: theme.spacing(3), maxWidth: 880 }),
});
