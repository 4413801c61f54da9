/**
 * Names the app's pages and routes share. The ids come from the plugin.json files, so a renamed plugin cannot
 * leave a stale copy here.
 */
import appPlugin from '../../plugin.json';
import datasourcePlugin from '../datasource/plugin.json';

export const PLUGIN_ID = appPlugin.id;
/** The Rarity datasource's plugin id, which is also the `type` of every Rarity datasource. */
export const DATASOURCE_TYPE = datasourcePlugin.id;

/** Routes relative to the app's root (/a/<plugin id>/), as plugin.json's page includes name them. */
export const ROUTES = { jobs: 'jobs' } as const;

/** Grafana serves its pages under <base href>, so links inside Grafana are relative to it. */
export const JOBS_PAGE_URL = `a/${PLUGIN_ID}/${ROUTES.jobs}`;
export const NEW_DATASOURCE_URL = 'connections/datasources/new';

/** The search parameter that keeps the Jobs page's datasource across reloads and shared links. */
export const DATASOURCE_PARAM = 'datasource';
