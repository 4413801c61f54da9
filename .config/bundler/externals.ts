/**
 * Modules Grafana provides to plugins at run time (grafana/grafana
 * public/app/features/plugins/loader/sharedDependencies.ts), mirrored from @grafana/create-plugin's
 * `.config/bundler/externals.ts`. A plugin must not bundle these: two copies of React or of @grafana/data's
 * singletons (theme, template service, backend service) break hooks and runtime services.
 *
 * Not in the list on purpose: @grafana/schema and @grafana/i18n are not shared by Grafana's loader, so they
 * must be bundled if used at run time (we only import types from @grafana/schema).
 */
export const EXTERNAL_MODULES: readonly string[] = [
  'react',
  'react-dom',
  'react-dom/client',
  'react/jsx-runtime',
  'react/jsx-dev-runtime',
  'react-redux',
  'redux',
  'react-router',
  'react-router-dom',
  'react-inlinesvg',
  'rxjs',
  'rxjs/operators',
  'lodash',
  'moment',
  'jquery',
  'd3',
  'emotion',
  '@emotion/css',
  '@emotion/react',
  'prismjs',
  'slate',
  'slate-react',
  'slate-plain-serializer',
  '@grafana/slate-react',
  'i18next',
  '@grafana/data',
  '@grafana/data/unstable',
  '@grafana/ui',
  '@grafana/ui/unstable',
  '@grafana/runtime',
  '@grafana/runtime/unstable',
];

/** Dependencies an AMD module may name besides the externals: the loader's own pseudo-modules. */
export const AMD_PSEUDO_MODULES: readonly string[] = ['exports', 'require', 'module'];

export function isExternal(id: string): boolean {
  return EXTERNAL_MODULES.includes(id);
}
