/**
 * Influencers of a job's records (ml-cpp CIndicatorInfluenceCalculator inside
 * CProbabilityAndInfluenceCalculator, the only calculator rare and freq_rare use).
 *
 * The pushdown groups each detector's rows by the influencer fields as well, so one observation (detector,
 * partition, by, over) may arrive as several tuples that differ only in their influencer values. They are
 * merged here before any model sees them — models see exactly the tuples of the same job without
 * influencers — and the values are remembered per merged tuple, i.e. per (entity, attribute).
 *
 * A record's influence of a value is clamp(ln p_i / ln p, 0, 1) (0/0 = 1), kept if ≥ 0.4. In time, a record
 * is one by value, so every value seen with it has p_i = p. In a population p_i is the weighted joint, as the
 * model computes the record's own, over the attributes whose rows carry the value.
 */
import { PopulationModel } from '../model/population.ts';
import type { ObservedSlot } from './models.ts';
import type { JobDetectorSpec, JobInfluence, JobTuple } from './types.ts';

/** Influences below this are not reported (CProbabilityAndInfluenceCalculator's cutoff). */
export const INFLUENCE_CUTOFF = 0.4;

/** Per influencer field (as JobSpec.influencers), the values seen with a merged tuple and their row counts. */
export type InfluencerValues = Array<Map<string, number>>;

export interface MergedTuples {
  tuples: readonly JobTuple[];
  /** Keyed by the merged tuples (never the input ones unless nothing needed merging). */
  values: Map<JobTuple, InfluencerValues>;
}

/**
 * One detector's tuples of a bucket, with tuples of the same (partition, by, over) merged: counts and
 * successes summed, the smallest minId and largest maxId kept. A field with no value in a tuple falls back to
 * the detector's partitioning field (partition, by or over) of the same name, as Elastic's does; empty values
 * are no influencer value. Tuples without influencer values at all pass through unchanged.
 */
export function mergeTuples(
  tuples: readonly JobTuple[],
  fields: readonly string[],
  detector: JobDetectorSpec,
): MergedTuples {
  const values = new Map<JobTuple, InfluencerValues>();
  if (fields.length === 0) {
    return { tuples, values };
  }
  const split = tuples.some((t) => t.influencers !== undefined);
  const merged: JobTuple[] = [];
  // (partition, by, over) → merged tuple, as nested maps: the parts are strings the tuples already hold.
  const byKey = new Map<string, Map<string, Map<string, JobTuple>>>();
  for (const t of tuples) {
    let target = t;
    if (split) {
      const partition = detector.partitionField ? (t.partition ?? '') : '';
      const over = t.over ?? '\u0001';
      let byBy = byKey.get(partition);
      if (!byBy) {
        byBy = new Map();
        byKey.set(partition, byBy);
      }
      let byOver = byBy.get(t.by);
      if (!byOver) {
        byOver = new Map();
        byBy.set(t.by, byOver);
      }
      const known = byOver.get(over);
      if (known) {
        target = known;
        known.count += t.count;
        known.successful += t.successful;
        if (compareIds(t.minId, known.minId) < 0) {
          known.minId = t.minId;
        }
        if (compareIds(t.maxId, known.maxId) > 0) {
          known.maxId = t.maxId;
        }
      } else {
        const { influencers: _, ...rest } = t;
        target = rest;
        byOver.set(over, target);
        merged.push(target);
      }
    }
    let seen = values.get(target);
    for (let k = 0; k < fields.length; k++) {
      const value = influencerValue(t, k, fields[k], detector);
      if (value === null) {
        continue;
      }
      if (!seen) {
        seen = fields.map(() => new Map<string, number>());
        values.set(target, seen);
      }
      seen[k].set(value, (seen[k].get(value) ?? 0) + t.count);
    }
  }
  return { tuples: split ? merged : tuples, values };
}

/**
 * Ids compared as integers. Short decimal strings (≤ 15 digits) are exact as doubles, which spares the BigInt
 * conversions of every merged tuple; anything else (bigints, long or unusual strings) goes through BigInt.
 */
