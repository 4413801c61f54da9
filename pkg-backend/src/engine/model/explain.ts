/** Human sentences for records and groups, in the words Elastic's explanation fields use. */
import type { EntityObservation } from './observation.ts';

function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) {
    return '∞';
  }
  return ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1);
}

export function explain(observation: EntityObservation, byField: string, overField: string | null): string {
  const by = observation.causes[0].by;
  const forEntity = overField ? ` for ${overField} ${observation.entity}` : '';
  if (observation.firstOccurrence) {
    return `first occurrence of ${byField} ${by}${forEntity}`;
  }
  const rarity = formatRatio(observation.relativeRarity);
  return overField
    ? `${byField} ${by}${forEntity}: relative rarity ${rarity}× (used by ${rarity}× fewer ${overField} values than typical)`
    : `${byField} ${by}: relative rarity ${rarity}× (seen in ${rarity}× fewer buckets than typical)`;
}
