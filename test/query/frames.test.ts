/**
 * The frame builders are pure functions of a detection result: checked here field by field (names, types,
 * values, labels, meta, display config) without a database or a plugin process.
 */
import { describe, expect, it } from 'vitest';
import { ANNOTATION_FIELDS, GROUP_FIELDS, LOG_FIELDS, LOG_LABELS, RECORD_FIELDS } from '../../common/frames.ts';
import type { AnomalyGroup, RecordResult } from '../../pkg-backend/src/engine/types.ts';
import type { Field, Frame } from '../../pkg-backend/src/query/contract.ts';
import type { DetectorDefinition } from '../../pkg-backend/src/query/definition.ts';
import type { DetectionResult } from '../../pkg-backend/src/query/detection.ts';
import { logsFrame, renderBody } from '../../pkg-backend/src/query/frames/logs.ts';
import { scoreFieldConfig } from '../../pkg-backend/src/query/frames/scoreFieldConfig.ts';
import { scoresFrames } from '../../pkg-backend/src/query/frames/scores.ts';
import { annotationsFrame, groupsFrame, recordsFrame } from '../../pkg-backend/src/query/frames/tables.ts';
import type { AnnotatedLogRow } from '../../pkg-backend/src/query/logs.ts';
import type { ColumnInfo, TableInfo } from '../../pkg-backend/src/store/index.ts';

const T = Date.parse('2026-05-01T00:00:00Z');
const SPAN = 300_000;

function column(name: string, type: string, category: ColumnInfo['category']): ColumnInfo {
  const categorical = ['text', 'integer'].includes(category);
  return {
    name,
    type,
    castType: type,
    category,
    nullable: true,
    suits: {
      time: category === 'time',
      id: category === 'integer',
      by: categorical,
      over: categorical,
      message: category === 'text',
    },
  };
}

const TABLE: TableInfo = {
  schema: 'public',
  name: 'weblogs',
  qualified: '"public"."weblogs"',
  columns: [
    column('id', 'bigint', 'integer'),
    column('ts', 'timestamp with time zone', 'time'),
    column('ip', 'text', 'text'),
    column('state', 'integer', 'integer'),
  ],
};
const col = (name: string) => TABLE.columns.find((c) => c.name === name)!;

function result(
  population: boolean,
  parts: Partial<Pick<DetectionResult, 'buckets' | 'records' | 'groups'>> = {},
): DetectionResult {
  const definition: DetectorDefinition = {
    table: TABLE,
    timeColumn: col('ts'),
    idColumn: col('id'),
    function: population ? 'freq_rare' : 'rare',
    byColumn: col('state'),
    overColumn: population ? col('ip') : null,
    bucketSpan: '5m',
    spanMs: SPAN,
    filters: [],
    successRule: null,
    learningBuckets: 20,
    groupThreshold: 25,
  };
  return {
    detector: {
      key: 'k1',
      table: TABLE.qualified,
      function: definition.function,
      byField: 'state',
      overField: population ? 'ip' : null,
      bucketSpan: '5m',
      bucketSpanSeconds: 300,
      learningBuckets: 20,
    },
    definition,
    from: new Date(T),
    to: new Date(T + 3 * SPAN),
    buckets: parts.buckets ?? [],
    records: parts.records ?? [],
    groups: parts.groups ?? [],
    stats: { historyFrom: new Date(T - 86_400_000), bucketsProcessed: 3, tuples: 9, rows: 30 },
  };
}

function record(time: number, entity: string, score: number, extra: Partial<RecordResult> = {}): RecordResult {
  return {
    time,
    by: '7',
    over: entity,
    entity,
    probability: 0.001,
    rawScore: score / 10,
    score,
    typical: 0.2,
    actual: 0.01,
    count: 3,
    causes: [{ by: '7', probability: 0.001, count: 3 }],
    explanation: { firstOccurrence: true, relativeRarity: 20, text: `first occurrence of state 7 for ip ${entity}` },
    ...extra,
  };
}

function group(
  id: string,
  entity: string,
  start: number,
  maxScore: number,
  extra: Partial<AnomalyGroup> = {},
): AnomalyGroup {
  return {
    id,
    entity,
    start,
    end: start + SPAN,
    startingAt: 10n,
    endingAt: 19n,
    maxScore,
    requests: 10,
    successful: 4,
    unsuccessful: 6,
    explanation: `state 7 is rare for ip ${entity}`,
    open: false,
    ...extra,
  };
}

