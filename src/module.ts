import { AppPlugin } from '@grafana/data';

import { RootPage } from './app/RootPage.tsx';

/** The app bundles the datasource (./datasource) and the panels (./panels/spans, ./panels/logs); its own UI is one overview page. */
export const plugin = new AppPlugin<{}>().setRootPage(RootPage);
