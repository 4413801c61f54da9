import { describe, expect, it } from 'vitest';

import { formatSeconds, parseDurationMs, parseElasticTimeMs } from '../../common/duration.ts';
import {
  ElasticJobError,
  checkElasticJob,
  parseElasticJob,
  toElasticJob,
  type ElasticJobBody,
} from '../../common/elasticJob.ts';
import { isSuccessfulField, SUCCESSFUL_FIELD, type JobDefinition } from '../../common/jobModel.ts';
import { JsonTextError, parseJsonText } from '../../common/jsonText.ts';
import { MAX_INFLUENCERS, MAX_JOB_DETECTORS } from '../../common/limits.ts';
import { resolveColumn, type TableInfo } from '../../pkg-backend/src/store/index.ts';

const MIB = 1024 * 1024;

// Written as Elastic's documentation and prebuilt security jobs write them: a rare process per host job.
const RARE_PROCESS_BY_HOST = `{
  "job_id": "rare_process_by_host_linux",
  "description": "Security: Linux - looks for processes that are unusual to a particular host",
  "groups": ["security", "linux", "process"],
  "analysis_config": {
    "bucket_span": "15m",
    "detectors": [
      {
        "detector_description": "rare process executions on Linux",
        "function": "rare",
        "by_field_name": "process.name",
        "partition_field_name": "host.name",
        "detector_index": 0
      }
    ],
    "influencers": ["host.name", "process.name", "user.name"]
  },
  "analysis_limits": { "model_memory_limit": "256mb", "categorization_examples_limit": 4 },
  "data_description": { "time_field": "@timestamp", "time_format": "epoch_ms" },
  "custom_settings": { "created_by": "ml-module-security-linux", "job_tags": { "euid": "4001" } }
}`;

// The freq_rare example of Elastic's function reference, as a console request in Kibana's Dev Tools.
const FREQ_RARE_URI = `PUT _ml/anomaly_detectors/web-freq-rare-uri?pretty
{
  "description": "Clients that request many rarely requested URIs",
  "analysis_config": {
    "bucket_span": "1h",
    "detectors": [{ "function": "freq_rare", "by_field_name": "uri", "over_field_name": "clientip" }],
    "influencers": ["clientip"]
  },
  "data_description": { "time_field": "timestamp" }
}`;

// GET _ml/anomaly_detectors/<id>: the job with everything Elastic adds to it.
const GET_RESPONSE = {
  count: 1,
  jobs: [
    {
      job_id: 'status-rare',
      job_type: 'anomaly_detector',
      job_version: '8.15.0',
      create_time: 1719916800000,
      analysis_config: {
        bucket_span: '30m',
        detectors: [
          {
            detector_description: 'rare by status partitionfield="service.name"',
            function: 'rare',
            by_field_name: 'status',
            partition_field_name: 'service.name',
            detector_index: 0,
          },
        ],
        influencers: ['service.name', 'status'],
        model_prune_window: '30d',
        per_partition_categorization: { enabled: false, stop_on_warn: false },
      },
      analysis_limits: { model_memory_limit: '1gb', categorization_examples_limit: 4 },
      data_description: { time_field: 'timestamp', time_format: 'epoch_ms' },
      model_snapshot_retention_days: 10,
      daily_model_snapshot_retention_after_days: 1,
      results_index_name: 'shared',
      allow_lazy_open: false,
      model_snapshot_id: '1719920000',
      blocked: { reason: 'none' },
      datafeed_config: {
        datafeed_id: 'datafeed-status-rare',
        indices: ['web-logs'],
        query: { bool: { must: [{ match_all: {} }] } },
      },
    },
  ],
};

/** A job body around `detectors` (and more of analysis_config). */
const body = (detectors: unknown[], config: Record<string, unknown> = {}, job: Record<string, unknown> = {}) => ({
  ...job,
  analysis_config: { bucket_span: '5m', detectors, ...config },
});
const messages = (input: unknown) => checkElasticJob(input).problems.map((p) => p.message);
const warnings = (input: unknown) => parseElasticJob(input).warnings;

