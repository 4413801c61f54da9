/**
 * What a record says about one entity, from the model's observation: Elastic's typical / actual pair and its
 * explanation facts. Detector and AnomalyJob both build their records here, so the two never drift apart.
 */
import type { ResolvedSpec } from './model/config.ts';
import { explain } from './model/explain.ts';
import type { EntityObservation } from './model/observation.ts';
import type { RecordResult } from './types.ts';

export function recordOf(
  time: number,
  o: EntityObservation,
  rawScore: number,
  score: number,
  resolved: Pick<ResolvedSpec, 'byField' | 'overField'>,
): RecordResult {
  return {
    time,
    by: o.causes[0].by,
    over: o.over,
    entity: o.entity,
    probability: o.probability,
    rawScore,
    score,
    typical: o.probability,
    actual: 1,
    count: o.count,
    causes: o.causes,
    explanation: {
      firstOccurrence: o.firstOccurrence,
      relativeRarity: o.relativeRarity,
      text: explain(o, resolved.byField, resolved.overField),
    },
  };
}