const field = (frame: Frame, name: string): Field => {
  const found = frame.fields.find((f) => f.name === name);
  if (!found) {
    throw new Error(`frame ${frame.name} has no field ${name}`);
  }
  return found;
};
const names = (frame: Frame) => frame.fields.map((f) => f.name);

describe('scoreFieldConfig', () => {
  it('colours 0–100 by the severity bands, one decimal', () => {
    expect(scoreFieldConfig('Max score')).toEqual({
      displayNameFromDS: 'Max score',
      min: 0,
      max: 100,
      decimals: 1,
      unit: 'none',
      color: { mode: 'thresholds' },
      thresholds: {
        mode: 'absolute',
        steps: [
          { value: null, color: '#d2e9f7' },
          { value: 3, color: '#8bc8fb' },
          { value: 25, color: '#fdec25' },
          { value: 50, color: '#fba740' },
          { value: 75, color: '#fe5050' },
        ],
      },
      custom: { cellOptions: { type: 'color-background', mode: 'basic' } },
    });
  });
});

describe('scoresFrames', () => {
  const buckets = [0, 1, 2].map((i) => ({
    time: T + i * SPAN,
    rawScore: i,
    score: [0, 40, 90][i],
    learning: false,
    eventCount: 10,
  }));

  it('starts with the bucket score series, labelled score=bucket, as a data-plane timeseries-multi frame', () => {
    const [bucket] = scoresFrames(result(false, { buckets }), 'A', { minScore: 0, limit: 10 });
    expect(bucket.name).toBe('bucket');
    expect(bucket.refId).toBe('A');
    expect(bucket.meta).toEqual({ type: 'timeseries-multi', typeVersion: [0, 1] });
    expect(names(bucket)).toEqual(['time', 'score']);
    expect(field(bucket, 'time')).toMatchObject({ type: 'time', values: buckets.map((b) => b.time) });
    expect(field(bucket, 'score')).toMatchObject({ type: 'number', values: [0, 40, 90], labels: { score: 'bucket' } });
    expect(field(bucket, 'score').config?.displayNameFromDS).toBe('bucket score');
  });

  it('adds one series per entity (its highest record score per bucket), strongest first, labelled by or over', () => {
    const records = [
      record(T, '10.0.0.1', 30),
      record(T, '10.0.0.1', 60), // same bucket: the higher one counts
      record(T + SPAN, '10.0.0.1', 20),
      record(T + SPAN, '10.0.0.2', 80),
      record(T + 2 * SPAN, '10.0.0.3', 5),
    ];
    const frames = scoresFrames(result(true, { buckets, records }), 'A', { minScore: 10, limit: 10 });
    expect(frames.map((f) => f.name)).toEqual(['bucket', '10.0.0.2', '10.0.0.1']); // 10.0.0.3 is below minScore
    const one = frames[2];
    expect(field(one, 'time').values).toEqual([T, T + SPAN]);
    expect(field(one, 'score')).toMatchObject({ values: [60, 20], labels: { over: '10.0.0.1' } });
    expect(field(one, 'score').config?.displayNameFromDS).toBe('10.0.0.1');

    const byFrames = scoresFrames(result(false, { buckets, records: [record(T, '7', 50)] }), 'B', {
      minScore: 0,
      limit: 10,
    });
    expect(field(byFrames[1], 'score').labels).toEqual({ by: '7' });
    expect(scoresFrames(result(true, { buckets, records }), 'A', { minScore: 0, limit: 1 }).map((f) => f.name)).toEqual(
      ['bucket', '10.0.0.2'],
    );
  });

  it('leaves out entities whose score never rose above zero', () => {
    const frames = scoresFrames(result(true, { buckets, records: [record(T, '10.0.0.9', 0)] }), 'A', {
      minScore: 0,
      limit: 10,
    });
    expect(frames).toHaveLength(1);
  });
});

