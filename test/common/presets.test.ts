import { describe, expect, it } from 'vitest';

import { ElasticJobError, parseElasticJob } from '../../common/elasticJob.ts';
import { SUCCESSFUL_FIELD } from '../../common/jobModel.ts';
import { CRYPTOLENS_BUCKET_SPAN, CRYPTOLENS_COLUMNS, cryptolensPreset } from '../../common/presets.ts';

/** Each detector as "function by [over X] [partition Y]", the shape the preset promises. */
const shapes = (detectors: ReturnType<typeof cryptolensPreset>['job']['detectors']) =>
  detectors.map((d) =>
    [d.function, d.byField, d.overField && `over ${d.overField}`, d.partitionField && `partition ${d.partitionField}`]
      .filter(Boolean)
      .join(' '),
  );

describe('cryptolensPreset', () => {
  it('watches every Cryptolens parameter of the demo table, per key and across IPs and keys', () => {
    const { job } = cryptolensPreset();
    expect(shapes(job.detectors)).toEqual([
      'rare state partition key',
      'rare machine_code partition key',
      'rare ip partition key',
      'rare country partition key',
      'rare product partition key',
      'freq_rare state over ip',
      `freq_rare ${SUCCESSFUL_FIELD} over key`,
    ]);
    expect(job.influencers).toEqual(['key', 'ip', 'machine_code']);
    expect(job.groupField).toBe('key');
    expect(job.bucketSpan).toBe(CRYPTOLENS_BUCKET_SPAN);
    expect(job.bucketSpanSeconds).toBe(3600);
    expect(job.jobId).toBe('cryptolens-license-usage');
    expect(job.detectors.every((d) => d.description.length > 0)).toBe(true);
    expect(job.warnings).toEqual([]);
  });

  it('covers the columns of the demo table exactly', () => {
    const { job } = cryptolensPreset();
    const used = new Set(job.detectors.flatMap((d) => [d.byField, d.overField, d.partitionField]));
    expect([...Object.values(CRYPTOLENS_COLUMNS), SUCCESSFUL_FIELD].every((c) => used.has(c))).toBe(true);
  });

  it('hands the same job over in Elastic’s JSON, which reads back as that job', () => {
    const { job, elasticJob } = cryptolensPreset();
    expect(parseElasticJob(JSON.stringify(elasticJob))).toEqual(job);
    expect(elasticJob.analysis_config.bucket_span).toBe('1h');
    expect(elasticJob.analysis_config.detectors[1]).toEqual({
      detector_description: 'Key used on a new machine',
      function: 'rare',
      by_field_name: 'machine_code',
      partition_field_name: 'key',
    });
    expect(elasticJob.custom_settings).toEqual({ rarity: { group_field: 'key' } });
  });

  it('takes other column names, quoted ones included', () => {
    const { job, elasticJob } = cryptolensPreset({ key: '"License Key"', machineCode: 'MachineCode', ip: 'client_ip' });
    expect(shapes(job.detectors)).toEqual([
      'rare state partition "License Key"',
      'rare MachineCode partition "License Key"',
      'rare client_ip partition "License Key"',
      'rare country partition "License Key"',
      'rare product partition "License Key"',
      'freq_rare state over client_ip',
      `freq_rare ${SUCCESSFUL_FIELD} over "License Key"`,
    ]);
    expect(job.groupField).toBe('"License Key"');
    expect(elasticJob.analysis_config.influencers).toEqual(['License Key', 'client_ip', 'MachineCode']);
  });

  it('leaves the successful detector out when asked, for a datasource without a success rule', () => {
    const { job } = cryptolensPreset({}, { successful: false });
    expect(job.detectors).toHaveLength(6);
    expect(job.detectors.some((d) => d.byField === SUCCESSFUL_FIELD)).toBe(false);
  });

  it('takes a bucket span as a query writes it, and refuses one Elastic cannot hold', () => {
    expect(cryptolensPreset({}, { bucketSpan: '15m' }).job.bucketSpanSeconds).toBe(900);
    const odd = cryptolensPreset({}, { bucketSpan: '1h30m' });
    expect(odd.job.bucketSpan).toBe('90m');
    expect(odd.elasticJob.analysis_config.bucket_span).toBe('90m');
    expect(() => cryptolensPreset({}, { bucketSpan: 'hourly' })).toThrow(
      'bucket_span "hourly" is not one of Elastic\'s time values',
    );
    expect(() => cryptolensPreset({}, { bucketSpan: '1500ms' })).toThrow(
      'bucket_span "1500ms" must be a whole number of seconds',
    );
  });

  it('refuses columns that make a detector compare a field with itself, or that no column can be called', () => {
    let thrown: unknown;
    try {
      cryptolensPreset({ ip: 'key' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ElasticJobError);
    expect((thrown as ElasticJobError).problems.map((p) => p.message)).toEqual([
      'detector 3 ("Key used from a new IP address"): partition_field_name and by_field_name cannot be the same: "key"',
    ]);
    expect(() => cryptolensPreset({ country: 'a"b' })).toThrow(/by_field_name "a\\"b" is not a usable column name/);
  });
});
