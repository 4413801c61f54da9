/**
 * Rows dated before a job's progress that were appended after its id watermark: the model has not seen
 * them. The job goes back to its last snapshot before the earliest such row (the store deletes what follows
 * and restores the groups open then), and advance.ts analyses forward again. When no snapshot is old
 * enough, or the rows predate the job's history, the job starts from scratch.
 */
import type pg from 'pg';
import { MODEL_COLUMNS } from '../../engine/model/factory.ts';
import type { AnomalyGroup } from '../../engine/types.ts';
import { earliestLateRow, type JobRow, type StateStore, type StoredGroup } from '../../store/index.ts';
import { alignDown, type PreparedDetection } from '../detection.ts';
import { JobModel, isModelState } from './model.ts';

export type LateRowsOutcome =
  | { kind: 'none' }
  | { kind: 'reset' }
  | { kind: 'rewound'; model: JobModel; previousUntil: number; affected: StoredGroup[]; earliest: number };

export async function handleLateRows(
  pool: pg.Pool,
  store: StateStore,
  prepared: PreparedDetection,
  job: JobRow,
): Promise<LateRowsOutcome> {
  if (job.processedUntil === null || job.idWatermark === null) {
    return { kind: 'none' };
  }
  const { definition, key } = prepared;
  const earliest = await earliestLateRow(pool, {
    table: definition.table,
    idColumn: definition.idColumn,
    timeColumn: definition.timeColumn,
    afterId: job.idWatermark,
    before: new Date(job.processedUntil),
    filters: definition.filters,
  });
  if (earliest === null) {
    return { kind: 'none' };
  }
  const bucket = alignDown(earliest, definition.spanMs);
  const snapshot =
    job.historyStart !== null && bucket >= job.historyStart
      ? await store.latestSnapshot(key, bucket, MODEL_COLUMNS)
      : undefined;
  if (!snapshot || !isModelState(snapshot.formatVersion, snapshot.state)) {
    await store.resetJob(key);
    return { kind: 'reset' };
  }
  const model = new JobModel(prepared, snapshot.until, snapshot.state);
  const rewound = await store.rewind(key, snapshot.until, { openGroups: model.openGroups() });
  return {
    kind: 'rewound',
    model,
    previousUntil: rewound.previousProcessedUntil ?? snapshot.until,
    affected: rewound.affectedGroups,
    earliest,
  };
}

/** Groups whose reported content the re-analysis changed (a group that vanished cannot be flagged: it is gone). */
export function revisedGroups(before: readonly StoredGroup[], after: ReadonlyMap<string, AnomalyGroup>): string[] {
  const changed: string[] = [];
  for (const old of before) {
    const now = after.get(old.id);
    if (
      now &&
      (now.end !== old.end ||
        now.startingAt !== old.startingAt ||
        now.endingAt !== old.endingAt ||
        now.maxScore !== old.maxScore ||
        now.requests !== old.requests ||
        now.successful !== old.successful ||
        now.unsuccessful !== old.unsuccessful ||
        now.explanation !== old.explanation ||
        now.open !== old.open)
    ) {
      changed.push(old.id);
    }
  }
  return changed;
}
