/**
 * Mounts the ConfigEditor, the QueryEditor or the app's Jobs page (?view=config|query|jobs) inside Grafana's
 * real ThemeContext (createTheme, ?theme=light|dark) with @grafana/ui's global styles, as Grafana's own pages
 * do. The Jobs page gets a browser router (its ?datasource= lands in the address bar) and the title Grafana's
 * page chrome would show above it (@grafana/runtime's PluginPage is a plain <div> outside Grafana).
 */
import { createTheme, type DataSourceSettings } from '@grafana/data';
import { GlobalStyles, Stack, Text, ThemeContext } from '@grafana/ui';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom-v5-compat';

import '../grafanaFonts.ts';
import { JobsPage } from '../../../src/app/JobsPage.tsx';
import { ConfigEditor } from '../../../src/datasource/components/ConfigEditor.tsx';
import { QueryEditor } from '../../../src/datasource/components/QueryEditor.tsx';
import type { RarityDataSourceOptions, RarityQuery, RaritySecureJsonData } from '../../../src/datasource/types.ts';
import { installGrafanaServices } from './grafanaServices.ts';

const params = new URLSearchParams(window.location.search);
const mode = params.get('theme') === 'dark' ? 'dark' : 'light';
const VIEWS = ['config', 'query', 'jobs'] as const;
const view = VIEWS.find((v) => v === params.get('view')) ?? 'query';
const table = params.get('table') ?? '';
const theme = createTheme({ colors: { mode } });

// ?successRule={"field":…} gives the datasource a success rule, so the derived `successful` field means something.
const successRule = params.get('successRule');
const datasource = installGrafanaServices({ table, ...(successRule && { successRule: JSON.parse(successRule) }) });

function ConfigView() {
  const [options, setOptions] = useState({
    id: 1,
    uid: 'harness',
    orgId: 1,
    name: 'Rarity',
    type: 'rarity-anomaly-datasource',
    typeName: 'Rarity',
    typeLogoUrl: '',
    access: 'proxy',
    url: 'localhost:5432',
    user: 'grafana',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    withCredentials: false,
    readOnly: false,
    version: 1,
    jsonData: { database: 'logs', sslmode: 'require' },
    secureJsonFields: { password: true },
  } as unknown as DataSourceSettings<RarityDataSourceOptions, RaritySecureJsonData>);
  useEffect(() => {
    (window as unknown as { harnessOptions: unknown }).harnessOptions = options;
  }, [options]);
  return <ConfigEditor options={options} onOptionsChange={setOptions} />;
}

function QueryView() {
  const [query, setQuery] = useState<RarityQuery>({ refId: 'A', queryType: 'groups', function: 'rare', byField: '' });
  const [runs, setRuns] = useState(0);
  useEffect(() => {
    (window as unknown as { harnessQuery: unknown }).harnessQuery = query;
  }, [query]);
  return (
    <>
      <QueryEditor datasource={datasource} query={query} onChange={setQuery} onRunQuery={() => setRuns((n) => n + 1)} />
      <output data-testid="runs" hidden>
        {runs}
      </output>
    </>
  );
}

function JobsView() {
  return (
    <Stack direction="column" gap={2}>
      <Text element="h1">Jobs</Text>
      {/* Opting into React Router's v7 behaviours keeps its future-flag warnings out of the console. */}
      <BrowserRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
        <JobsPage />
      </BrowserRouter>
    </Stack>
  );
}

function Page() {
  return (
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <main style={{ padding: theme.spacing(3), minHeight: '100vh', background: theme.colors.background.primary }}>
        {view === 'config' ? <ConfigView /> : view === 'jobs' ? <JobsView /> : <QueryView />}
      </main>
    </ThemeContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Page />
  </StrictMode>,
);
