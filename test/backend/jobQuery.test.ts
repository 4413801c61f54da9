/**
 * A job query against the REAL built executable over real gRPC: its records and groups frames decode with
 * Grafana's types and carry runJob's values (the job is persisted in the demo's state store); a bad detector is a 400 naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAME_NAMES, GROUP_FIELDS, RECORD_FIELDS } from '../../common/frames.ts';
import type { RarityDataSourceOptions, RarityQuery } from '../../common/queryModel.ts';
import { JOB_RECORD_FIELDS } from '../../pkg-backend/src/query/frames/job.ts';
import { runJob, type JobRunResult } from '../../pkg-backend/src/query/jobRun.ts';
import { jobQueryRequest } from '../../pkg-backend/src/query/request.ts';
import { startDemoBackend, type DemoBackend } from './demoBackend.ts';
import { WEBLOGS_JSON, badTypes, evaluateAlert, readFrames } from './e2e.ts';
import { decodeFrames } from './host.ts';

const JOB = {
  bucketSpan: '1h',
  detectors: [
    { function: 'rare', byField: 'state', partitionField: 'key' },
    { function: 'freq_rare', byField: 'state', overField: 'ip' },
  ],
  influencers: ['key'],
  limit: 10_000,
};

let backend: DemoBackend;
let expected: JobRunResult;

beforeAll(async () => {
  backend = await startDemoBackend('rarity_backend_job_query', { days: 4, rowsPerDay: 3000 });
  expected = await runJob(
    backend.pool,
    jobQueryRequest(JOB as unknown as RarityQuery, WEBLOGS_JSON as RarityDataSourceOptions),
    { from: new Date(backend.from), to: new Date(backend.to) },
  );
}, 180_000);
afterAll(() => backend?.close());

describe('a job query over gRPC', () => {
  it('answers records and groups with runJob’s values from its persisted job, Grafana-readable', async () => {
    const records = await backend.query({ queryType: 'records', ...JOB });
    expect(records.error ?? '').toBe('');
    expect(badTypes(decodeFrames(records.frames))).toEqual([]);
    const [frame] = readFrames(records.frames);
    expect(frame.name).toBe(FRAME_NAMES.records);
    expect(expected.records.length).toBeGreaterThan(0);
    const key = (time: unknown, detector: unknown, by: unknown, over: unknown, partition: unknown) =>
      JSON.stringify([time, detector, by, over, partition]);
    const got = frame
      .rows()
      .map((r) =>
        key(
          r[RECORD_FIELDS.time],
          r[JOB_RECORD_FIELDS.detector],
          r[RECORD_FIELDS.by],
          r[RECORD_FIELDS.over],
          r[JOB_RECORD_FIELDS.partition],
        ),
      )
      .sort();
    const want = expected.records
      .map((r) => key(r.time, expected.job.detectors[r.detector].description, r.by, r.over, r.partition))
      .sort();
    expect(got).toEqual(want);
    // The demo database keeps state: the job is persisted, current, and says nothing about it.
    expect(JSON.stringify(frame.meta?.notices ?? [])).not.toMatch(/not persisted|processing history/);

    const groups = await backend.query({ queryType: 'groups', ...JOB });
    const [g] = readFrames(groups.frames);
    expect(g.field(GROUP_FIELDS.id).values).toEqual(
      [...expected.groups].sort((a, b) => a.start - b.start || b.maxScore - a.maxScore).map((x) => x.id),
    );
    expect(g.field(GROUP_FIELDS.startingAt).values.map(String)).toEqual(
      [...expected.groups].sort((a, b) => a.start - b.start || b.maxScore - a.maxScore).map((x) => x.startingAt),
    );
  });

  it('answers influencers as alertable series, one alert instance per key', async () => {
    const res = await backend.query({ queryType: 'influencers', ...JOB });
    expect(res.error ?? '').toBe('');
    expect(badTypes(decodeFrames(res.frames))).toEqual([]);
    const decoded = readFrames(res.frames);
    expect(decoded.length).toBeGreaterThan(0);
    const instances = evaluateAlert(decoded, 25);
    const keys = new Set(expected.influencers.filter((i) => i.field === 'key' && i.score > 0).map((i) => i.value));
    expect([...instances.keys()].sort()).toEqual([...keys].map((k) => JSON.stringify({ key: k })).sort());
    for (const [labels, { max }] of instances) {
      const key = (JSON.parse(labels) as { key: string }).key;
      // The executable runs on bun, whose Math.pow / exp / log come from the platform's libm where node's are V8's
      // own: the same engine can differ in the last bits of a score, never in what it finds.
      expect(max).toBeCloseTo(Math.max(...expected.influencers.filter((i) => i.value === key).map((i) => i.score)), 9);
    }
  });

  it('refuses a bad detector with a 400 naming it', async () => {
    const res = await backend.query({
      queryType: 'scores',
      ...JOB,
      detectors: [{ function: 'freq_rare', byField: 'state' }],
    });
    expect(res.status).toBe(400);
    expect(res.error).toMatch(/^detectors\[0\]: freq_rare needs an over field/);
  });
});
