/**
 * A query and the detection job it runs, both ways: a query (single detector or job query) becomes a
 * JobDefinition for the engine and for Elastic's JSON; a job read from Elastic's JSON or a preset becomes the
 * job part of a query. Shared by the query editor and the backend.
 */
import { formatSeconds, parseDurationMs } from './duration.ts';
import { defaultDetectorDescription } from './elasticJob.ts';
import { elasticFieldOfReference } from './fieldName.ts';
import type { JobDefinition, JobDetector } from './jobModel.ts';
import { DEFAULT_BUCKET_SPAN } from './limits.ts';
import type { QueryDetector, RarityQuery } from './queryModel.ts';
import { isJobQuery, validateQuery, type QueryValidationError } from './validateQuery.ts';

export class JobQueryError extends Error {
  constructor(readonly errors: QueryValidationError[]) {
    super(errors.map((e) => e.message).join('; '));
    this.name = 'JobQueryError';
  }
}

/** Elastic's default description of a detector, in Elastic's field names ("rare by ip partitionfield=key"). */
export function describeDetector(d: QueryDetector): string {
  const name = (field: string | undefined) => (field ? elasticFieldOfReference(field.trim()) : undefined);
  return defaultDetectorDescription(d.function, name(d.byField), name(d.overField), name(d.partitionField));
}

function blankToUndefined(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/** The detectors a query runs: its job's, or its single detector. */
export function queryDetectors(query: RarityQuery): QueryDetector[] {
  if (isJobQuery(query)) {
    return query.detectors!;
  }
  return [{ function: query.function ?? 'rare', byField: query.byField, overField: query.overField }];
}

/**
 * The job `query` runs; throws JobQueryError naming every problem when validateQuery refuses it (template
 * variables must have been interpolated). The group field defaults to the first influencer.
 */
export function queryToJobDefinition(query: RarityQuery): JobDefinition {
  const errors = validateQuery(query);
  if (errors.length > 0) {
    throw new JobQueryError(errors);
  }
  const detectors = queryDetectors(query).map((d): JobDetector => {
    const detector: JobDetector = {
      function: d.function ?? 'rare',
      byField: d.byField.trim(),
      description: blankToUndefined(d.description) ?? describeDetector(d),
    };
    const over = blankToUndefined(d.overField);
    const partition = blankToUndefined(d.partitionField);
    if (over !== undefined) {
      detector.overField = over;
    }
    if (partition !== undefined) {
      detector.partitionField = partition;
    }
    return detector;
  });
  const influencers = (query.influencers ?? []).map((i) => i.trim());
  const span = query.bucketSpan || DEFAULT_BUCKET_SPAN;
  const bucketSpanSeconds = parseDurationMs(span) / 1000;
  const groupField = blankToUndefined(query.groupField) ?? influencers[0];
  return {
    bucketSpan: formatSeconds(bucketSpanSeconds),
    bucketSpanSeconds,
    detectors,
    influencers,
    ...(groupField !== undefined && { groupField }),
    warnings: [],
  };
}

/**
 * `base` running `def` as a job query: its detectors, influencers, group field and bucket span; everything
 * else (refId, query type, table, filters, limits and the single-detector fields) stays as in `base`. A
 * description equal to Elastic's default is left out, so that it follows later edits of the fields.
 */
export function jobDefinitionToQuery(def: JobDefinition, base: RarityQuery): RarityQuery {
  const detectors = def.detectors.map((d): QueryDetector => {
    const detector: QueryDetector = { function: d.function, byField: d.byField };
    if (d.overField !== undefined) {
      detector.overField = d.overField;
    }
    if (d.partitionField !== undefined) {
      detector.partitionField = d.partitionField;
    }
    if (d.description !== describeDetector(d)) {
      detector.description = d.description;
    }
    return detector;
  });
  const query: RarityQuery = {
    ...base,
    detectors,
    influencers: [...def.influencers],
    bucketSpan: def.bucketSpan,
  };
  if (def.groupField !== undefined) {
    query.groupField = def.groupField;
  } else {
    delete query.groupField;
  }
  return query;
}

/** What a query cannot keep of `def`, each saying what that changes; for showing when a job is pasted. */
export function settingsNotKeptByQuery(def: JobDefinition): string[] {
  const notes: string[] = [];
  if (def.timeField !== undefined) {
    notes.push(
      `data_description.time_field "${elasticFieldOfReference(def.timeField)}" is not kept: a query uses the datasource's time column`,
    );
  }
  if (def.modelMemoryLimitBytes !== undefined) {
    notes.push(
      `analysis_limits.model_memory_limit (${def.modelMemoryLimitBytes / (1024 * 1024)} MiB) is not kept: a query uses the datasource's model memory limit`,
    );
  }
  return notes;
}