describe('parseElasticJob: Elastic jobs as Elastic writes them', () => {
  it('reads a partitioned rare job, its dotted field names addressing the columns named so', () => {
    const job = parseElasticJob(RARE_PROCESS_BY_HOST);
    expect(job).toEqual({
      jobId: 'rare_process_by_host_linux',
      description: 'Security: Linux - looks for processes that are unusual to a particular host',
      bucketSpan: '15m',
      bucketSpanSeconds: 900,
      detectors: [
        {
          function: 'rare',
          byField: '"process.name"',
          partitionField: '"host.name"',
          description: 'rare process executions on Linux',
        },
      ],
      influencers: ['"host.name"', '"process.name"', '"user.name"'],
      modelMemoryLimitBytes: 256 * MIB,
      timeField: '"@timestamp"',
      warnings: [
        'Ignored, as they do not change detection in Rarity: groups, analysis_limits.categorization_examples_limit, custom_settings',
      ],
    });
  });

  it('reads a freq_rare job sent as a console request, the job id taken from the request', () => {
    const job = parseElasticJob(FREQ_RARE_URI);
    expect(job.jobId).toBe('web-freq-rare-uri');
    expect(job.detectors).toEqual([
      { function: 'freq_rare', byField: 'uri', overField: 'clientip', description: 'freq_rare by uri over clientip' },
    ]);
    expect(job.bucketSpanSeconds).toBe(3600);
    expect(job.timeField).toBe('timestamp');
    expect(job.warnings).toEqual([]);
  });

  it('reads the one job of a GET response; what Elastic adds to a job says nothing, what it changes says so', () => {
    const job = parseElasticJob(JSON.stringify(GET_RESPONSE, null, 2));
    expect(job.jobId).toBe('status-rare');
    expect(job.detectors[0]).toEqual({
      function: 'rare',
      byField: 'status',
      partitionField: '"service.name"',
      description: 'rare by status partitionfield="service.name"',
    });
    expect(job.modelMemoryLimitBytes).toBe(1024 * MIB);
    expect(job.warnings).toHaveLength(3);
    expect(job.warnings[0]).toMatch(/^analysis_config\.model_prune_window "30d" is not applied/);
    expect(job.warnings[1]).toMatch(/^datafeed_config is not applied: Rarity reads the datasource's table/);
    expect(job.warnings[2]).toBe(
      'Ignored, as they do not change detection in Rarity: model_snapshot_retention_days, daily_model_snapshot_retention_after_days, results_index_name, allow_lazy_open, analysis_limits.categorization_examples_limit',
    );
    // The parsed value reads as its text does.
    expect(parseElasticJob(GET_RESPONSE)).toEqual(job);
  });

  it('refuses a GET response holding several jobs or none, naming them', () => {
    const two = { count: 2, jobs: [GET_RESPONSE.jobs[0], { ...GET_RESPONSE.jobs[0], job_id: 'other' }] };
    expect(messages(two)).toEqual([
      'The response holds 2 jobs (status-rare, other); Rarity reads one job at a time, so keep one',
    ]);
    expect(messages({ count: 0, jobs: [] })).toEqual(['The response holds no jobs']);
  });

  it('writes Elastic’s default description when a detector has none, quoting names as Elastic does', () => {
    const job = parseElasticJob(
      body([
        { function: 'rare', by_field_name: 'process.name', partition_field_name: 'host.name' },
        { function: 'rare', by_field_name: 'status', over_field_name: 'client_ip' },
      ]),
    );
    expect(job.detectors.map((d) => d.description)).toEqual([
      'rare by "process.name" partitionfield="host.name"',
      'rare by status over client_ip',
    ]);
  });

  it('takes Elastic’s default bucket span, 5m, when none is given', () => {
    const job = parseElasticJob({ analysis_config: { detectors: [{ function: 'rare', by_field_name: 'ip' }] } });
    expect(job.bucketSpan).toBe('5m');
    expect(job.bucketSpanSeconds).toBe(300);
  });
});

describe('parseElasticJob: what is refused', () => {
  it('refuses functions other than rare and freq_rare, naming the detector by number and description', () => {
    const job = body([
      { function: 'rare', by_field_name: 'status' },
      { function: 'high_count', by_field_name: 'key' },
      { function: 'rar', by_field_name: 'ip', detector_description: 'typo' },
      { by_field_name: 'country' },
    ]);
    expect(messages(job)).toEqual([
      'detector 2 ("high_count by key"): function "high_count" is not supported; Rarity runs rare and freq_rare',
      'detector 3 ("typo"): function "rar" is not one of Elastic\'s functions; Rarity runs rare and freq_rare',
      'detector 4 ("by country"): function is missing; Rarity runs rare and freq_rare',
    ]);
    expect(checkElasticJob(job).problems.map((p) => p.path)).toEqual([
      'analysis_config.detectors[1].function',
      'analysis_config.detectors[2].function',
      'analysis_config.detectors[3].function',
    ]);
  });

  it('requires a by field for rare and by and over fields for freq_rare', () => {
    expect(messages(body([{ function: 'rare', over_field_name: 'ip' }]))).toEqual([
      'detector 1 ("rare over ip"): rare needs by_field_name, the field whose rare values are searched for',
    ]);
    expect(messages(body([{ function: 'freq_rare', by_field_name: 'uri', over_field_name: '' }]))).toEqual([
      'detector 1 ("freq_rare by uri"): freq_rare needs over_field_name, the population (e.g. client IPs) whose members are compared',
    ]);
    expect(messages(body([{ function: 'rare', by_field_name: 7 }]))).toEqual([
      'analysis_config.detectors[0].by_field_name must be a string, got 7',
    ]);
  });

  it('refuses what Elastic refuses in a detector: a field_name, repeated fields, mlcategory', () => {
    expect(
      messages(
        body([
          { function: 'rare', field_name: 'bytes', by_field_name: 'status' },
          { function: 'rare', by_field_name: 'key', partition_field_name: 'key' },
          { function: 'freq_rare', by_field_name: 'ip', over_field_name: 'ip' },
          { function: 'rare', by_field_name: 'mlcategory' },
        ]),
      ),
    ).toEqual([
      'detector 1 ("rare by status"): rare takes no field_name (it looks at the values of by_field_name); Elastic refuses it too',
      'detector 2 ("rare by key partitionfield=key"): partition_field_name and by_field_name cannot be the same: "key"',
      'detector 3 ("freq_rare by ip over ip"): by_field_name and over_field_name cannot be the same: "ip"',
      'detector 4 ("rare by mlcategory"): by_field_name "mlcategory" needs Elastic\'s categorization of messages, which Rarity does not do',
    ]);
  });

  it('refuses duplicate detectors, as Elastic does', () => {
    const rare = { function: 'rare', by_field_name: 'ip', partition_field_name: 'key' };
    expect(
      messages(body([rare, { function: 'rare', by_field_name: 'state' }, { ...rare, detector_description: 'again' }])),
    ).toEqual([
      'detectors 1 and 3 are the same (rare by ip partitionfield=key); Elastic refuses duplicate detectors too',
    ]);
  });

  it(`allows ${MAX_JOB_DETECTORS} detectors and ${MAX_INFLUENCERS} influencers, not one more`, () => {
    const detectors = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ function: 'rare', by_field_name: `f${i}` }));
    const influencers = (n: number) => Array.from({ length: n }, (_, i) => `f${i}`);
    expect(messages(body(detectors(MAX_JOB_DETECTORS), { influencers: influencers(MAX_INFLUENCERS) }))).toEqual([]);
    expect(messages(body(detectors(MAX_JOB_DETECTORS + 1)))).toEqual([
      `${MAX_JOB_DETECTORS + 1} detectors given; at most ${MAX_JOB_DETECTORS} are allowed in one job`,
    ]);
    expect(messages(body(detectors(1), { influencers: influencers(MAX_INFLUENCERS + 1) }))).toEqual([
      `${MAX_INFLUENCERS + 1} influencers given; at most ${MAX_INFLUENCERS} are allowed in one job`,
    ]);
    expect(messages(body([]))).toEqual(['analysis_config.detectors is empty: a job needs at least one detector']);
    expect(messages({ analysis_config: { bucket_span: '5m' } })).toEqual([
      'analysis_config.detectors is missing: a job needs at least one detector',
    ]);
    expect(messages({ description: 'no config' })).toEqual([
      'analysis_config is missing: it holds the bucket span, the detectors and the influencers',
    ]);
  });

  it('refuses keys Elastic does not know either, pointing at the one meant', () => {
    expect(
      messages({
        bucket_span: '1h',
        detector: [],
        analysis_config: {
          bucketSpan: '1h',
          detectors: [{ function: 'rare', by_field: 'ip' }],
          influencer: ['ip'],
          mystery: 1,
        },
      }),
    ).toEqual([
      'unknown field "bucket_span" in the job; it belongs in analysis_config',
      'unknown field "detector" in the job; did you mean "detectors", which belongs in analysis_config?',
      'unknown field "bucketSpan" in analysis_config; did you mean "bucket_span"?',
      'unknown field "influencer" in analysis_config; did you mean "influencers"?',
      'unknown field "mystery" in analysis_config; Elastic refuses it too',
      'unknown field "by_field" in analysis_config.detectors[0]; did you mean "by_field_name"?',
      'detector 1 ("rare"): rare needs by_field_name, the field whose rare values are searched for',
    ]);
  });

  it('holds job ids to Elastic’s rule and to the request they were sent with', () => {
    const detectors = [{ function: 'rare', by_field_name: 'ip' }];
    expect(messages(body(detectors, {}, { job_id: 'My Job' }))).toEqual([
      'job_id "My Job" is not valid: use lower-case letters, digits, hyphens and underscores, starting and ending with a letter or digit (Elastic\'s rule)',
    ]);
    expect(messages(body(detectors, {}, { job_id: 'a'.repeat(65) }))).toEqual([
      `job_id "${'a'.repeat(65)}" is longer than 64 characters`,
    ]);
    const request = `PUT _ml/anomaly_detectors/one\n${JSON.stringify(body(detectors, {}, { job_id: 'two' }))}`;
    expect(messages(request)).toEqual([
      'job_id "two" in the body differs from "one" in the request; Elastic refuses that too',
    ]);
    expect(parseElasticJob(`POST _ml/anomaly_detectors/_validate\n${JSON.stringify(body(detectors))}`).jobId).toBe(
      undefined,
    );
    expect(messages('GET _ml/anomaly_detectors/one')).toEqual([
      'The request "GET _ml/anomaly_detectors/one" does not create an anomaly detection job; paste the body of PUT _ml/anomaly_detectors/<job_id>, or that request with its body',
    ]);
    expect(messages('PUT _ml/anomaly_detectors/one\n')).toEqual([
      'The request "PUT _ml/anomaly_detectors/one" has no body: the job\'s JSON follows it on the next line',
    ]);
  });

  it('reports every problem of a job at once, and throws them together', () => {
    const job = body([{ function: 'count' }, { function: 'rare' }], { bucket_span: '1.5h' }, { job_id: 'Bad' });
    expect(checkElasticJob(job).problems).toHaveLength(4);
    expect(checkElasticJob(job).job).toBeUndefined();
    let thrown: unknown;
    try {
      parseElasticJob(job);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ElasticJobError);
    expect((thrown as ElasticJobError).problems).toEqual(checkElasticJob(job).problems);
    expect((thrown as ElasticJobError).message.split('\n')).toEqual(messages(job));
  });
});

