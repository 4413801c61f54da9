/**
 * The app's root: Grafana mounts it at /a/<plugin id>/*, and the routes below are relative to that, one per
 * page include in plugin.json. Anything else shows the overview.
 */
import type { AppRootProps } from '@grafana/data';
import { Route, Routes } from 'react-router-dom-v5-compat';

import { ROUTES } from './constants.ts';
import { JobsPage } from './JobsPage.tsx';
import { OverviewPage } from './OverviewPage.tsx';

export function RootPage(_props: AppRootProps) {
  return (
    <Routes>
      <Route path={ROUTES.jobs} element={<JobsPage />} />
      <Route path="*" element={<OverviewPage />} />
    </Routes>
  );
}
