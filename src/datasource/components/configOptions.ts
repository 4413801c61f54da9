/**
 * What the config editor's sections share, so the state database's settings look and offer exactly what the
 * log database's do.
 */
import type { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import type { ComboboxOption } from '@grafana/ui';

import type { RaritySecureJsonData } from '../../../common/queryModel.ts';
import type { RarityDataSourceOptions } from '../types.ts';

export type ConfigProps = DataSourcePluginOptionsEditorProps<RarityDataSourceOptions, RaritySecureJsonData>;

export type SslMode = NonNullable<RarityDataSourceOptions['sslmode']>;

export const WIDTH_LONG = 40;

export const SSL_MODES: Array<ComboboxOption<SslMode>> = [
  { value: 'disable', label: 'disable' },
  { value: 'require', label: 'require' },
  { value: 'verify-ca', label: 'verify-ca' },
  { value: 'verify-full', label: 'verify-full' },
];