describe('parseElasticJob: bucket spans in Elastic’s time units', () => {
  const span = (bucket_span: unknown) =>
    checkElasticJob(body([{ function: 'rare', by_field_name: 'ip' }], { bucket_span }));

  it.each([
    ['15m', '15m', 900],
    ['1h', '1h', 3600],
    ['30s', '30s', 30],
    ['1d', '1d', 86_400],
    ['60m', '1h', 3600],
    ['90m', '90m', 5400],
    ['3600s', '1h', 3600],
    ['1000ms', '1s', 1],
    ['15 M', '15m', 900],
    ['2000000000micros', '2000s', 2000],
  ])('reads %s as %s', (text, bucketSpan, seconds) => {
    expect(span(text).job).toMatchObject({ bucketSpan, bucketSpanSeconds: seconds });
    // The written span reads alike as a query's duration and as Elastic's time value.
    expect(parseDurationMs(bucketSpan)).toBe(seconds * 1000);
    expect(parseElasticTimeMs(bucketSpan)).toBe(seconds * 1000);
  });

  it.each([
    [
      '1.5h',
      'bucket_span "1.5h": fractional time values are not supported (by Elastic either); use a smaller unit, such as "90m"',
    ],
    [
      '1h30m',
      'bucket_span "1h30m" is not one of Elastic\'s time values: a whole number and a unit out of d, h, m, s, ms, such as "15m" or "1h"',
    ],
    [
      '1w',
      'bucket_span "1w" is not one of Elastic\'s time values: a whole number and a unit out of d, h, m, s, ms, such as "15m" or "1h"',
    ],
    ['3600', 'bucket_span "3600" has no unit; write e.g. "3600s"'],
    ['0s', 'bucket_span "0s" must be longer than zero'],
    [
      '-5m',
      'bucket_span "-5m" is not one of Elastic\'s time values: a whole number and a unit out of d, h, m, s, ms, such as "15m" or "1h"',
    ],
    ['1500ms', 'bucket_span "1500ms" must be a whole number of seconds, as Elastic requires too'],
    ['400d', 'bucket_span "400d" is too long; use at most 365d'],
    [900, 'bucket_span must be a string with a unit, such as "15m" or "1h", got 900'],
  ])('refuses %s', (text, message) => {
    expect(span(text).problems).toEqual([{ path: 'analysis_config.bucket_span', message }]);
  });

  it('formats seconds in the largest unit that divides them', () => {
    expect([1, 59, 60, 90, 3600, 5400, 86_400, 90_000, 172_800].map(formatSeconds)).toEqual([
      '1s',
      '59s',
      '1m',
      '90s',
      '1h',
      '90m',
      '1d',
      '25h',
      '2d',
    ]);
  });
});

