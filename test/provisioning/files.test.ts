/**
 * provisioning/ as Grafana would load it: every file parses, datasources / apps / dashboard providers / alert
 * rules have the keys Grafana's provisioning reads, every datasource uid referenced is provisioned, and every
 * query model saved in a dashboard or an alert rule passes the shared validateQuery (dashboards before
 * interpolation with template variables allowed, and again after it; alert rules as they are).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import { validateQuery } from '../../common/validateQuery.ts';
import {
  alertQueries,
  annotationQueries,
  byFolder,
  dashboards,
  interpolate,
  panelQueries,
  provisioningFiles,
  ROOT,
} from './provisioning.ts';

const RARITY = 'rarity-anomaly-datasource';
const PANEL_IDS = ['rarity-spans-panel', 'rarity-logs-panel'];

function provisionedUids(): Set<string> {
  return new Set(byFolder('datasources').flatMap((f) => (f.data.datasources as any[]).map((d) => d.uid)));
}

describe('provisioning files', () => {
  it('all parse, each in one of the folders Grafana reads, with apiVersion 1 for the YAML ones', () => {
    const files = provisioningFiles();
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files) {
      expect(f.path).toMatch(/^provisioning\/(datasources|plugins|dashboards|alerting)\//);
      if (!f.path.endsWith('.json')) {
        expect(f.data.apiVersion, f.path).toBe(1);
      }
    }
  });

  it('provisions the demo datasource: uid rarity-demo on public.weblogs, connection from environment variables', () => {
    const [ds] = byFolder('datasources').flatMap((f) => f.data.datasources as any[]);
    expect(ds).toMatchObject({
      uid: 'rarity-demo',
      type: RARITY,
      jsonData: {
        table: 'public.weblogs',
        timeColumn: 'ts',
        idColumn: 'id',
        successRule: { field: 'state', op: '=', value: '1' },
        sslmode: 'disable',
      },
    });
    expect(ds.jsonData.url).toBe('${RARITY_PG_HOST}:${RARITY_PG_PORT}');
    for (const value of [ds.jsonData.database, ds.jsonData.user, ds.secureJsonData.password]) {
      expect(value).toMatch(/^\$\{RARITY_PG_\w+\}$/);
    }
  });

  it('enables the app and loads the dashboards folder', () => {
    const apps = byFolder('plugins').flatMap((f) => f.data.apps as any[]);
    expect(apps).toContainEqual(expect.objectContaining({ type: 'rarity-anomaly-app', disabled: false }));
    const providers = byFolder('dashboards')
      .filter((f) => !f.path.endsWith('.json'))
      .flatMap((f) => f.data.providers as any[]);
    expect(providers).toHaveLength(1);
    expect(providers[0]).toMatchObject({ type: 'file', folder: 'Rarity', options: { path: '${RARITY_DASHBOARDS}' } });
  });

  it('has the Anomalies dashboard and one dashboard per injected anomaly kind, with unique uids', () => {
    const all = dashboards().map((d) => d.data);
    expect(new Set(all.map((d) => d.uid)).size).toBe(all.length);
    expect(all.map((d) => d.title).sort()).toEqual(
      [
        'Anomalies',
        'Anomaly: license key used from a new country',
        'Anomaly: new request state',
        'Anomaly: one IP hammering with failures',
      ].sort(),
    );
    const anomalies = all.find((d) => d.uid === 'rarity-anomalies')!;
    expect(anomalies.templating.list.map((v: any) => v.name)).toEqual(['function', 'by', 'over', 'group']);
    expect(anomalies.panels.map((p: any) => p.type)).toEqual(expect.arrayContaining([...PANEL_IDS, 'table']));
    for (const d of all) {
      expect(
        d.templating.list.map((v: any) => v.name),
        d.title,
      ).toContain('group');
    }
  });

  it('every datasource uid referenced by a dashboard, annotation, variable or alert rule is provisioned', () => {
    const uids = provisionedUids();
    const referenced: Array<[string, string]> = [];
    const collect = (where: string, node: unknown): void => {
      if (Array.isArray(node)) {
        node.forEach((n) => collect(where, n));
      } else if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        const ds = o.datasource as { uid?: string; type?: string } | undefined;
        if (ds && typeof ds === 'object' && ds.type !== 'grafana' && ds.uid) {
          referenced.push([where, ds.uid]);
        }
        if (typeof o.datasourceUid === 'string' && o.datasourceUid !== '__expr__') {
          referenced.push([where, o.datasourceUid]);
        }
        Object.values(o).forEach((v) => collect(where, v));
      }
    };
    for (const f of [...dashboards(), ...byFolder('alerting')]) {
      collect(f.path, f.data);
    }
    expect(referenced.length).toBeGreaterThan(20);
    for (const [where, uid] of referenced) {
      expect(uids.has(uid), `${where} refers to datasource ${uid}`).toBe(true);
    }
  });

  it('every dashboard query passes validateQuery, with variables and after interpolating their current values', () => {
    const queries = [
      ...panelQueries().map((q) => ({
        where: `${q.dashboard} panel ${q.panel.id}`,
        target: q.target,
        dashboard: dashboards().find((d) => d.path === q.dashboard)!.data,
      })),
      ...annotationQueries().map((q) => ({
        where: `${q.dashboard} annotation ${q.annotation.name}`,
        target: q.annotation.target,
        dashboard: dashboards().find((d) => d.path === q.dashboard)!.data,
      })),
    ];
    expect(queries.length).toBeGreaterThanOrEqual(14);
    for (const { where, target, dashboard } of queries) {
      expect(validateQuery(target, { allowTemplateVariables: true }), where).toEqual([]);
      expect(validateQuery(interpolate(target, dashboard)), `${where} interpolated`).toEqual([]);
    }
  });

  it('alert rules: scores queries that pass validateQuery, reduced with max and thresholded at 75 over 10 minutes', () => {
    const queries = alertQueries();
    expect(queries.length).toBeGreaterThanOrEqual(1);
    for (const { rule, query } of queries) {
      expect(validateQuery(query.model), rule.title).toEqual([]);
      expect(query.model.queryType).toBe('scores');
      expect(query.relativeTimeRange).toEqual({ from: 600, to: 0 });
      const expressions = (rule.data as any[]).filter((d) => d.datasourceUid === '__expr__').map((d) => d.model);
      expect(expressions).toContainEqual(
        expect.objectContaining({ type: 'reduce', reducer: 'max', expression: query.refId }),
      );
      const threshold = expressions.find((e) => e.type === 'threshold');
      expect(threshold.conditions[0].evaluator).toEqual({ type: 'gte', params: [75] });
      expect(rule.condition).toBe(threshold.refId);
      expect(rule.labels.entity).toMatch(/\$labels\.(by|over)/);
    }
  });

  it('docker-compose.yaml mounts dist/ and provisioning/ and allows the four unsigned plugin ids', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yaml'), 'utf8'));
    const grafana = compose.services.grafana;
    expect(grafana.image).toMatch(/^grafana\/grafana/);
    expect(grafana.volumes).toEqual(
      expect.arrayContaining([
        './dist:/var/lib/grafana/plugins/rarity-anomaly-app',
        './provisioning:/etc/grafana/provisioning',
      ]),
    );
    const allowed = String(grafana.environment.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS).split(',');
    expect(allowed.sort()).toEqual([
      'rarity-anomaly-app',
      'rarity-anomaly-datasource',
      'rarity-logs-panel',
      'rarity-spans-panel',
    ]);
    expect(compose.services.postgres).toBeDefined();
    expect(JSON.stringify(compose.services)).toContain('seed');
  });
});
