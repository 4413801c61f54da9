/**
 * Readers for provisioning/ shared by the provisioning tests: every file parsed, the dashboards' panels and
 * their queries, the alert rules' datasource queries, and Grafana-style interpolation of dashboard variables
 * with their saved current values.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PROVISIONING = join(ROOT, 'provisioning');

export interface ParsedFile {
  path: string;
  data: Record<string, any>;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Every YAML and JSON file under provisioning/ (throws with the file name when one does not parse). */
export function provisioningFiles(): ParsedFile[] {
  return walk(PROVISIONING)
    .filter((p) => /\.(ya?ml|json)$/.test(p))
    .sort()
    .map((path) => {
      const text = readFileSync(path, 'utf8');
      try {
        return { path: relative(ROOT, path), data: path.endsWith('.json') ? JSON.parse(text) : parse(text) };
      } catch (error) {
        throw new Error(`${relative(ROOT, path)} does not parse: ${(error as Error).message}`);
      }
    });
}

export const byFolder = (folder: string) =>
  provisioningFiles().filter((f) => f.path.startsWith(`provisioning/${folder}/`));
export const dashboards = () => byFolder('dashboards').filter((f) => f.path.endsWith('.json'));

export interface PanelQuery {
  dashboard: string;
  panel: { id: number; type: string; title: string; options?: Record<string, any> };
  target: Record<string, any>;
}

export function panelQueries(): PanelQuery[] {
  return dashboards().flatMap(({ path, data }) =>
    (data.panels as any[]).flatMap((panel) =>
      (panel.targets ?? []).map((target: any) => ({ dashboard: path, panel, target })),
    ),
  );
}

export function annotationQueries(): Array<{ dashboard: string; annotation: Record<string, any> }> {
  return dashboards().flatMap(({ path, data }) =>
    (data.annotations?.list ?? [])
      .filter((a: any) => a.datasource?.uid !== '-- Grafana --' && a.target)
      .map((annotation: any) => ({ dashboard: path, annotation })),
  );
}

export function alertQueries(): Array<{ file: string; rule: Record<string, any>; query: Record<string, any> }> {
  return byFolder('alerting').flatMap(({ path, data }) =>
    (data.groups as any[]).flatMap((group) =>
      (group.rules as any[]).flatMap((rule) =>
        (rule.data as any[])
          .filter((q) => q.datasourceUid !== '__expr__')
          .map((query) => ({ file: path, rule, query })),
      ),
    ),
  );
}

/** Replaces $name, ${name} and ${name:fmt} with the dashboard variable's saved current value, as Grafana would. */
export function interpolate<T>(value: T, dashboard: Record<string, any>): T {
  const current = new Map<string, string>(
    (dashboard.templating?.list ?? []).map((v: any) => [v.name, String(v.current?.value ?? '')]),
  );
  const replace = (text: string) =>
    text.replace(
      /\$\{(\w+)(?::\w+)?\}|\$(\w+)/g,
      (whole, a: string | undefined, b: string | undefined) => current.get((a ?? b)!) ?? whole,
    );
  return JSON.parse(JSON.stringify(value), (_key, v) => (typeof v === 'string' ? replace(v) : v)) as T;
}