describe('parseElasticJob: model memory limits in Elastic’s byte units', () => {
  const limit = (model_memory_limit: unknown) =>
    checkElasticJob(body([{ function: 'rare', by_field_name: 'ip' }], {}, { analysis_limits: { model_memory_limit } }));

  it.each([
    ['512mb', 512],
    ['1gb', 1024],
    ['300MB', 300],
    ['4g', 4096],
    ['1.5gb', 1536],
    ['2048kb', 2],
    [2048, 2048],
    ['64gb', 65_536],
  ])('reads %s as %d MiB', (value, mib) => {
    const { job } = limit(value);
    expect(job?.modelMemoryLimitBytes).toBe(mib * MIB);
    expect(job?.warnings).toEqual([]);
  });

  it('keeps whole MiB, rounded down, as Elastic does, and says so', () => {
    const { job } = limit('1300kb');
    expect(job?.modelMemoryLimitBytes).toBe(MIB);
    expect(job?.warnings).toEqual([
      'analysis_limits.model_memory_limit "1300kb" is kept as 1 MiB: Elastic keeps whole MiB, rounded down',
    ]);
  });

  it.each([
    ['1000kb', 'model_memory_limit "1000kb" must be at least 1 MiB, as in Elastic'],
    [0, 'model_memory_limit 0 must be at least 1 MiB, as in Elastic'],
    [
      '-4MB',
      'model_memory_limit "-4MB" is not a size: a number and a unit out of b, kb, mb, gb, tb, such as "512mb" or "1gb"',
    ],
    [
      '512',
      'model_memory_limit "512" is not a size: a number and a unit out of b, kb, mb, gb, tb, such as "512mb" or "1gb"',
    ],
    ['65gb', 'model_memory_limit "65gb" is more than 64gb, the most Rarity allows'],
    [1.5, 'model_memory_limit 1.5 must be a whole number of MiB or a size such as "512mb"'],
    [true, 'model_memory_limit must be a size such as "512mb", got true'],
  ])('refuses %s', (value, message) => {
    expect(limit(value).problems).toEqual([{ path: 'analysis_limits.model_memory_limit', message }]);
  });
});

