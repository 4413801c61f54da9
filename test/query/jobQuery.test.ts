/**
 * Job queries (several detectors) through the datasource: their scores, records, groups, annotations and logs
 * frames carry runJob's result value for value, with a notice that nothing is persisted; a single-detector
 * query is answered as before; a bad detector is a 400 naming it.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAME_NAMES, GROUP_FIELDS, LOG_FIELDS, LOG_LABELS, RECORD_FIELDS } from '../../common/frames.ts';
import type { RarityQuery } from '../../common/queryModel.ts';
import { QUIET_DAYS, seedDemo, type SeedResult } from '../../pkg-backend/src/demo/seed.ts';
import type {
  DataQueryInput,
  DataResponseOut,
  DatasourceInstance,
  Frame,
  RequestContext,
} from '../../pkg-backend/src/query/contract.ts';
import { createDatasource } from '../../pkg-backend/src/query/datasource.ts';
import { runDetection } from '../../pkg-backend/src/query/detection.ts';
import { influencersText, JOB_GROUP_FIELDS, JOB_RECORD_FIELDS } from '../../pkg-backend/src/query/frames/job.ts';
import { scoresFrames } from '../../pkg-backend/src/query/frames/scores.ts';
import { groupsFrame, recordsFrame } from '../../pkg-backend/src/query/frames/tables.ts';
import { runJob, type JobRunResult } from '../../pkg-backend/src/query/jobRun.ts';
import { detectorRequest, jobQueryRequest } from '../../pkg-backend/src/query/request.ts';
import type { DataSourceSettings } from '../../pkg-backend/src/query/settings.ts';
import { createPool } from '../../pkg-backend/src/store/index.ts';
import { createDatabase } from '../setup/databases.ts';

const DAY = 86_400_000;
const END = new Date('2026-11-20T00:00:00Z');
const jsonData = {
  table: 'public.weblogs',
  timeColumn: 'ts',
  idColumn: 'id',
  successRule: { field: 'state', op: '=', value: '1' },
} as const;
const settings = { uid: 'ds', id: 1, name: 'ds', jsonData } as unknown as DataSourceSettings;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

const JOB: Partial<RarityQuery> = {
  bucketSpan: '1h',
  detectors: [
    { function: 'rare', byField: 'state', partitionField: 'key' },
    { function: 'freq_rare', byField: 'state', overField: 'ip' },
  ],
  influencers: ['key'],
};
// This instance has no state store: the job runs in the plugin, and says so.
const NOTICE =
  'job with 2 detectors computed in the plugin from the first row; results are not persisted: this datasource has no state store';

let pool: pg.Pool;
let seed: SeedResult;
let window: { from: Date; to: Date };
let expected: JobRunResult;
const ds = createDatasource();

function ctx(headers: Record<string, string> = {}): RequestContext {
  const instance: DatasourceInstance = { key: 'ds@1', settings, pool };
  return {
    instance,
    orgId: 1,
    pluginId: 'rarity',
    pluginVersion: 'test',
    userAgent: 'test',
    headers,
    fromAlert: false,
    signal: new AbortController().signal,
    logger: silent,
  };
}

function input(queryType: string, json: Partial<RarityQuery>): DataQueryInput {
  return {
    refId: 'A',
    queryType,
    json: { queryType, limit: 10_000, ...json },
    timeRange: window,
    intervalMs: 60_000,
    maxDataPoints: 1000,
  };
}

async function answer(queryType: string, json: Partial<RarityQuery>, headers?: Record<string, string>) {
  return (await ds.queryData(ctx(headers), [input(queryType, json)])).get('A')!;
}

async function frames(queryType: string, json: Partial<RarityQuery> = JOB): Promise<Frame[]> {
  const a = await answer(queryType, json);
  if (!('frames' in a) || 'error' in a) {
    throw new Error(JSON.stringify(a));
  }
  return a.frames;
}

function refusal(a: DataResponseOut): { status: number; error: string } {
  if (!('error' in a)) {
    throw new Error(`expected an error, got frames ${JSON.stringify(a)}`);
  }
  return a as unknown as { status: number; error: string };
}

const column = (frame: Frame, name: string) => {
  const field = frame.fields.find((f) => f.name === name);
  if (!field) {
    throw new Error(`no field ${name} in ${frame.fields.map((f) => f.name).join(', ')}`);
  }
  return field.values;
};

beforeAll(async () => {
  pool = createPool({ connectionString: await createDatabase('rarity_job_query'), max: 4 });
  seed = await seedDemo(pool, { days: QUIET_DAYS + 1, rowsPerDay: 3000, end: END });
  window = { from: new Date(seed.from.getTime() + QUIET_DAYS * DAY), to: seed.to };
  expected = await runJob(pool, jobQueryRequest(JOB as RarityQuery, jsonData), window);
});
afterAll(() => pool.end());

describe('job queries through the datasource', () => {
  it('builds the JobRequest from the query and the datasource settings', () => {
    const request = jobQueryRequest({ ...JOB, filters: [{ field: 'product', op: '=', value: '1' }] } as RarityQuery, {
      ...jsonData,
      modelMemoryLimitMb: 64,
    });
    expect(request).toMatchObject({
      table: 'public.weblogs',
      timeColumn: 'ts',
      idColumn: 'id',
      successRule: jsonData.successRule,
      filters: [{ field: 'product', op: '=', value: '1' }],
      modelMemoryLimitBytes: 64 * 1024 * 1024,
      job: {
        bucketSpanSeconds: 3600,
        influencers: ['key'],
        groupField: 'key',
        detectors: [
          { function: 'rare', byField: 'state', partitionField: 'key' },
          { function: 'freq_rare', byField: 'state', overField: 'ip' },
        ],
      },
    });
  });

  it('answers scores with runJob’s bucket scores and one series per detector, partition and entity', async () => {
    const got = await frames('scores');
    const bucket = got[0];
    expect(bucket.name).toBe(FRAME_NAMES.bucketScores);
    expect(bucket.fields[1].labels).toEqual({ score: 'bucket' });
    expect(bucket.fields[0].values).toEqual(expected.buckets.map((b) => b.time));
    expect(bucket.fields[1].values).toEqual(expected.buckets.map((b) => b.score));
    const series = got.slice(1);
    expect(series.length).toBeGreaterThan(0);
    const labelSets = new Set(series.map((f) => JSON.stringify(f.fields[1].labels)));
    expect(labelSets.size).toBe(series.length);
    for (const frame of series) {
      const labels = frame.fields[1].labels!;
      const detector = Number(labels.detector);
      const mine = expected.records.filter(
        (r) =>
          r.detector === detector &&
          (r.over ?? r.by) === (labels.over ?? labels.by) &&
          (r.partition ?? undefined) === labels.partition,
      );
      expect(Object.keys(labels)).toContain(detector === 0 ? 'by' : 'over');
      const max = new Map<number, number>();
      for (const r of mine) {
        max.set(r.time, Math.max(max.get(r.time) ?? 0, r.score));
      }
      const times = [...max.keys()].sort((a, b) => a - b);
      expect(frame.fields[0].values).toEqual(times);
      expect(frame.fields[1].values).toEqual(times.map((t) => max.get(t)));
    }
    expect(
      series.some((f) => f.fields[1].labels!.detector === '0' && f.fields[1].labels!.partition !== undefined),
    ).toBe(true);
    expect(series.some((f) => f.fields[1].labels!.detector === '1')).toBe(true);
  });

  it('answers records with runJob’s records, each naming its detector, function, partition and influencers', async () => {
    const [frame] = await frames('records');
    expect(frame.name).toBe(FRAME_NAMES.records);
    const rows = column(frame, RECORD_FIELDS.time).map((time, i) => ({
      time,
      score: column(frame, RECORD_FIELDS.score)[i],
      probability: column(frame, RECORD_FIELDS.probability)[i],
      by: column(frame, RECORD_FIELDS.by)[i],
      over: column(frame, RECORD_FIELDS.over)[i],
      groupId: column(frame, RECORD_FIELDS.groupId)[i],
      detector: column(frame, JOB_RECORD_FIELDS.detector)[i],
      function: column(frame, JOB_RECORD_FIELDS.function)[i],
      partition: column(frame, JOB_RECORD_FIELDS.partition)[i],
      influencers: column(frame, JOB_RECORD_FIELDS.influencers)[i],
    }));
    const want = expected.records.map((r) => ({
      time: r.time,
      score: r.score,
      probability: r.probability,
      by: r.by,
      over: r.over,
      groupId: r.groupId,
      detector: expected.job.detectors[r.detector].description,
      function: r.function,
      partition: r.partition,
      influencers: influencersText(r),
    }));
    const key = (r: { time: unknown; detector: unknown; by: unknown; over: unknown; partition: unknown }) =>
      JSON.stringify([r.time, r.detector, r.by, r.over, r.partition]);
    expect(want.length).toBeGreaterThan(0);
    expect([...rows].sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      [...want].sort((a, b) => key(a).localeCompare(key(b))),
    );
    expect(new Set(rows.map((r) => r.detector))).toEqual(
      new Set(['rare by state partitionfield=key', 'freq_rare by state over ip']),
    );
    const influenced = rows.find((r) => r.influencers !== '');
    expect(influenced?.influencers).toMatch(/^key=\S* \(\d\.\d\d\)/);
  });

  it('answers groups and annotations with runJob’s groups of the group field', async () => {
    const [frame] = await frames('groups', { ...JOB, groupField: 'key' });
    expect(frame.name).toBe(FRAME_NAMES.groups);
    expect(expected.groups.length).toBeGreaterThan(0);
    const byStart = [...expected.groups].sort((a, b) => a.start - b.start || b.maxScore - a.maxScore);
    expect(column(frame, GROUP_FIELDS.id)).toEqual(byStart.map((g) => g.id));
    expect(column(frame, GROUP_FIELDS.entity)).toEqual(byStart.map((g) => g.entity));
    expect(column(frame, JOB_GROUP_FIELDS.field)).toEqual(byStart.map(() => 'key'));
    expect(column(frame, GROUP_FIELDS.startingAt)).toEqual(byStart.map((g) => BigInt(g.startingAt!)));
    expect(column(frame, GROUP_FIELDS.endingAt)).toEqual(byStart.map((g) => BigInt(g.endingAt!)));
    expect(column(frame, GROUP_FIELDS.maxScore)).toEqual(byStart.map((g) => g.maxScore));
    expect(column(frame, GROUP_FIELDS.requests)).toEqual(byStart.map((g) => g.requests));
    expect(column(frame, GROUP_FIELDS.unsuccessful)).toEqual(byStart.map((g) => g.unsuccessful));
    expect(frame.fields.find((f) => f.name === GROUP_FIELDS.entity)?.config?.displayNameFromDS).toBe('Entity (key)');

    const [regions] = await frames('annotations');
    expect(regions.name).toBe(FRAME_NAMES.annotations);
    expect(column(regions, 'id')).toEqual([...expected.groups].sort((a, b) => a.start - b.start).map((g) => g.id));
    expect(column(regions, 'tags')[0]).toEqual(expect.arrayContaining(['rarity', 'rare', 'freq_rare']));
  });

  it('answers logs with the entries of its groups, each carrying Group Id, Starting At and Ending At', async () => {
    const [frame] = await frames('logs', { ...JOB, minScore: 1 });
    expect(frame.name).toBe(FRAME_NAMES.logs);
    const labels = column(frame, LOG_FIELDS.labels) as Array<Record<string, string>>;
    const ids = column(frame, LOG_FIELDS.id) as string[];
    expect(labels.length).toBeGreaterThan(0);
    const groups = new Map(expected.groups.map((g) => [g.id, g]));
    labels.forEach((l, i) => {
      const g = groups.get(l[LOG_LABELS.groupId]);
      expect(g, JSON.stringify(l)).toBeDefined();
      expect(l.key).toBe(g!.entity);
      expect(l[LOG_LABELS.startingAt]).toBe(g!.startingAt);
      expect(l[LOG_LABELS.endingAt]).toBe(g!.endingAt);
      expect(BigInt(ids[i]) >= BigInt(g!.startingAt!) && BigInt(ids[i]) <= BigInt(g!.endingAt!)).toBe(true);
    });
    // Every row of a group's value and id window is read: its request count.
    const perGroup = new Map<string, number>();
    for (const l of labels) {
      perGroup.set(l[LOG_LABELS.groupId], (perGroup.get(l[LOG_LABELS.groupId]) ?? 0) + 1);
    }
    for (const [id, n] of perGroup) {
      expect(n).toBe(groups.get(id)!.requests);
    }
    const all = await frames('logs', { ...JOB, minScore: 0, limit: 5000 });
    const marked = (column(all[0], LOG_FIELDS.labels) as Array<Record<string, string>>).filter(
      (l) => l[LOG_LABELS.groupId] !== undefined,
    );
    expect(marked.length).toBe(labels.length);
  });

  it('says in every frame that the job ran in the plugin, unpersisted', async () => {
    for (const queryType of ['scores', 'records', 'groups', 'annotations', 'logs']) {
      for (const frame of await frames(queryType)) {
        expect(frame.meta?.notices).toContainEqual({ severity: 'info', text: NOTICE });
        expect(frame.meta?.custom).toMatchObject({ job: { groupField: 'key', influencers: ['key'] } });
      }
    }
  });

  it('answers influencers with one series per influencer value, labelled {field=value}, and no bucket series', async () => {
    const got = await frames('influencers');
    expect(expected.influencers.length).toBeGreaterThan(0);
    const values = new Set(expected.influencers.filter((i) => i.score > 0).map((i) => i.value));
    expect(got.map((f) => f.fields[1].labels)).toEqual(expect.arrayContaining([...values].map((v) => ({ key: v }))));
    expect(got.every((f) => Object.keys(f.fields[1].labels!).join() === 'key')).toBe(true);
    for (const frame of got) {
      const value = frame.fields[1].labels!.key;
      const mine = expected.influencers.filter((i) => i.field === 'key' && i.value === value);
      const max = new Map<number, number>();
      for (const i of mine) {
        max.set(i.time, Math.max(max.get(i.time) ?? 0, i.score));
      }
      const times = [...max.keys()].sort((a, b) => a - b);
      expect(frame.fields[0].values).toEqual(times);
      expect(frame.fields[1].values).toEqual(times.map((t) => max.get(t)));
    }
    const single = refusal(await answer('influencers', { function: 'rare', byField: 'state' }));
    expect(single.status).toBe(400);
    expect(single.error).toMatch(/queryType influencers needs a job with at least one influencer/);
  });

  it('refuses a bad detector with a 400 naming it', async () => {
    const missingOver = refusal(
      await answer('scores', { ...JOB, detectors: [JOB.detectors![0], { function: 'freq_rare', byField: 'state' }] }),
    );
    expect(missingOver.status).toBe(400);
    expect(missingOver.error).toMatch(/^detectors\[1\]: freq_rare needs an over field/);
    const wrongType = refusal(
      await answer('scores', {
        ...JOB,
        detectors: [{ function: 'rare', byField: 5 as unknown as string }],
      }),
    );
    expect(wrongType).toMatchObject({ status: 400, error: 'detectors[0].byField must be a string, got 5' });
    const noColumn = refusal(
      await answer(
        'scores',
        { ...JOB, detectors: [{ function: 'rare', byField: 'nosuch' }] },
        { 'X-Cache-Skip': 'true' },
      ),
    );
    expect(noColumn.status).toBe(400);
    expect(noColumn.error).toMatch(/detectors\[0\] .*nosuch/);
  });

  it('answers a single-detector query as before, without the job notice', async () => {
    const single: Partial<RarityQuery> = { function: 'rare', byField: 'state', overField: 'ip', bucketSpan: '1h' };
    const plain = await runDetection(pool, detectorRequest(single, jsonData), window);
    const options = { minScore: 0, limit: 10_000 };
    const strip = (fs: Frame[]) => fs.map((f) => ({ ...f, meta: { ...f.meta, stats: undefined, custom: undefined } }));
    const scores = await frames('scores', single);
    expect(strip(scores)).toEqual(strip(scoresFrames(plain, 'A', options)));
    expect(strip(await frames('records', single))).toEqual(strip([recordsFrame(plain, 'A', options)]));
    expect(strip(await frames('groups', single))).toEqual(strip([groupsFrame(plain, 'A', options)]));
    expect(scores[0].meta?.notices).toBeUndefined();
    expect(scores[0].meta?.custom).toMatchObject({ detector: { byField: 'state', overField: 'ip' } });
  });
});
