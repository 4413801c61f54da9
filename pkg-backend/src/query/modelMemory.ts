/**
 * What a detection says about its model's memory limit (Elastic's model_memory_limit): the report a result
 * carries when the model is near or at the limit, and the frame notice that tells people what it costs them
 * and which setting to raise.
 */
import { formatMegabytes } from '../../../common/modelMemoryLimit.ts';
import type { JobMemoryStatus } from '../../../common/resources.ts';
import type { Detector } from '../engine/detector.ts';
import type { Notice } from './contract.ts';

export interface ModelMemory {
  status: Exclude<JobMemoryStatus, 'ok'>;
  /** Estimated bytes of the detector's state. */
  bytes: number;
  limitBytes: number;
  /** Tuples not modelled because of the limit since the job started; null when only the job's row was read. */
  limitedTuples: number | null;
}

/** The detector's report, or undefined while it is comfortably below its limit. */
export function detectorMemory(detector: Detector): ModelMemory | undefined {
  const status = detector.memoryStatus;
  if (status === 'ok') {
    return undefined;
  }
  return {
    status,
    bytes: detector.memoryBytes,
    limitBytes: detector.resolved.modelMemoryLimitBytes,
    limitedTuples: detector.limitedTuples,
  };
}

const fmt = (n: number) => n.toLocaleString('en').replace(/,/g, ' ');

const ADVICE = 'raise Model memory limit in the datasource settings';

/** A warning for the frames of a detection near or at its limit; none for a healthy one. */
export function memoryNotice(memory: ModelMemory | undefined): Notice | undefined {
  if (!memory) {
    return undefined;
  }
  const limit = formatMegabytes(memory.limitBytes);
  if (memory.status === 'hard_limit') {
    const lost =
      memory.limitedTuples && memory.limitedTuples > 0
        ? `${fmt(memory.limitedTuples)} tuples of new entities were not modelled`
        : 'new entities are not modelled';
    return { severity: 'warning', text: `model memory limit reached (${limit}): ${lost}; ${ADVICE}` };
  }
  // The status is the model's own; the normalisers' few kilobytes in `bytes` could show 100 % while the model
  // is still below its limit.
  const percent = Math.min(99, Math.max(90, Math.floor((memory.bytes / memory.limitBytes) * 100)));
  return {
    severity: 'warning',
    text: `model memory at ${percent} % of its ${limit} limit: past it new entities are not modelled; ${ADVICE}`,
  };
}
