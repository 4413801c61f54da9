// ESLint 9 flat config: @grafana/eslint-config as create-plugin's .config/eslint.config.mjs uses it, over our
// TypeScript, plus the import directions of docs/architecture.md. Formatting is Prettier's (npm run lint runs both).
import { defineConfig, globalIgnores } from 'eslint/config';
import grafanaConfig from '@grafana/eslint-config';

const SOURCES = ['{src,common,pkg-backend,test,bench,scripts,.config}/**/*.{ts,tsx,mts}', '*.ts'];

// Relative specifiers, as written in the import: the rule does not resolve them.
const BACKEND = {
  regex: '(^|/)pkg-backend/',
  message: 'The front end never imports pkg-backend/: share through common/.',
};
const FRONTEND = {
  regex: '^(\\.\\./)+src/',
  message: 'The backend never imports the front end (src/): share through common/.',
};
const STORE_INTERNALS = {
  regex: '(^|/)pkg-backend/src/store/(?!index\\.ts$)',
  message: 'Outside the store, import pkg-backend/src/store/index.ts only.',
};
const NEUTRAL = [BACKEND, FRONTEND].map(({ regex }) => ({
  regex,
  message: 'common/ is what both sides share: it imports neither src/ nor pkg-backend/.',
}));
// The same from inside pkg-backend/src, where the store is a sibling folder.
const STORE_SIBLING = { regex: '^(\\.\\./)+store/(?!index\\.ts$)', message: STORE_INTERNALS.message };
// runtime/ sits beside every backend layer, so it may use none of them.
const LAYER_FREE = { regex: '^\\.\\./', message: 'runtime/ imports no other layer: the layers import it.' };

/** One no-restricted-imports setting per area: a later setting replaces an earlier one, it does not add to it. */
function restrict(...patterns) {
  // @grafana/eslint-config's own restriction, which an override would otherwise drop.
  return { 'no-restricted-imports': ['error', { paths: ['moment'], patterns }] };
}

export default defineConfig([
  globalIgnores(['**/node_modules/', '**/dist/', '**/coverage/', '.rarity/', '.ci/out/']),
  {
    files: SOURCES,
    extends: [grafanaConfig],
    rules: {
      // As create-plugin: TypeScript types the props.
      'react/prop-types': 'off',
      // The automatic JSX runtime (tsconfig "jsx": "react-jsx"): no React in scope needed.
      'react/react-in-jsx-scope': 'off',
      'react/jsx-uses-react': 'off',
    },
  },
  {
    // As create-plugin: type-aware, to flag deprecated Grafana APIs in the front end.
    files: ['src/**/*.{ts,tsx}'],
    languageOptions: { parserOptions: { project: './tsconfig.json' } },
    rules: { '@typescript-eslint/no-deprecated': 'warn' },
  },
  { files: SOURCES, rules: restrict(STORE_INTERNALS) },
  { files: ['src/**'], rules: restrict(BACKEND, STORE_INTERNALS) },
  { files: ['common/**'], rules: restrict(...NEUTRAL) },
  { files: ['pkg-backend/**'], rules: restrict(FRONTEND, STORE_INTERNALS, STORE_SIBLING) },
  { files: ['pkg-backend/src/store/**'], rules: restrict(FRONTEND) },
  { files: ['pkg-backend/src/runtime/**'], rules: restrict(FRONTEND, LAYER_FREE) },
  // The store's own tests reach its modules directly.
  { files: ['test/store/**'], rules: restrict() },
]);
