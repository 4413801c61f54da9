/**
 * Ready-made jobs. The Cryptolens job looks at license verifications with every parameter Cryptolens' own
 * analysis names (key, IP, machine code, state, product, country and success), each detector watching for one
 * way a license is misused; docs/jobs.md says why each is there.
 */
import { parseDurationMs } from './duration.ts';
import { parseElasticJob, toElasticJob, type ElasticJobBody } from './elasticJob.ts';
import { SUCCESSFUL_FIELD, type JobDefinition } from './jobModel.ts';

/** Column references (as a query names them) of a Cryptolens-like log table. */
export interface CryptolensColumns {
  key: string;
  ip: string;
  machineCode: string;
  state: string;
  product: string;
  country: string;
}

/** The demo table's columns (pkg-backend/src/store/demoTable.ts). */
export const CRYPTOLENS_COLUMNS: CryptolensColumns = {
  key: 'key',
  ip: 'ip',
  machineCode: 'machine_code',
  state: 'state',
  product: 'product',
  country: 'country',
};

/**
 * An hour: a license key is verified now and then (at start-up, every few hours), so shorter buckets would
 * mostly hold nothing for a key, while an hour is still short enough to report a burst of failed requests the
 * same hour, and the 20 learning buckets before anything is scored take less than a day.
 */
export const CRYPTOLENS_BUCKET_SPAN = '1h';
export const CRYPTOLENS_JOB_ID = 'cryptolens-license-usage';

export interface CryptolensOptions {
  /** A query's duration ("1h", "15m", "1h30m"); default CRYPTOLENS_BUCKET_SPAN. */
  bucketSpan?: string;
  jobId?: string;
  /**
   * Whether to watch the derived `successful` field (keys with many unsuccessful requests). It means something
   * only when the datasource has a success rule; without one every row is successful. Default true.
   */
  successful?: boolean;
}

export interface Preset {
  job: JobDefinition;
  /** The same job as a body for Elastic's PUT _ml/anomaly_detectors/<job_id>. */
  elasticJob: ElasticJobBody;
}

/** The Cryptolens job over `columns` (the demo table's by default); throws ElasticJobError for unusable names. */
export function cryptolensPreset(columns: Partial<CryptolensColumns> = {}, options: CryptolensOptions = {}): Preset {
  const c = { ...CRYPTOLENS_COLUMNS, ...columns };
  const perKey = (byField: string, description: string) =>
    ({ function: 'rare', byField, partitionField: c.key, description }) as const;
  const detectors: JobDefinition['detectors'] = [
    perKey(c.state, 'Unusual state for this key'),
    perKey(c.machineCode, 'Key used on a new machine'),
    perKey(c.ip, 'Key used from a new IP address'),
    perKey(c.country, 'Key used from a new country'),
    perKey(c.product, 'Key sent with a product it is not used with'),
    { function: 'freq_rare', byField: c.state, overField: c.ip, description: 'IP address with many rare states' },
  ];
  if (options.successful !== false) {
    detectors.push({
      function: 'freq_rare',
      byField: SUCCESSFUL_FIELD,
      overField: c.key,
      description: 'Key with many unsuccessful requests',
    });
  }
  const span = options.bucketSpan ?? CRYPTOLENS_BUCKET_SPAN;
  const seconds = parseDurationMs(span) / 1000;
  const elastic = toElasticJob({
    jobId: options.jobId ?? CRYPTOLENS_JOB_ID,
    description:
      'Cryptolens license verifications: keys on new machines, networks or countries, unusual states, many failures',
    bucketSpan: span,
    bucketSpanSeconds: seconds,
    detectors,
    influencers: [c.key, c.ip, c.machineCode],
    groupField: c.key,
    warnings: [],
  });
  // A span the parser would refuse goes to it as written, so that its message names it.
  if (!(Number.isInteger(seconds) && seconds > 0)) {
    elastic.analysis_config.bucket_span = span;
  }
  // Reading the body back holds every column name to the rules an Elastic job is held to.
  const job = parseElasticJob(elastic);
  return { job, elasticJob: toElasticJob(job) };
}