describe('parseElasticJob: settings read but not applied', () => {
  it('warns about each setting that changes results, saying what changes', () => {
    const job = body(
      [
        {
          function: 'rare',
          by_field_name: 'status',
          use_null: true,
          exclude_frequent: 'all',
          custom_rules: [{ actions: ['skip_result'], scope: { status: { filter_id: 'safe' } } }],
        },
      ],
      {
        summary_count_field_name: 'doc_count',
        latency: '2m',
        multivariate_by_fields: true,
        categorization_field_name: 'message',
        per_partition_categorization: { enabled: true },
      },
      { renormalization_window_days: 30, results_retention_days: 90 },
    );
    const label = 'detector 1 ("rare by status")';
    expect(warnings(job)).toEqual([
      `${label}: use_null is not applied: rows without a by or over value are left out, where Elastic would analyse them as one more, empty, value`,
      `${label}: exclude_frequent "all" is not applied: frequent values are scored like any other, where Elastic would leave them out of the results`,
      `${label}: 1 custom rule is not applied: results Elastic would skip (skip_result) are reported, and rows it would keep out of the model (skip_model) are modelled`,
      'analysis_config.summary_count_field_name "doc_count" is not applied: Rarity counts each row as one event, where Elastic would count it as "doc_count" events, so results differ on pre-summarised rows',
      'analysis_config.latency "2m" is not applied: Rarity does not hold buckets open for late rows; when it finds rows dated before its progress it analyses again from the snapshot before them, however late they came',
      'analysis_config.multivariate_by_fields is not applied: Rarity models each by value on its own, without correlations between them',
      'analysis_config.categorization_field_name, analysis_config.per_partition_categorization are ignored: Rarity does not categorise messages, and no detector can use mlcategory',
      'renormalization_window_days is not applied: Rarity writes each score once, where Elastic revises recent scores as its normaliser learns',
      "results_retention_days is not applied: results are kept for the datasource's retention days",
    ]);
  });

  it('says nothing of settings left at the value that turns them off', () => {
    const job = body(
      [{ function: 'rare', by_field_name: 'status', use_null: false, exclude_frequent: 'none', custom_rules: [] }],
      { latency: '0s', multivariate_by_fields: false, per_partition_categorization: { enabled: false } },
      { data_description: { format: 'xcontent', time_format: 'epoch', time_field: 'ts' } },
    );
    expect(warnings(job)).toEqual([]);
  });

  it('keeps an influencer named twice once', () => {
    const job = parseElasticJob(
      body([{ function: 'rare', by_field_name: 'ip' }], { influencers: ['ip', 'key', 'ip'] }),
    );
    expect(job.influencers).toEqual(['ip', 'key']);
    expect(job.warnings).toEqual(['influencer "ip" is named more than once; it is kept once']);
  });
});

