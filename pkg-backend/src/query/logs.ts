/**
 * `logs`: the log entries of a range, each entry of an anomalous group carrying the Cryptolens properties
 * (Group Id, Starting At, Ending At). With minScore > 0 only entries of groups at or above it are returned,
 * read group by group (entity + id window) so a busy range cannot push them past the limit.
 */
import type pg from 'pg';
import type { AnomalyGroup } from '../engine/types.ts';
import type { QueryFilter, SuccessRule } from '../../../common/queryModel.ts';
import { fetchLogs, type ColumnInfo, type LogRow, type TableInfo } from '../store/index.ts';
import type { DetectionResult } from './detection.ts';
import type { TimeWindow } from './request.ts';

/** Groups read one by one in anomalous-only mode; the strongest first. */
const MAX_GROUPS_READ = 200;

export interface AnnotatedLogRow extends LogRow {
  group?: AnomalyGroup;
}

export interface LogsOptions {
  minScore: number;
  limit: number;
  window: TimeWindow;
  /** The datasource's message column, if it has one. */
  messageColumn?: string;
}

/** What reading a result's log entries needs: the table as the result read it, and its groups' entity field. */
export interface GroupLogsSource {
  table: TableInfo;
  timeColumn: ColumnInfo;
  idColumn: ColumnInfo;
  filters: QueryFilter[];
  successRule?: SuccessRule;
  /** The column a group's entity is a value of; `successful`: the success rule's verdict ("true"/"false"). */
  entity: ColumnInfo | 'successful';
  groups: AnomalyGroup[];
}

export async function anomalousLogs(
  pool: pg.Pool,
  result: DetectionResult,
  options: LogsOptions,
): Promise<AnnotatedLogRow[]> {
  const d = result.definition;
  return groupLogs(
    pool,
    {
      table: d.table,
      timeColumn: d.timeColumn,
      idColumn: d.idColumn,
      filters: d.filters,
      successRule: d.successRule ?? undefined,
      entity: d.overColumn ?? d.byColumn,
      groups: result.groups,
    },
    options,
  );
}

export async function groupLogs(
  pool: pg.Pool,
  source: GroupLogsSource,
  options: LogsOptions,
): Promise<AnnotatedLogRow[]> {
  const base = {
    table: source.table,
    timeColumn: source.timeColumn,
    idColumn: source.idColumn,
    messageColumn: options.messageColumn || undefined,
    filters: source.filters,
    successRule: source.successRule,
  };
  const entityOf = (row: LogRow): string | undefined => {
    const value = source.entity === 'successful' ? row.successful : row.values[source.entity.name];
    if (value === null || value === undefined) {
      return undefined;
    }
    return value instanceof Date ? value.toISOString() : String(value);
  };
  const groups = source.groups.filter((g) => g.maxScore >= options.minScore);
  if (options.minScore > 0) {
    const strongest = [...groups].sort((a, b) => b.maxScore - a.maxScore).slice(0, MAX_GROUPS_READ);
    const rows: AnnotatedLogRow[] = [];
    for (const g of strongest) {
      // The derived field has no column to restrict by; its rows are picked from the group's id window.
      const entity = source.entity === 'successful' ? {} : { entityColumn: source.entity, entityValue: g.entity };
      const part = await fetchLogs(pool, {
        ...base,
        from: new Date(g.start),
        to: new Date(g.end),
        ...entity,
        idFrom: g.startingAt,
        idTo: g.endingAt,
        limit: options.limit,
        order: 'asc',
      });
      for (const row of part) {
        if (source.entity !== 'successful' || entityOf(row) === g.entity) {
          rows.push({ ...row, group: g });
        }
      }
    }
    return rows.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, options.limit);
  }
  const rows = await fetchLogs(pool, {
    ...base,
    from: options.window.from,
    to: options.window.to,
    limit: options.limit,
    order: 'desc',
  });
  const byEntity = new Map<string, AnomalyGroup[]>();
  for (const g of groups) {
    const list = byEntity.get(g.entity);
    if (list) {
      list.push(g);
    } else {
      byEntity.set(g.entity, [g]);
    }
  }
  return rows.map((row) => ({ ...row, group: groupOf(row, entityOf(row), byEntity) }));
}

function groupOf(
  row: LogRow,
  entity: string | undefined,
  byEntity: Map<string, AnomalyGroup[]>,
): AnomalyGroup | undefined {
  if (entity === undefined) {
    return undefined;
  }
  const t = row.time.getTime();
  return byEntity.get(entity)?.find((g) => row.id >= g.startingAt && row.id <= g.endingAt && t >= g.start && t < g.end);
}
