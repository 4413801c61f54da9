import { AppPlugin } from '@grafana/data';

import { RootPage } from './app/RootPage.tsx';

/**
 * The app bundles the datasource (./datasource) and the panels (./panels/spans, ./panels/logs); its own pages
 * are the overview and the detection jobs (./app/RootPage.tsx routes them).
 */
export const plugin = new AppPlugin<{}>().setRootPage(RootPage);