describe('parseElasticJob: field names', () => {
  const byField = (name: string) => checkElasticJob(body([{ function: 'rare', by_field_name: name }]));

  it('keeps plain names and quotes any other, so each names the column of exactly that name', () => {
    expect(
      ['ip', 'machine_code', 'MachineCode', 'état', 'process.name', '@timestamp', 'Machine Code', 'user-agent'].map(
        (name) => byField(name).job?.detectors[0].byField,
      ),
    ).toEqual([
      'ip',
      'machine_code',
      'MachineCode',
      'état',
      '"process.name"',
      '"@timestamp"',
      '"Machine Code"',
      '"user-agent"',
    ]);
  });

  // The references are only useful while the backend resolves them to the column Elastic's name meant.
  it('names columns the backend resolves to the Elastic name, exactly', () => {
    const names = [
      'ip',
      'machine_code',
      'MachineCode',
      'état',
      'process.name',
      '@timestamp',
      'Machine Code',
      'a$b',
      '1st',
    ];
    const table: TableInfo = {
      schema: 'public',
      name: 'logs',
      qualified: '"public"."logs"',
      // The lower-case twin of every name too, so a reference that lost its exact spelling finds the wrong one.
      columns: [...new Set(names.flatMap((name) => [name.toLowerCase(), name]))].map((name) => ({
        name,
        type: 'text',
        castType: 'text',
        category: 'text' as const,
        nullable: true,
        suits: { time: false, id: false, by: true, over: true, message: true },
      })),
    };
    for (const name of names) {
      const field = byField(name).job!.detectors[0].byField;
      expect(resolveColumn(table, field, 'by').name).toBe(name);
    }
  });

  it('refuses names no PostgreSQL column of Rarity can have, or Elastic refuses', () => {
    expect(byField('a"b').problems[0].message).toBe(
      'detector 1 ("rare by \\"a\\\\\\"b\\""): by_field_name "a\\"b" is not a usable column name: contains a double quote, a backslash or a control character, which Elastic refuses too',
    );
    expect(byField('a\\b').problems[0].message).toMatch(
      /not a usable column name: contains a double quote, a backslash/,
    );
    expect(byField('x'.repeat(64)).problems[0].message).toMatch(/is not a usable column name: longer than 63 bytes$/);
    expect(byField('é'.repeat(32)).problems[0].message).toMatch(/longer than 63 bytes$/);
    expect(byField('x'.repeat(63)).problems).toEqual([]);
  });

  it(`allows the derived field ${SUCCESSFUL_FIELD} like a column`, () => {
    const job = parseElasticJob(
      body([{ function: 'freq_rare', by_field_name: 'successful', over_field_name: 'key' }], {
        influencers: ['successful'],
      }),
    );
    expect(job.detectors[0].byField).toBe(SUCCESSFUL_FIELD);
    expect(job.influencers).toEqual([SUCCESSFUL_FIELD]);
    expect(['successful', 'Successful', '"successful"'].map(isSuccessfulField)).toEqual([true, true, true]);
    expect(['"Successful"', 'success', 'state'].map(isSuccessfulField)).toEqual([false, false, false]);
  });

  it('takes the group field from custom_settings.rarity, only among the fields records carry', () => {
    const detectors = [{ function: 'rare', by_field_name: 'ip', partition_field_name: 'key' }];
    const withGroup = (group_field: string) =>
      body(detectors, { influencers: ['country'] }, { custom_settings: { rarity: { group_field } } });
    expect(parseElasticJob(withGroup('key')).groupField).toBe('key');
    expect(parseElasticJob(withGroup('country')).groupField).toBe('country');
    expect(messages(withGroup('product'))).toEqual([
      'group_field "product" is none of the job\'s by, over, partition or influencer fields, so records carry no value of it to group by; add it to influencers',
    ]);
    expect(messages(body(detectors, {}, { custom_settings: { rarity: { groupField: 'key' } } }))).toEqual([
      'unknown field "groupField" in custom_settings.rarity; did you mean "group_field"?',
    ]);
  });
});

