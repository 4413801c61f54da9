import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor.tsx';
import { QueryEditor } from './components/QueryEditor.tsx';
import { RarityDataSource } from './datasource.ts';
import type { RarityDataSourceOptions, RarityQuery, RaritySecureJsonData } from './types.ts';

// Variables and annotations are registered on the instance (CustomVariableSupport, AnnotationSupport),
// the non-deprecated routes since Grafana 10.
export const plugin = new DataSourcePlugin<
  RarityDataSource,
  RarityQuery,
  RarityDataSourceOptions,
  RaritySecureJsonData
>(RarityDataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
