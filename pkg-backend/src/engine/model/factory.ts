/**
 * The category model a detector's spec calls for, new or restored from its JSON state: population analysis
 * when there is an over field (frequency-weighted for freq_rare), rare in time otherwise. Shared by Detector
 * and by the per-partition models of AnomalyJob, so both build and restore models the same way.
 */
import type { ResolvedSpec } from './config.ts';
import type { CategoryModel } from './observation.ts';
import { POPULATION_COLUMNS, PopulationModel, type PopulationState } from './population.ts';
import { RareInTimeModel, type RareInTimeState } from './rareInTime.ts';

export type ModelState = RareInTimeState | PopulationState;

/** The arrays of any model's state that a snapshot's reader reads as columns (runtime/jsonColumn.ts). */
export const MODEL_COLUMNS = POPULATION_COLUMNS;

export function createModel(resolved: ResolvedSpec): CategoryModel {
  const { overField, decayRate, bucketSpanMs } = resolved;
  return overField
    ? new PopulationModel(resolved.function === 'freq_rare', decayRate, bucketSpanMs)
    : new RareInTimeModel(decayRate);
}

export function restoreModel(state: ModelState): CategoryModel {
  return state.kind === 'population' ? PopulationModel.fromJSON(state) : RareInTimeModel.fromJSON(state);
}