describe('parseElasticJob: JSON text', () => {
  it('names the line, column and position of a syntax error', () => {
    expect(messages('{\n  "analysis_config": {\n    "bucket_span": "1h",\n  }\n}')).toEqual([
      'Invalid JSON at line 4, column 3 (position 52): expected a property name in double quotes, found "}"',
    ]);
    expect(messages('{"analysis_config": {"bucket_span": "1h}}')).toEqual([
      'Invalid JSON at line 1, column 37 (position 36): unterminated string: a closing double quote is missing',
    ]);
    expect(messages('PUT _ml/anomaly_detectors/x\n{"description": "a"\n "analysis_config": {}}')).toEqual([
      'Invalid JSON at line 3, column 2 (position 49): expected "," or "}" after the value of "description", found "\\""',
    ]);
    expect(messages('{"a": 1} {"b": 2}')).toEqual([
      'Invalid JSON at line 1, column 10 (position 9): expected the end of the text after the JSON value, found "{"',
    ]);
    expect(messages('  ')).toEqual(['The text is empty: paste the JSON of an Elastic anomaly detection job']);
    expect(messages('[1, 2]')).toEqual(['An Elastic job is a JSON object with analysis_config in it, got [1,2]']);
  });

  it('refuses a key given twice, as Elasticsearch does, where JSON.parse keeps the last', () => {
    expect(messages('{"analysis_config": {"bucket_span": "1h", "bucket_span": "2h"}}')).toEqual([
      'Invalid JSON at line 1, column 43 (position 42): duplicate key "bucket_span" in one object',
    ]);
  });

  it('reads every value JSON.parse reads, alike', () => {
    const text =
      '{"s": "a\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00", "n": [0, -1, 1.5, 2e3, -0.25E-2], "l": [true, false, null], "o": {"__proto__": {"x": 1}, "": []}}';
    const value = parseJsonText(text);
    expect(value).toEqual(JSON.parse(text));
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys((value as { o: object }).o)).toEqual(['__proto__', '']);
  });

  it.each([
    ['01', 'expected the end of the text after the JSON value, found "1"'],
    ['"a\\x"', 'invalid escape \\x in a string'],
    ['"\\u12"', '\\u must be followed by four hexadecimal digits'],
    ['"a\tb"', 'character U+0009 inside a string; write it as an escape such as \\n'],
    ['-', 'expected a value (an object, array, string, number, true, false or null), found "-"'],
    ['[1,]', 'expected a value (an object, array, string, number, true, false or null), found "]"'],
    ['{"a" 1}', 'expected ":" after the property name "a", found "1"'],
    ['tru', 'expected a value (an object, array, string, number, true, false or null), found "t"'],
    ['[', 'expected a value (an object, array, string, number, true, false or null), found the end of the text'],
  ])('refuses %s', (text, reason) => {
    let thrown: unknown;
    try {
      parseJsonText(text);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(JsonTextError);
    expect((thrown as JsonTextError).reason).toBe(reason);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('stops at a nesting no job has, instead of overflowing the stack', () => {
    expect(() => parseJsonText('['.repeat(100_000))).toThrow(/nested deeper than 200 levels/);
  });
});

describe('toElasticJob', () => {
  const job: JobDefinition = {
    jobId: 'round-trip',
    description: 'every setting',
    bucketSpan: '90m',
    bucketSpanSeconds: 5400,
    detectors: [
      { function: 'rare', byField: '"process.name"', partitionField: '"host.name"', description: 'rare process' },
      { function: 'freq_rare', byField: 'uri', overField: 'clientip', description: 'freq_rare by uri over clientip' },
      { function: 'rare', byField: SUCCESSFUL_FIELD, overField: 'key', description: 'rare success per key' },
    ],
    influencers: ['"host.name"', 'clientip', SUCCESSFUL_FIELD],
    groupField: '"host.name"',
    modelMemoryLimitBytes: 300 * MIB,
    timeField: '"@timestamp"',
    warnings: [],
  };

  it('writes Elastic’s JSON, field names as Elastic spells them', () => {
    const expected: ElasticJobBody = {
      job_id: 'round-trip',
      description: 'every setting',
      analysis_config: {
        bucket_span: '90m',
        detectors: [
          {
            detector_description: 'rare process',
            function: 'rare',
            by_field_name: 'process.name',
            partition_field_name: 'host.name',
          },
          {
            detector_description: 'freq_rare by uri over clientip',
            function: 'freq_rare',
            by_field_name: 'uri',
            over_field_name: 'clientip',
          },
          {
            detector_description: 'rare success per key',
            function: 'rare',
            by_field_name: 'successful',
            over_field_name: 'key',
          },
        ],
        influencers: ['host.name', 'clientip', 'successful'],
      },
      analysis_limits: { model_memory_limit: '300mb' },
      data_description: { time_field: '@timestamp' },
      custom_settings: { rarity: { group_field: 'host.name' } },
    };
    expect(toElasticJob(job)).toEqual(expected);
  });

  it('reads back as the same job, as a value and as JSON text', () => {
    expect(parseElasticJob(toElasticJob(job))).toEqual(job);
    expect(parseElasticJob(JSON.stringify(toElasticJob(job), null, 2))).toEqual(job);
    const bare: JobDefinition = { ...job, detectors: [job.detectors[1]], influencers: [], warnings: [] };
    delete bare.jobId;
    delete bare.description;
    delete bare.groupField;
    delete bare.modelMemoryLimitBytes;
    delete bare.timeField;
    expect(toElasticJob(bare)).toEqual({
      analysis_config: {
        bucket_span: '90m',
        detectors: [toElasticJob(job).analysis_config.detectors[1]],
        influencers: [],
      },
      data_description: {},
    });
    expect(parseElasticJob(toElasticJob(bare))).toEqual(bare);
  });

  it('writes an Elastic job back as Elastic wrote it, once its span and descriptions are spelt out', () => {
    const elastic = JSON.parse(RARE_PROCESS_BY_HOST.replace('"15m"', '"900s"'));
    const written = toElasticJob(parseElasticJob(elastic));
    expect(written.analysis_config.bucket_span).toBe('15m');
    expect(written.analysis_config.detectors).toEqual([
      {
        detector_description: 'rare process executions on Linux',
        function: 'rare',
        by_field_name: 'process.name',
        partition_field_name: 'host.name',
      },
    ]);
    expect(written.analysis_config.influencers).toEqual(elastic.analysis_config.influencers);
    expect(written.analysis_limits).toEqual({ model_memory_limit: '256mb' });
    expect(written.data_description).toEqual({ time_field: '@timestamp' });
  });
});