describe('recordsFrame', () => {
  const records = [
    record(T + SPAN, '10.0.0.1', 90, { groupId: 'g1' }),
    record(T, '10.0.0.2', 40),
    record(T + 2 * SPAN, '10.0.0.3', 10),
  ];

  it('has the record fields in order, with display names naming the detector fields', () => {
    const frame = recordsFrame(result(true, { records }), 'R', { minScore: 0, limit: 10 });
    expect(frame.name).toBe('records');
    expect(frame.refId).toBe('R');
    expect(frame.meta).toEqual({ preferredVisualisationType: 'table' });
    expect(names(frame)).toEqual(Object.values(RECORD_FIELDS));
    expect(field(frame, 'by').config?.displayNameFromDS).toBe('By (state)');
    expect(field(frame, 'over').config?.displayNameFromDS).toBe('Over (ip)');
    expect(field(frame, 'count').config?.displayNameFromDS).toBe('Requests');
    expect(field(frame, 'score').config?.thresholds).toBeDefined();
  });

  it('keeps the strongest `limit` at or above minScore, listed in time order, with severity and group id', () => {
    const frame = recordsFrame(result(true, { records }), 'R', { minScore: 20, limit: 10 });
    expect(field(frame, 'time').values).toEqual([T, T + SPAN]);
    expect(field(frame, 'score').values).toEqual([40, 90]);
    expect(field(frame, 'severity').values).toEqual(['minor', 'critical']);
    expect(field(frame, 'over').values).toEqual(['10.0.0.2', '10.0.0.1']);
    expect(field(frame, 'explanation').values).toEqual([
      'first occurrence of state 7 for ip 10.0.0.2',
      'first occurrence of state 7 for ip 10.0.0.1',
    ]);
    expect(field(frame, 'groupId')).toMatchObject({ values: [null, 'g1'], nullable: true });
    expect(field(recordsFrame(result(true, { records }), 'R', { minScore: 0, limit: 1 }), 'score').values).toEqual([
      90,
    ]);
  });

  it('says plain "Over" when the detector has no over field', () => {
    expect(field(recordsFrame(result(false), 'R', { minScore: 0, limit: 10 }), 'over').config?.displayNameFromDS).toBe(
      'Over',
    );
  });
});

describe('groupsFrame', () => {
  const groups = [
    group('g2', '10.0.0.2', T + SPAN, 55),
    group('g1', '10.0.0.1', T, 80, { open: true, startingAt: 9_007_199_254_740_993n }),
    group('g3', '10.0.0.3', T, 20),
  ];

  it('has the fields the panels read (common/frames.ts) and the detector in its meta', () => {
    const frame = groupsFrame(result(true, { groups }), 'G', { minScore: 0, limit: 10 });
    expect(frame.name).toBe('groups');
    expect(names(frame)).toEqual(Object.values(GROUP_FIELDS));
    expect(frame.meta).toEqual({ preferredVisualisationType: 'table', custom: { detector: result(true).detector } });
    expect(field(frame, 'entity').config?.displayNameFromDS).toBe('Entity (ip)');
    expect(field(frame, 'startingAt').type).toBe('int64');
    expect(field(frame, 'open').config?.displayNameFromDS).toBe('Ongoing');
  });

  it('keeps groups at or above minScore, the strongest first when limited, then in start order', () => {
    const frame = groupsFrame(result(true, { groups }), 'G', { minScore: 50, limit: 10 });
    expect(field(frame, 'groupId').values).toEqual(['g1', 'g2']);
    expect(field(frame, 'severity').values).toEqual(['critical', 'major']);
    expect(field(frame, 'startingAt').values).toEqual([9_007_199_254_740_993n, 10n]);
    expect(field(frame, 'start').values).toEqual([T, T + SPAN]);
    expect(field(frame, 'end').values).toEqual([T + SPAN, T + 2 * SPAN]);
    expect(field(frame, 'open').values).toEqual([true, false]);
    expect(field(frame, 'unsuccessful').values).toEqual([6, 6]);
    expect(field(groupsFrame(result(true, { groups }), 'G', { minScore: 0, limit: 1 }), 'groupId').values).toEqual([
      'g1',
    ]);
  });

  it('names the by field as the entity of a detector without an over field', () => {
    expect(field(groupsFrame(result(false), 'G', { minScore: 0, limit: 10 }), 'entity').config?.displayNameFromDS).toBe(
      'Entity (state)',
    );
  });
});

