/**
 * `logs` of a job query: the log entries of the range, those of the job's anomaly groups carrying Group Id /
 * Starting At / Ending At, read as logs.ts reads a detector's, the entity being the job's group field.
 */
import type pg from 'pg';
import { SUCCESSFUL_FIELD } from '../../../common/jobModel.ts';
import type { AnomalyGroup } from '../engine/types.ts';
import { describeTable, resolveColumn } from '../store/index.ts';
import { jobGroupRows } from './frames/job.ts';
import type { JobRequest, JobRunResult } from './jobRun.ts';
import { groupLogs, type AnnotatedLogRow, type LogsOptions } from './logs.ts';
import { QueryError } from './queryError.ts';

export async function jobLogs(
  pool: pg.Pool,
  request: JobRequest,
  result: JobRunResult,
  options: LogsOptions,
): Promise<{ rows: AnnotatedLogRow[]; timeColumn: string; idColumn: string }> {
  const table = await describeTable(pool, request.table);
  const timeColumn = resolveColumn(table, request.job.timeField ?? request.timeColumn, 'time');
  const idColumn = resolveColumn(table, request.idColumn, 'id');
  // runJob names the group field by its exact column name, or the derived field by its reserved name.
  let entity: (typeof table.columns)[number] | 'successful';
  if (result.groupField === SUCCESSFUL_FIELD) {
    entity = 'successful';
  } else {
    const column = table.columns.find((c) => c.name === result.groupField);
    if (!column) {
      throw new QueryError(
        `group field "${result.groupField}" is no longer a column of ${table.qualified}`,
        'groupField',
        result.groupField,
      );
    }
    entity = column;
  }
  // A group whose rows were deleted since has no id window to read its entries from.
  const groups = jobGroupRows(result).flatMap((g): AnomalyGroup[] =>
    g.startingAt !== null && g.endingAt !== null ? [{ ...g, startingAt: g.startingAt, endingAt: g.endingAt }] : [],
  );
  const rows = await groupLogs(
    pool,
    {
      table,
      timeColumn,
      idColumn,
      filters: request.filters ?? [],
      successRule: request.successRule,
      entity,
      groups,
    },
    options,
  );
  return { rows, timeColumn: timeColumn.name, idColumn: idColumn.name };
}
