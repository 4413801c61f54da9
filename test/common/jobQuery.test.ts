import { describe, expect, it } from 'vitest';

import { parseElasticJob, toElasticJob } from '../../common/elasticJob.ts';
import { JobQueryError, jobDefinitionToQuery, queryToJobDefinition } from '../../common/jobQuery.ts';
import { MAX_INFLUENCERS, MAX_JOB_DETECTORS } from '../../common/limits.ts';
import { cryptolensPreset } from '../../common/presets.ts';
import type { QueryDetector, RarityQuery } from '../../common/queryModel.ts';
import { errorFor, missingFields, validateQuery } from '../../common/validateQuery.ts';

const base: RarityQuery = { refId: 'A', queryType: 'records', function: 'rare', byField: '' };
const job = (detectors: QueryDetector[], more: Partial<RarityQuery> = {}): RarityQuery => ({
  ...base,
  detectors,
  ...more,
});
const messages = (query: Partial<RarityQuery>) => validateQuery(query).map((e) => `${e.field} | ${e.message}`);

describe('validateQuery: job queries', () => {
  it('accepts a job without the single-detector fields, and the Cryptolens preset as a query', () => {
    expect(validateQuery(job([{ function: 'rare', byField: 'state', partitionField: 'key' }]))).toEqual([]);
    expect(validateQuery(jobDefinitionToQuery(cryptolensPreset().job, base))).toEqual([]);
    expect(missingFields(job([{ function: 'rare', byField: 'state' }]))).toEqual([]);
  });

  it('holds each detector to the single-detector rules, naming the detector', () => {
    expect(
      messages(
        job([
          { function: 'rare', byField: 'state' },
          { function: 'rare', byField: ' ' },
          { function: 'freq_rare', byField: 'state' },
          { function: 'mean' as never, byField: 'latency' },
        ]),
      ),
    ).toEqual([
      'detectors.1.byField | detectors[1]: rare needs a by field, the categorical field whose rare values are searched for',
      'detectors.2.overField | detectors[2]: freq_rare needs an over field, the entity field (e.g. a client IP) whose requests are compared',
      'detectors.3.function | detectors[3]: function "mean" is not known; use rare or freq_rare',
    ]);
    // Grafana does not send a job with an incomplete detector either.
    expect(missingFields(job([{ function: 'freq_rare', byField: 'state' }]))).toEqual(['overField']);
  });

  it('wants by, over and partition fields distinct, and no detector twice', () => {
    expect(
      messages(
        job([
          { function: 'rare', byField: 'ip', overField: 'ip' },
          { function: 'rare', byField: 'state', partitionField: 'state' },
          { function: 'freq_rare', byField: 'state', overField: 'ip', partitionField: 'ip' },
          { function: 'rare', byField: 'state', partitionField: 'key' },
          { function: 'rare', byField: 'state', partitionField: 'key', description: 'again' },
        ]),
      ),
    ).toEqual([
      'detectors.0.overField | detectors[0]: the over field "ip" is the same as the by field; choose a different field',
      'detectors.1.partitionField | detectors[1]: the partition field "state" is the same as the by field; choose a different field',
      'detectors.2.partitionField | detectors[2]: the partition field "ip" is the same as the over field; choose a different field',
      'detectors.4 | detectors[4] is the same detector as detectors[3]; remove one of them',
    ]);
  });

  it('allows at most MAX_JOB_DETECTORS detectors and MAX_INFLUENCERS distinct influencers', () => {
    const many = Array.from({ length: MAX_JOB_DETECTORS + 1 }, (_, i) => ({
      function: 'rare' as const,
      byField: `f${i}`,
    }));
    expect(errorFor(validateQuery(job(many)), 'detectors')).toBe(
      `${MAX_JOB_DETECTORS + 1} detectors given; at most ${MAX_JOB_DETECTORS} are allowed in one job`,
    );
    expect(validateQuery(job(many.slice(0, MAX_JOB_DETECTORS)))).toEqual([]);
    const influencers = Array.from({ length: MAX_INFLUENCERS + 1 }, (_, i) => `f${i}`);
    expect(errorFor(validateQuery(job(many.slice(0, 1), { influencers })), 'influencers')).toBe(
      `${MAX_INFLUENCERS + 1} influencers given; at most ${MAX_INFLUENCERS} are allowed in one job`,
    );
    expect(messages(job(many.slice(0, 1), { influencers: ['ip', '', 'ip'] }))).toEqual([
      'influencers.1 | influencers[1]: choose a field, got ""',
      'influencers.2 | influencers[2]: "ip" is named more than once; name each influencer once',
    ]);
  });

  it('wants the group field among the job’s fields or influencers', () => {
    const d: QueryDetector[] = [{ function: 'rare', byField: 'state', partitionField: 'key' }];
    expect(validateQuery(job(d, { groupField: 'key' }))).toEqual([]);
    expect(validateQuery(job(d, { influencers: ['ip'], groupField: 'ip' }))).toEqual([]);
    expect(errorFor(validateQuery(job(d, { groupField: 'ip' })), 'groupField')).toBe(
      'Group field "ip" is none of the job\'s by, over, partition or influencer fields, so records carry no value of it to group by; add it to the influencers',
    );
    // The editor accepts a variable it cannot check yet.
    expect(validateQuery(job(d, { groupField: '$entity' }), { allowTemplateVariables: true })).toEqual([]);
  });

  it('leaves single-detector validation as it was: the detectors are not looked at when empty', () => {
    expect(errorFor(validateQuery({ ...base, detectors: [] }), 'byField')).toMatch(/By field is required/);
    expect(validateQuery({ ...base, byField: 'state', detectors: [] })).toEqual([]);
  });
});

