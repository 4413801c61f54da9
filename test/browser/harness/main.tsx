/**
 * Mounts the ConfigEditor or the QueryEditor (?view=config|query) inside Grafana's real ThemeContext
 * (createTheme, ?theme=light|dark) with @grafana/ui's global styles, as Grafana's own pages do.
 */
import { createTheme, type DataSourceSettings } from '@grafana/data';
import { GlobalStyles, ThemeContext } from '@grafana/ui';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';

import '../grafanaFonts.ts';
import { ConfigEditor } from '../../../src/datasource/components/ConfigEditor.tsx';
import { QueryEditor } from '../../../src/datasource/components/QueryEditor.tsx';
import type { RarityDataSourceOptions, RarityQuery, RaritySecureJsonData } from '../../../src/datasource/types.ts';
import { installGrafanaServices } from './grafanaServices.ts';

const params = new URLSearchParams(window.location.search);
const mode = params.get('theme') === 'dark' ? 'dark' : 'light';
const view = params.get('view') === 'config' ? 'config' : 'query';
const table = params.get('table') ?? '';
const theme = createTheme({ colors: { mode } });

const datasource = installGrafanaServices({ table });

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

function Page() {
  return (
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <main style={{ padding: theme.spacing(3), minHeight: '100vh', background: theme.colors.background.primary }}>
        {view === 'config' ? <ConfigView /> : <QueryView />}
      </main>
    </ThemeContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Page />
  </StrictMode>,
);
