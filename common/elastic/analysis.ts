/**
 * The parts of an Elastic job that decide what is detected: bucket span, detectors, influencers, the model
 * memory limit and Rarity's group field. Each reads its part of the JSON into the job model or reports why not.
 */
import { formatSeconds, parseElasticTimeMs } from '../duration.ts';
import { elasticFieldOfReference } from '../fieldName.ts';
import type { JobDetector } from '../jobModel.ts';
import {
  MAX_BUCKET_SPAN_MS,
  MAX_BUCKET_SPAN_TEXT,
  MAX_INFLUENCERS,
  MAX_JOB_DETECTORS,
  MAX_MODEL_MEMORY_LIMIT_MB,
  MIN_MODEL_MEMORY_LIMIT_MB,
} from '../limits.ts';
import { DETECTOR_FUNCTIONS, type DetectorFunction } from '../queryModel.ts';
import { absent, at, show, type Obj, type Reader } from './reader.ts';
import {
  DETECTOR,
  ELASTIC_DEFAULT_BUCKET_SPAN,
  ELASTIC_FUNCTIONS,
  MIB,
  RARITY_SETTINGS,
  defaultDetectorDescription,
  parseElasticBytes,
} from './vocabulary.ts';
import { warnDetector } from './warnings.ts';

/** The bucket span in whole seconds; 0 after a problem. */
export function readBucketSpan(config: Obj, r: Reader): number {
  const path = 'analysis_config.bucket_span';
  const raw = config.bucket_span ?? ELASTIC_DEFAULT_BUCKET_SPAN;
  if (typeof raw !== 'string') {
    r.problem(path, `bucket_span must be a string with a unit, such as "15m" or "1h", got ${show(raw)}`);
    return 0;
  }
  const ms = parseElasticTimeMs(raw);
  let problem: string | undefined;
  if (Number.isNaN(ms)) {
    const fraction = /^(\d+\.\d+)\s*(d|h|m|s|ms)$/.exec(raw.trim().toLowerCase());
    if (fraction) {
      const seconds = (Number(fraction[1]) * parseElasticTimeMs(`1${fraction[2]}`)) / 1000;
      const instead = Number.isInteger(seconds) && seconds > 0 ? `, such as "${formatSeconds(seconds)}"` : '';
      problem = `bucket_span ${show(raw)}: fractional time values are not supported (by Elastic either); use a smaller unit${instead}`;
    } else if (/^\s*\d+\s*$/.test(raw)) {
      problem = `bucket_span ${show(raw)} has no unit; write e.g. "${raw.trim()}s"`;
    } else {
      problem = `bucket_span ${show(raw)} is not one of Elastic's time values: a whole number and a unit out of d, h, m, s, ms, such as "15m" or "1h"`;
    }
  } else if (ms <= 0) {
    problem = `bucket_span ${show(raw)} must be longer than zero`;
  } else if (ms % 1000 !== 0) {
    problem = `bucket_span ${show(raw)} must be a whole number of seconds, as Elastic requires too`;
  } else if (!Number.isSafeInteger(ms) || ms > MAX_BUCKET_SPAN_MS) {
    problem = `bucket_span ${show(raw)} is too long; use at most ${MAX_BUCKET_SPAN_TEXT}`;
  }
  if (problem) {
    r.problem(path, problem);
    return 0;
  }
  return ms / 1000;
}

/** Elastic's default description of a detector as read, in Elastic's field names. */
function describe(d: JobDetector): string {
  const name = (f: string | undefined) => (f === undefined ? undefined : elasticFieldOfReference(f));
  return defaultDetectorDescription(d.function, name(d.byField), name(d.overField), name(d.partitionField));
}

