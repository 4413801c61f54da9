/**
 * A detection job as Rarity keeps it: Elastic's analysis_config (several detectors, partition fields,
 * influencers) in the query model's words. common/elasticJob.ts reads and writes it in Elastic's own JSON;
 * common/presets.ts builds the Cryptolens job. Shared by the front end and the backend.
 */
import type { DetectorFunction } from './queryModel.ts';

/**
 * The reserved name of the field derived from the datasource's success rule: true where a row satisfies the
 * rule, false where it does not (every row is successful when no rule is set). A detector, partition or
 * influencer may name it as it names a column; a table column of the same name is not reachable by it.
 */
export const SUCCESSFUL_FIELD = 'successful';

/** Whether a field reference names the derived field: `successful` in any case (unquoted names fold to lower case, as in PostgreSQL) or `"successful"`. */
export function isSuccessfulField(field: string): boolean {
  return field === `"${SUCCESSFUL_FIELD}"` || (!field.startsWith('"') && field.toLowerCase() === SUCCESSFUL_FIELD);
}

/**
 * One detector. Field references are written as a query's byField is (common/fieldName.ts): a plain name
 * (matched exactly, then case-insensitively) or a double-quoted exact name such as `"process.name"`.
 */
export interface JobDetector {
  function: DetectorFunction;
  /** The categorical field whose rare values are searched for. */
  byField: string;
  /** The population: rare / freq_rare compare the members of this field with each other. */
  overField?: string;
  /** Every value of this field gets a detector of its own, with its own history. */
  partitionField?: string;
  /** Elastic's detector_description; Elastic's default (e.g. `rare by ip partitionfield=key`) when none was given. */
  description: string;
}

export interface JobDefinition {
  /** Elastic's job_id, when the job came with one. */
  jobId?: string;
  description?: string;
  /** The bucket span as a query writes it, always in the largest unit that divides it ("1h", "90m"). */
  bucketSpan: string;
  bucketSpanSeconds: number;
  detectors: JobDetector[];
  /** Field references whose values may explain a record; each at most once. */
  influencers: string[];
  /**
   * The field whose values anomaly groups are formed per (Cryptolens groups per license key); one of the
   * job's by, over, partition or influencer fields, since only those values reach the records. Not an Elastic
   * setting: kept in Elastic's JSON under custom_settings.rarity.group_field.
   */
  groupField?: string;
  /** Elastic's analysis_limits.model_memory_limit, for the whole job, in bytes (whole MiB, as Elastic keeps it). */
  modelMemoryLimitBytes?: number;
  /** Elastic's data_description.time_field; absent: the datasource's time column. */
  timeField?: string;
  /** Settings of the Elastic job that were read but are not applied, each saying what that changes. */
  warnings: string[];
}