function compareIds(x: bigint | string, y: bigint | string): number {
  if (typeof x === 'string' && typeof y === 'string' && x.length <= 15 && y.length <= 15) {
    const nx = Number(x);
    const ny = Number(y);
    if (Number.isSafeInteger(nx) && Number.isSafeInteger(ny) && /^-?\d+$/.test(x) && /^-?\d+$/.test(y)) {
      return nx < ny ? -1 : nx > ny ? 1 : 0;
    }
  }
  const bx = BigInt(x);
  const by = BigInt(y);
  return bx < by ? -1 : bx > by ? 1 : 0;
}

function influencerValue(t: JobTuple, k: number, field: string, detector: JobDetectorSpec): string | null {
  const own = t.influencers?.[k];
  if (own !== undefined && own !== null && own !== '') {
    return own;
  }
  let fallback: string | null | undefined = null;
  if (field === detector.partitionField) {
    fallback = t.partition;
  } else if (field === detector.byField) {
    fallback = t.by;
  } else if (field === detector.overField) {
    fallback = t.over;
  }
  return fallback === undefined || fallback === null || fallback === '' ? null : fallback;
}

/** CInfluenceCalculator::intersectionInfluence. */
export function indicatorInfluence(p: number, pi: number): number {
  const logP = Math.log(p);
  const logPi = Math.log(pi);
  if (logP === 0) {
    return logPi === 0 ? 1 : 0;
  }
  return Math.min(Math.max(logPi / logP, 0), 1);
}

/** Influences ≥ the cutoff, strongest first, then by field and value. */
export function sortInfluences(influences: JobInfluence[]): JobInfluence[] {
  return influences
    .filter((i) => i.influence >= INFLUENCE_CUTOFF)
    .sort(
      (a, b) =>
        b.influence - a.influence ||
        (a.field < b.field ? -1 : a.field > b.field ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
    );
}

/**
 * The influences of entity `index` of an observed model: `entityTuples` are its merged tuples in the bucket,
 * `values` what mergeTuples remembered of them.
 */
export function entityInfluences(
  observed: ObservedSlot,
  index: number,
  entityTuples: readonly JobTuple[],
  values: ReadonlyMap<JobTuple, InfluencerValues>,
  fields: readonly string[],
): JobInfluence[] {
  const { model } = observed.slot;
  if (!(model instanceof PopulationModel)) {
    return sortInfluences(timeInfluences(entityTuples, values, fields));
  }
  const p = model.probability(index);
  // Per field and value, the attributes (by values) whose rows carried it.
  const carriers = fields.map(() => new Map<string, Set<string>>());
  for (const t of entityTuples) {
    const seen = values.get(t);
    if (!seen) {
      continue;
    }
    seen.forEach((perValue, k) => {
      for (const value of perValue.keys()) {
        let attributes = carriers[k].get(value);
        if (!attributes) {
          attributes = new Set();
          carriers[k].set(value, attributes);
        }
        attributes.add(t.by);
      }
    });
  }
  const influences: JobInfluence[] = [];
  carriers.forEach((perValue, k) => {
    for (const [value, attributes] of perValue) {
      const pi = model.subsetProbability(index, (by) => attributes.has(by));
      influences.push({ field: fields[k], value, influence: pi === p ? 1 : indicatorInfluence(p, pi) });
    }
  });
  return sortInfluences(influences);
}

/**
 * In time every value seen with the record has p_i = p, influence 1: the values only, per field in the order
 * they were first seen (as the population path lists them), without the attribute sets it needs.
 */
function timeInfluences(
  entityTuples: readonly JobTuple[],
  values: ReadonlyMap<JobTuple, InfluencerValues>,
  fields: readonly string[],
): JobInfluence[] {
  const influences: JobInfluence[] = [];
  for (let k = 0; k < fields.length; k++) {
    let seenValues: Set<string> | null = null;
    for (const t of entityTuples) {
      const perValue = values.get(t)?.[k];
      if (!perValue) {
        continue;
      }
      for (const value of perValue.keys()) {
        if (entityTuples.length === 1) {
          influences.push({ field: fields[k], value, influence: 1 });
          continue;
        }
        seenValues ??= new Set();
        if (!seenValues.has(value)) {
          seenValues.add(value);
          influences.push({ field: fields[k], value, influence: 1 });
        }
      }
    }
  }
  return influences;
}
