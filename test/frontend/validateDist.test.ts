import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// @ts-expect-error -- plain .mjs script without type declarations
import { amdDependencies, validateDist } from '../../scripts/validate-dist.mjs';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function pluginJson(patch: Record<string, unknown> = {}) {
  return JSON.stringify({
    id: 'rarity-anomaly-app',
    type: 'app',
    name: 'Rarity',
    info: {
      version: '0.1.0',
      updated: '2026-11-27',
      author: { name: 'x' },
      logos: { small: 'img/logo.svg', large: 'img/logo.svg' },
    },
    includes: [{ type: 'datasource', name: 'Rarity' }],
    dependencies: { grafanaDependency: '>=12.3.0' },
    ...patch,
  });
}

function fixture(options: { app?: string; module?: string; dsModule?: string; dsJson?: Record<string, unknown> } = {}) {
  const dist = mkdtempSync(join(tmpdir(), 'rarity-dist-'));
  dirs.push(dist);
  for (const dir of ['img', 'datasource/img']) {
    mkdirSync(join(dist, dir), { recursive: true });
    writeFileSync(join(dist, dir, 'logo.svg'), '<svg/>');
  }
  for (const name of ['README.md', 'LICENSE', 'CHANGELOG.md']) {
    writeFileSync(join(dist, name), name);
  }
  writeFileSync(join(dist, 'plugin.json'), options.app ?? pluginJson());
  writeFileSync(
    join(dist, 'module.js'),
    options.module ?? 'define(["exports","@grafana/data"],function(e,d){e.plugin=1});',
  );
  writeFileSync(
    join(dist, 'datasource/plugin.json'),
    pluginJson({
      id: 'rarity-anomaly-datasource',
      type: 'datasource',
      includes: undefined,
      backend: true,
      executable: 'gpx_rarity',
      ...options.dsJson,
    }),
  );
  writeFileSync(
    join(dist, 'datasource/module.js'),
    options.dsModule ?? 'define(["exports","react","@grafana/ui"],function(){});',
  );
  return dist;
}

describe('validate-dist', () => {
  it('passes a well-formed package and only warns that the backend has not been built', () => {
    const { errors, warnings } = validateDist(fixture());
    expect(errors).toEqual([]);
    expect(warnings.join('\n')).toMatch(/no gpx_rarity_<os>_<arch> executable yet/);
  });

  it('reads the dependency list of an AMD module and refuses code before define()', () => {
    expect(amdDependencies('/* banner */\ndefine(["react"], f)')).toEqual({ deps: ['react'] });
    expect(amdDependencies('var a=1;define(["react"], f)').error).toMatch(/not an AMD module/);
  });

  it('reports the errors Grafana would trip over', () => {
    const dist = fixture({
      app: pluginJson({
        id: 'Rarity_App',
        info: { version: '%VERSION%', updated: '%TODAY%', logos: { small: 'img/missing.svg', large: 'img/logo.svg' } },
      }),
      module: 'var leaked=1;define(["exports"],function(){})',
      dsModule: 'define(["exports","@grafana/schema","left-pad"],function(){})',
      dsJson: { type: 'panel' },
    });
    const text = validateDist(dist).errors.join('\n');
    expect(text).toMatch(/id "Rarity_App" does not match/);
    expect(text).toMatch(/info.version "%VERSION%" must be a filled semantic version/);
    expect(text).toMatch(/placeholder %VERSION% was not filled/);
    expect(text).toMatch(/logo img\/missing.svg does not exist/);
    expect(text).toMatch(/module.js is not an AMD module/);
    expect(text).toMatch(/requires @grafana\/schema, left-pad, which Grafana does not provide/);
    expect(text).toMatch(/id "rarity-anomaly-datasource" must end in "-panel"/);
    expect(text).toMatch(/includes datasource "Rarity", but no nested datasource plugin.json has that name/);
  });

  it('says where executables must be when they sit beside the wrong plugin.json', () => {
    const dist = fixture();
    writeFileSync(join(dist, 'gpx_rarity_linux_amd64'), '#!/bin/sh\n', { mode: 0o755 });
    expect(validateDist(dist, { targets: ['linux-amd64'] }).errors.join('\n')).toMatch(
      /must be in datasource\/, but they are at gpx_rarity_linux_amd64/,
    );
  });
});
