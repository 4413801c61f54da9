/** Human sentences for records and groups, in the words Elastic's explanation fields use. */
import type { EntityObservation } from './observation.ts';

function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) {
    return '∞';
  }
  return ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1);
}

/**
 * The sentence as one flat string, joined from its parts: a template literal leaves V8 a tree of a dozen
 * concatenation nodes, several times the sentence's bytes, and a detection over millions of rows keeps
 * tens of thousands of these sentences until it answers.
 */
export function explain(observation: EntityObservation, byField: string, overField: string | null): string {
  const by = observation.causes[0].by;
  const forEntity = overField ? [' for ', overField, ' ', observation.entity] : [];
  if (observation.firstOccurrence) {
    return ['first occurrence of ', byField, ' ', by, ...forEntity].join('');
  }
  const rarity = formatRatio(observation.relativeRarity);
  return overField
    ? [
        byField,
        ' ',
        by,
        ...forEntity,
        ': relative rarity ',
        rarity,
        '× (used by ',
        rarity,
        '× fewer ',
        overField,
        ' values than typical)',
      ].join('')
    : [byField, ' ', by, ': relative rarity ', rarity, '× (seen in ', rarity, '× fewer buckets than typical)'].join('');
}
