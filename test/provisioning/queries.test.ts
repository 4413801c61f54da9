/**
 * Every query saved in provisioning/ run against the REAL backend executable on the seeded demo (own
 * database), interpolated as Grafana would with the dashboards' current variable values: each panel gets frames
 * of the type it draws, the per-anomaly dashboards find their injected anomaly, and the alert rules' scores
 * reduce (max over 10 minutes) to labelled series the way Grafana's Reduce / Threshold expressions read them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readFrames, type DecodedFrame } from '../backend/e2e.ts';
import { startDemoBackend, type DemoBackend } from '../backend/demoBackend.ts';
import { alertQueries, annotationQueries, dashboards, interpolate, panelQueries } from './provisioning.ts';

const MINUTE = 60_000;
let backend: DemoBackend;

beforeAll(async () => {
  backend = await startDemoBackend('rarity_provisioning');
}, 600_000);

afterAll(async () => {
  await backend?.close();
});

async function run(target: Record<string, unknown>, range?: { from: number; to: number }): Promise<DecodedFrame[]> {
  // Grafana sends the query model without the datasource reference it was saved with.
  const { datasource: _ds, ...model } = target;
  const response = await backend.query(model, range);
  expect(response.error ?? '', JSON.stringify(model)).toBe('');
  return readFrames(response.frames);
}

const isTimeSeries = (f: DecodedFrame) =>
  f.meta?.type === 'timeseries-multi' && JSON.stringify(f.meta?.typeVersion) === '[0,1]';
const isGroups = (f: DecodedFrame) =>
  [
    'groupId',
    'entity',
    'start',
    'end',
    'startingAt',
    'endingAt',
    'maxScore',
    'severity',
    'requests',
    'successful',
    'unsuccessful',
    'explanation',
  ].every((n) => f.fields.some((x) => x.name === n));
const isLogs = (f: DecodedFrame) =>
  f.meta?.type === 'log-lines' && ['timestamp', 'body', 'labels'].every((n) => f.fields.some((x) => x.name === n));

/** What each panel type draws from each query type. */
function expectFramesFor(panelType: string, queryType: string, frames: DecodedFrame[], where: string) {
  expect(frames.length, where).toBeGreaterThan(0);
  if (queryType === 'scores') {
    expect(['rarity-spans-panel', 'timeseries'], where).toContain(panelType);
    for (const f of frames) {
      expect(isTimeSeries(f), `${where}: ${f.name} is timeseries-multi`).toBe(true);
    }
    const labels = frames.map((f) => JSON.stringify(f.fields[1].labels));
    expect(new Set(labels).size, `${where}: unique label sets`).toBe(labels.length);
  } else if (queryType === 'groups') {
    expect(['rarity-spans-panel', 'table'], where).toContain(panelType);
    expect(frames.some(isGroups), where).toBe(true);
  } else if (queryType === 'logs') {
    expect(panelType, where).toBe('rarity-logs-panel');
    expect(frames.every(isLogs), where).toBe(true);
  } else {
    throw new Error(`${where}: unexpected query type ${queryType}`);
  }
}

describe('dashboard panels', () => {
  it.each(panelQueries().map((q) => [`${q.dashboard} · ${q.panel.title} · ${q.target.refId}`, q] as const))(
    '%s returns the frames its panel draws',
    async (where, q) => {
      const dashboard = dashboards().find((d) => d.path === q.dashboard)!.data;
      const target = interpolate(q.target, dashboard);
      const frames = await run(target, { from: backend.from, to: backend.to });
      expectFramesFor(q.panel.type, String(target.queryType), frames, where);
      if (q.panel.type === 'rarity-spans-panel' && target.queryType === 'groups') {
        // The spans panel finds its groups under the refId its options name.
        expect(q.panel.options?.groupsRefId).toBe(target.refId);
        expect(frames.find(isGroups)!.refId).toBe(target.refId);
      }
    },
  );

  it.each(annotationQueries().map((q) => [`${q.dashboard} · ${q.annotation.name}`, q] as const))(
    'annotation %s returns region annotations',
    async (_where, q) => {
      const [frame] = await run(q.annotation.target);
      for (const name of ['time', 'timeEnd', 'text', 'tags', 'score']) {
        expect(frame.fields.map((f) => f.name)).toContain(name);
      }
      expect(frame.rows().length).toBeGreaterThan(0);
    },
  );

  it('each per-anomaly dashboard shows its injected anomaly as a group of the right entity, and its logs', async () => {
    for (const anomaly of backend.seed.injected) {
      const file = dashboards().find((d) => d.data.tags.includes(anomaly.kind));
      expect(file, `dashboard for ${anomaly.kind}`).toBeDefined();
      const panels = file!.data.panels as any[];
      const groupsTarget = panels.find((p) => p.type === 'table').targets[0];
      expect(groupsTarget).toMatchObject({
        function: anomaly.detector.function,
        byField: anomaly.detector.by,
        ...(anomaly.detector.over ? { overField: anomaly.detector.over } : {}),
      });
      const groups = (await run(groupsTarget)).find(isGroups)!.rows() as Array<{
        groupId: string;
        entity: string;
        start: number;
        end: number;
      }>;
      const start = Date.parse(anomaly.start);
      const end = Date.parse(anomaly.end);
      const hit = groups.find((g) => g.entity === anomaly.entity && g.start < end + 5 * MINUTE && g.end > start);
      expect(hit, `${anomaly.kind}: a group for ${anomaly.entity} in ${anomaly.start}–${anomaly.end}`).toBeDefined();

      const logsTarget = panels.find((p) => p.type === 'rarity-logs-panel').targets[0];
      const [logs] = await run(logsTarget);
      const labels = logs.field('labels').values as Array<Record<string, string>>;
      expect(
        labels.filter((l) => l.groupId === hit!.groupId).length,
        `${anomaly.kind}: log entries of group ${hit!.groupId}`,
      ).toBeGreaterThan(0);
    }
  });
});

describe('alert rules', () => {
  it.each(alertQueries().map((q) => [q.rule.title, q] as const))(
    '%s: reduce(max) over 10 minutes of scores, per entity',
    async (_title, q) => {
      const anomaly = backend.seed.injected.find(
        (a) =>
          a.detector.function === q.query.model.function &&
          a.detector.by === q.query.model.byField &&
          (a.detector.over ?? undefined) === (q.query.model.overField ?? undefined),
      )!;
      expect(anomaly, 'an injected anomaly for this detector').toBeDefined();
      // Evaluate the rule every 5 minutes across the anomaly, each time over the last relativeTimeRange seconds.
      const window = q.query.relativeTimeRange.from * 1000;
      let strongest = { entity: '', max: 0 };
      for (let at = Date.parse(anomaly.start); at <= Date.parse(anomaly.end) + 15 * MINUTE; at += 5 * MINUTE) {
        const frames = await run(q.query.model, { from: at - window, to: at });
        expect(frames.every(isTimeSeries)).toBe(true);
        // Grafana's Reduce(max): one number per series, labels kept; the rule's `entity` label reads by/over.
        for (const f of frames) {
          const values = (f.fields[1].values as Array<number | null>).filter((v): v is number => v !== null);
          const max = values.length ? Math.max(...values) : 0;
          const labels = f.fields[1].labels ?? {};
          const entity = labels.over ?? labels.by;
          if (entity && max > strongest.max) {
            strongest = { entity, max };
          }
        }
      }
      // The strongest series in those windows names the injected entity (state 7, the hammering IP, the key).
      expect(strongest.entity).toBe(anomaly.entity);
      expect(strongest.max).toBeGreaterThanOrEqual(25);
    },
  );
});