describe('queryToJobDefinition and jobDefinitionToQuery', () => {
  it('make the job of a single-detector query, with Elastic’s default description', () => {
    expect(
      queryToJobDefinition({ ...base, function: 'freq_rare', byField: 'state', overField: 'ip', bucketSpan: '90m' }),
    ).toEqual({
      bucketSpan: '90m',
      bucketSpanSeconds: 5400,
      detectors: [
        { function: 'freq_rare', byField: 'state', overField: 'ip', description: 'freq_rare by state over ip' },
      ],
      influencers: [],
      warnings: [],
    });
  });

  it('round-trip the Cryptolens preset through a query and Elastic’s JSON', () => {
    const preset = cryptolensPreset().job;
    const query = jobDefinitionToQuery(preset, { ...base, table: 'public.logs', minScore: 50 });
    expect(query).toMatchObject({
      refId: 'A',
      table: 'public.logs',
      minScore: 50,
      bucketSpan: '1h',
      groupField: 'key',
    });
    const { jobId: _jobId, description: _description, ...rest } = preset;
    const back = queryToJobDefinition(query);
    expect(back).toEqual(rest);
    expect(parseElasticJob(toElasticJob(back))).toEqual(back);
  });

  it('defaults the group field to the first influencer and drops descriptions equal to the default', () => {
    const def = parseElasticJob({
      analysis_config: {
        bucket_span: '15m',
        detectors: [{ function: 'rare', by_field_name: 'process.name', partition_field_name: 'host.name' }],
        influencers: ['host.name'],
      },
    });
    const query = jobDefinitionToQuery(def, { ...base, groupField: 'stale' });
    expect(query.detectors).toEqual([{ function: 'rare', byField: '"process.name"', partitionField: '"host.name"' }]);
    expect(query).not.toHaveProperty('groupField');
    expect(queryToJobDefinition(query).groupField).toBe('"host.name"');
    expect(queryToJobDefinition(query).detectors[0].description).toBe(
      'rare by "process.name" partitionfield="host.name"',
    );
  });

  it('refuses an invalid query with every problem', () => {
    const invalid = job([{ function: 'freq_rare', byField: 'state' }], { bucketSpan: '$span' });
    expect(() => queryToJobDefinition(invalid)).toThrow(JobQueryError);
    expect(() => queryToJobDefinition(invalid)).toThrow(
      /detectors\[0\]: freq_rare needs an over field.*; bucketSpan "\$span"/,
    );
  });
});
