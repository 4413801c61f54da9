/**
 * Elastic's words for an anomaly-detection job, as Elasticsearch's x-pack ML config classes (Job,
 * AnalysisConfig, Detector, AnalysisLimits, DataDescription) define them: which keys exist where, the detector
 * functions, the job id rule, byte sizes and default descriptions.
 */
import type { DetectorFunction } from '../queryModel.ts';

/** Elastic's bucket span when analysis_config names none (AnalysisConfig.Builder.DEFAULT_BUCKET_SPAN). */
export const ELASTIC_DEFAULT_BUCKET_SPAN = '5m';

export interface ElasticDetector {
  detector_description: string;
  function: DetectorFunction;
  by_field_name: string;
  over_field_name?: string;
  partition_field_name?: string;
}

/** The job toElasticJob writes: a body Elastic's PUT _ml/anomaly_detectors/<job_id> accepts. */
export interface ElasticJobBody {
  job_id?: string;
  description?: string;
  analysis_config: { bucket_span: string; detectors: ElasticDetector[]; influencers: string[] };
  analysis_limits?: { model_memory_limit: string };
  data_description: { time_field?: string };
  /** Elastic keeps custom_settings as given; Rarity's own settings live under `rarity`. */
  custom_settings?: { rarity: { group_field: string } };
}

const words = (text: string): readonly string[] => text.trim().split(/\s+/);

/** Elastic's detector functions (DetectorFunction), so a refusal can tell a function Rarity does not run from a typo. */
export const ELASTIC_FUNCTIONS: ReadonlySet<string> = new Set(
  words(`count high_count low_count non_zero_count nzc high_non_zero_count high_nzc low_non_zero_count low_nzc
    distinct_count dc high_distinct_count high_dc low_distinct_count low_dc rare freq_rare info_content
    high_info_content low_info_content metric mean avg high_mean high_avg low_mean low_avg median high_median
    low_median min max sum high_sum low_sum non_null_sum high_non_null_sum low_non_null_sum varp high_varp low_varp
    time_of_day time_of_week lat_long`),
);

/** The field only Elastic's categorization of messages fills (AnalysisConfig.ML_CATEGORY_FIELD). */
export const ML_CATEGORY = 'mlcategory';

/**
 * The keys Elastic knows at one level of a job. `read`: used, or refused or warned about by the reader;
 * `unused`: accepted without effect on detection and named in one warning; `silent`: output of GET that
 * nobody writes (create_time, job_version, …) or how Elastic decodes data posted to it as text (a PostgreSQL
 * column is typed already), accepted without a word.
 */
export interface Level {
  name: string;
  read: readonly string[];
  unused: readonly string[];
  silent: readonly string[];
}

const level = (name: string, read: string, unused = '', silent = ''): Level => ({
  name,
  read: words(read),
  unused: unused ? words(unused) : [],
  silent: silent ? words(silent) : [],
});

export const JOB = level(
  'the job',
  `job_id description analysis_config analysis_limits data_description custom_settings datafeed_config
   renormalization_window_days results_retention_days`,
  `groups model_plot_config results_index_name model_snapshot_retention_days daily_model_snapshot_retention_after_days
   background_persist_interval allow_lazy_open`,
  'job_type job_version create_time finished_time model_snapshot_id model_snapshot_min_version deleting blocked',
);
export const ANALYSIS_CONFIG = level(
  'analysis_config',
  `bucket_span detectors influencers summary_count_field_name latency multivariate_by_fields model_prune_window
   categorization_field_name categorization_filters categorization_analyzer per_partition_categorization`,
);
export const ANALYSIS_LIMITS = level('analysis_limits', 'model_memory_limit', 'categorization_examples_limit');
export const DATA_DESCRIPTION = level(
  'data_description',
  'time_field',
  '',
  'format time_format field_delimiter quote_character',
);
export const DETECTOR = level(
  'a detector',
  `function by_field_name over_field_name partition_field_name detector_description field_name use_null
   exclude_frequent custom_rules`,
  '',
  'detector_index',
);
/** Rarity's own settings, kept in custom_settings, which Elastic stores as given. */
export const RARITY_SETTINGS = level('custom_settings.rarity', 'group_field');
/** Where a key misplaced at another level belongs. */
export const LEVELS: readonly Level[] = [JOB, ANALYSIS_CONFIG, ANALYSIS_LIMITS, DATA_DESCRIPTION, DETECTOR];

/** Elastic's DefaultDetectorDescription quotes names with anything but [A-Za-z0-9_] (MlStrings.doubleQuoteIfNotAlphaNumeric). */
function quoteField(name: string): string {
  return /^\w+$/.test(name) ? name : `"${name.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Elastic's default detector_description, e.g. `rare by "process.name" partitionfield="host.name"`. */
export function defaultDetectorDescription(fn: string, by?: string, over?: string, partition?: string): string {
  const parts = [fn];
  if (by) {
    parts.push(`by ${quoteField(by)}`);
  }
  if (over) {
    parts.push(`over ${quoteField(over)}`);
  }
  if (partition) {
    parts.push(`partitionfield=${quoteField(partition)}`);
  }
  return parts.filter((part) => part !== '').join(' ');
}

const JOB_ID = /^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?$/;
const MAX_JOB_ID_LENGTH = 64;

/** Why Elastic would refuse `id` as a job_id (MlStrings.isValidId, ID_LENGTH_LIMIT), or undefined. */
export function jobIdProblem(id: string): string | undefined {
  if (id.length > MAX_JOB_ID_LENGTH) {
    return `job_id ${JSON.stringify(id)} is longer than ${MAX_JOB_ID_LENGTH} characters`;
  }
  if (!JOB_ID.test(id)) {
    return `job_id ${JSON.stringify(id)} is not valid: use lower-case letters, digits, hyphens and underscores, starting and ending with a letter or digit (Elastic's rule)`;
  }
  return undefined;
}

export const MIB = 1024 * 1024;
const BYTE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  m: MIB,
  mb: MIB,
  g: 1024 * MIB,
  gb: 1024 * MIB,
  t: 1024 * 1024 * MIB,
  tb: 1024 * 1024 * MIB,
  p: 1024 * 1024 * 1024 * MIB,
  pb: 1024 * 1024 * 1024 * MIB,
};

/**
 * Bytes of one of Elastic's sizes ("512mb", "1gb", "300MB", "1300kb"; ByteSizeValue: binary units, any letter
 * case, a fraction allowed), or NaN for anything else, negative sizes and missing units included.
 */
export function parseElasticBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb?|mb?|gb?|tb?|pb?)$/.exec(text.trim().toLowerCase());
  return match ? Math.floor(Number(match[1]) * BYTE_UNITS[match[2]]) : Number.NaN;
}