describe('annotationsFrame', () => {
  const groups = [group('g1', '10.0.0.1', T, 80), group('g2', '10.0.0.2', T + SPAN, 30)];

  it('is one region per group with a severity title, tags and the group in the text; no colour field', () => {
    const frame = annotationsFrame(result(true, { groups }), 'Anno', { minScore: 0, limit: 10 });
    expect(frame.name).toBe('annotations');
    expect(names(frame)).toEqual(Object.values(ANNOTATION_FIELDS));
    expect(names(frame)).not.toContain('color');
    expect(field(frame, 'time').values).toEqual([T, T + SPAN]);
    expect(field(frame, 'timeEnd').values).toEqual([T + SPAN, T + 2 * SPAN]);
    expect(field(frame, 'title').values).toEqual(['critical anomaly: ip 10.0.0.1', 'minor anomaly: ip 10.0.0.2']);
    expect(field(frame, 'tags').values).toEqual([
      ['rarity', 'freq_rare', 'severity:critical', 'ip:10.0.0.1'],
      ['rarity', 'freq_rare', 'severity:minor', 'ip:10.0.0.2'],
    ]);
    expect(field(frame, 'text').values[0]).toBe(
      'state 7 is rare for ip 10.0.0.1. Group g1, score 80.0, log ids 10–19, 10 requests (4 successful, 6 unsuccessful)',
    );
    expect(field(frame, 'score').values).toEqual([80, 30]);
    expect(field(frame, 'id').values).toEqual(['g1', 'g2']);
  });

  it('keeps the strongest `limit` at or above minScore', () => {
    expect(field(annotationsFrame(result(true, { groups }), 'Anno', { minScore: 50, limit: 10 }), 'id').values).toEqual(
      ['g1'],
    );
    expect(field(annotationsFrame(result(true, { groups }), 'Anno', { minScore: 0, limit: 1 }), 'id').values).toEqual([
      'g1',
    ]);
  });
});

describe('logsFrame', () => {
  const g = group('g1', '10.0.0.1', T, 80);
  const rows: AnnotatedLogRow[] = [
    {
      id: 12n,
      time: new Date(T + 1000),
      successful: false,
      message: null,
      values: { id: '12', ts: new Date(T + 1000), ip: '10.0.0.1', state: 7 },
      group: g,
    },
    {
      id: 11n,
      time: new Date(T),
      successful: null,
      message: 'GET /licence 200',
      values: { id: '11', ts: new Date(T), ip: null, state: 1 },
    },
  ];
  const columns = { timeColumn: 'ts', idColumn: 'id' };

  it('is a log-lines frame with the five log fields', () => {
    const frame = logsFrame(rows, 'L', columns);
    expect(frame.name).toBe('logs');
    expect(frame.refId).toBe('L');
    expect(frame.meta).toEqual({ type: 'log-lines', typeVersion: [0, 0], preferredVisualisationType: 'logs' });
    expect(names(frame)).toEqual(Object.values(LOG_FIELDS));
    expect(frame.fields.map((f) => f.type)).toEqual(['time', 'string', 'string', 'string', 'json']);
    expect(field(frame, 'timestamp').values).toEqual([new Date(T + 1000), new Date(T)]);
    expect(field(frame, 'id').values).toEqual(['12', '11']);
  });

  it('uses the message column as body when there is one, else the other columns; the level follows the group', () => {
    const frame = logsFrame(rows, 'L', columns);
    expect(field(frame, 'body').values).toEqual(['ip=10.0.0.1 state=7', 'GET /licence 200']);
    expect(field(frame, 'severity').values).toEqual(['critical', 'info']);
    expect(
      renderBody({ ...rows[0], values: { ...rows[0].values, at: new Date(T), extra: { a: 1 } } }, 'ts', 'id'),
    ).toBe(`ip=10.0.0.1 state=7 at=${new Date(T).toISOString()} extra={"a":1}`);
  });

  it('labels each line with its columns, the success verdict and its anomaly group', () => {
    const [first, second] = field(logsFrame(rows, 'L', columns), 'labels').values as Array<Record<string, string>>;
    expect(first).toEqual({
      ip: '10.0.0.1',
      state: '7',
      [LOG_LABELS.successful]: 'false',
      [LOG_LABELS.groupId]: 'g1',
      [LOG_LABELS.startingAt]: '10',
      [LOG_LABELS.endingAt]: '19',
      [LOG_LABELS.anomalyScore]: '80.0',
      [LOG_LABELS.anomalySeverity]: 'critical',
    });
    // Null columns and an unknown success verdict (no success rule) are left out.
    expect(second).toEqual({ state: '1' });
  });
});