export function readDetectors(config: Obj, r: Reader): JobDetector[] {
  const path = 'analysis_config.detectors';
  const raw = config.detectors;
  if (raw === undefined || raw === null) {
    r.problem(path, 'analysis_config.detectors is missing: a job needs at least one detector');
    return [];
  }
  if (!Array.isArray(raw)) {
    r.problem(path, `analysis_config.detectors must be an array of detectors, got ${show(raw)}`);
    return [];
  }
  if (raw.length === 0) {
    r.problem(path, 'analysis_config.detectors is empty: a job needs at least one detector');
    return [];
  }
  if (raw.length > MAX_JOB_DETECTORS) {
    r.problem(path, `${raw.length} detectors given; at most ${MAX_JOB_DETECTORS} are allowed in one job`);
    return [];
  }
  const detectors: JobDetector[] = [];
  const seen = new Map<string, number>();
  raw.forEach((item, i) => {
    const detector = readDetector(item, i, r);
    if (!detector) {
      return;
    }
    const key = JSON.stringify([detector.function, detector.byField, detector.overField, detector.partitionField]);
    const twin = seen.get(key);
    if (twin !== undefined) {
      r.problem(
        at(path, i),
        `detectors ${twin + 1} and ${i + 1} are the same (${describe(detector)}); Elastic refuses duplicate detectors too`,
      );
      return;
    }
    seen.set(key, i);
    detectors.push(detector);
  });
  return detectors;
}

function readDetector(item: unknown, i: number, r: Reader): JobDetector | undefined {
  const path = `analysis_config.detectors[${i}]`;
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    r.problem(path, `detector ${i + 1} must be an object, got ${show(item)}`);
    return undefined;
  }
  const obj = item as Obj;
  const before = r.problems.length;
  r.keys(obj, DETECTOR, path);
  const fn = r.text(obj, 'function', path);
  const by = r.text(obj, 'by_field_name', path);
  const over = r.text(obj, 'over_field_name', path);
  const partition = r.text(obj, 'partition_field_name', path);
  const description =
    r.text(obj, 'detector_description', path) ?? defaultDetectorDescription(fn ?? '', by, over, partition);
  const label = `detector ${i + 1} (${show(description)})`;

  if (fn === undefined) {
    if (absent(obj.function)) {
      r.problem(at(path, 'function'), `${label}: function is missing; Rarity runs rare and freq_rare`);
    }
    return undefined;
  }
  if (!(DETECTOR_FUNCTIONS as readonly string[]).includes(fn)) {
    const why = ELASTIC_FUNCTIONS.has(fn) ? 'is not supported' : "is not one of Elastic's functions";
    r.problem(at(path, 'function'), `${label}: function "${fn}" ${why}; Rarity runs rare and freq_rare`);
    return undefined;
  }
  if (r.text(obj, 'field_name', path) !== undefined) {
    r.problem(
      at(path, 'field_name'),
      `${label}: ${fn} takes no field_name (it looks at the values of by_field_name); Elastic refuses it too`,
    );
  }
  // A value of the wrong type was reported by r.text already; "needs" is for a field not given at all.
  if (absent(obj.by_field_name)) {
    r.problem(
      at(path, 'by_field_name'),
      `${label}: ${fn} needs by_field_name, the field whose rare values are searched for`,
    );
  }
  if (fn === 'freq_rare' && absent(obj.over_field_name)) {
    r.problem(
      at(path, 'over_field_name'),
      `${label}: freq_rare needs over_field_name, the population (e.g. client IPs) whose members are compared`,
    );
  }
  // Elastic's rule (Detector.Builder.build), in its words.
  const same = (a: string, b: string, value: string) =>
    r.problem(path, `${label}: ${a} and ${b} cannot be the same: "${value}"`);
  if (partition !== undefined && partition === by) {
    same('partition_field_name', 'by_field_name', partition);
  }
  if (partition !== undefined && partition === over) {
    same('partition_field_name', 'over_field_name', partition);
  }
  if (by !== undefined && by === over) {
    same('by_field_name', 'over_field_name', by);
  }
  const field = (name: string | undefined, key: string) =>
    name === undefined ? undefined : r.field(name, at(path, key), `${label}: ${key}`);
  const byField = field(by, 'by_field_name');
  const overField = field(over, 'over_field_name');
  const partitionField = field(partition, 'partition_field_name');
  warnDetector(obj, path, label, r);
  if (r.problems.length > before || byField === undefined) {
    return undefined;
  }
  const detector: JobDetector = { function: fn as DetectorFunction, byField, description };
  if (overField !== undefined) {
    detector.overField = overField;
  }
  if (partitionField !== undefined) {
    detector.partitionField = partitionField;
  }
  return detector;
}

export function readInfluencers(config: Obj, r: Reader): string[] {
  const path = 'analysis_config.influencers';
  const raw = config.influencers;
  if (raw === undefined || raw === null) {
    return [];
  }
  if (!Array.isArray(raw)) {
    r.problem(path, `analysis_config.influencers must be an array of field names, got ${show(raw)}`);
    return [];
  }
  const influencers: string[] = [];
  const names = new Set<string>();
  raw.forEach((name, i) => {
    if (typeof name !== 'string' || name === '') {
      r.problem(at(path, i), `influencer ${i + 1} must be a field name, got ${show(name)}`);
      return;
    }
    if (names.has(name)) {
      r.warnings.push(`influencer "${name}" is named more than once; it is kept once`);
      return;
    }
    names.add(name);
    const field = r.field(name, at(path, i), `influencer ${i + 1}`);
    if (field !== undefined) {
      influencers.push(field);
    }
  });
  if (names.size > MAX_INFLUENCERS) {
    r.problem(path, `${names.size} influencers given; at most ${MAX_INFLUENCERS} are allowed in one job`);
  }
  return influencers;
}

/** The job's memory limit in bytes, whole MiB as Elastic keeps it (AnalysisLimits); undefined when not set. */
export function readMemoryLimit(limits: Obj, r: Reader): number | undefined {
  const path = 'analysis_limits.model_memory_limit';
  const raw = limits.model_memory_limit;
  if (raw === undefined || raw === null) {
    return undefined;
  }
  let mib: number;
  if (typeof raw === 'number') {
    // Elastic reads a bare number as MiB.
    if (!Number.isSafeInteger(raw)) {
      r.problem(path, `model_memory_limit ${show(raw)} must be a whole number of MiB or a size such as "512mb"`);
      return undefined;
    }
    mib = raw;
  } else if (typeof raw === 'string') {
    const bytes = parseElasticBytes(raw);
    if (Number.isNaN(bytes)) {
      r.problem(
        path,
        `model_memory_limit ${show(raw)} is not a size: a number and a unit out of b, kb, mb, gb, tb, such as "512mb" or "1gb"`,
      );
      return undefined;
    }
    // Rounded down, as Elastic does: "1300kb" is 1 MiB, "1000kb" is 0 and refused.
    mib = Math.floor(bytes / MIB);
    if (bytes !== mib * MIB && mib >= MIN_MODEL_MEMORY_LIMIT_MB) {
      r.warnings.push(
        `analysis_limits.model_memory_limit ${show(raw)} is kept as ${mib} MiB: Elastic keeps whole MiB, rounded down`,
      );
    }
  } else {
    r.problem(path, `model_memory_limit must be a size such as "512mb", got ${show(raw)}`);
    return undefined;
  }
  if (mib < MIN_MODEL_MEMORY_LIMIT_MB) {
    r.problem(path, `model_memory_limit ${show(raw)} must be at least ${MIN_MODEL_MEMORY_LIMIT_MB} MiB, as in Elastic`);
    return undefined;
  }
  if (mib > MAX_MODEL_MEMORY_LIMIT_MB) {
    r.problem(
      path,
      `model_memory_limit ${show(raw)} is more than ${MAX_MODEL_MEMORY_LIMIT_MB / 1024}gb, the most Rarity allows`,
    );
    return undefined;
  }
  return mib * MIB;
}

/** custom_settings.rarity.group_field: one of the fields whose values reach the records. */
export function readGroupField(body: Obj, detectors: JobDetector[], influencers: string[], r: Reader) {
  const custom = r.object(body, 'custom_settings', '');
  if (!custom) {
    return undefined;
  }
  if (Object.keys(custom).some((key) => key !== 'rarity')) {
    r.unused.push('custom_settings');
  }
  const rarity = r.object(custom, 'rarity', 'custom_settings');
  if (!rarity) {
    return undefined;
  }
  r.keys(rarity, RARITY_SETTINGS, 'custom_settings.rarity');
  const name = r.text(rarity, 'group_field', 'custom_settings.rarity');
  if (name === undefined) {
    return undefined;
  }
  const path = 'custom_settings.rarity.group_field';
  const field = r.field(name, path, 'group_field');
  if (field === undefined) {
    return undefined;
  }
  const fields = new Set(influencers);
  for (const d of detectors) {
    for (const f of [d.byField, d.overField, d.partitionField]) {
      if (f !== undefined) {
        fields.add(f);
      }
    }
  }
  if (!fields.has(field)) {
    r.problem(
      path,
      `group_field "${name}" is none of the job's by, over, partition or influencer fields, so records carry no value of it to group by; add it to influencers`,
    );
    return undefined;
  }
  return field;
}
