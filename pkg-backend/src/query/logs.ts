/**
 * `logs`: the log entries of a range, each entry of an anomalous group carrying the Cryptolens properties
 * (Group Id, Starting At, Ending At). With minScore > 0 only entries of groups at or above it are returned,
 * read group by group (entity + id window) so a busy range cannot push them past the limit.
 */
import type pg from 'pg';
import type { AnomalyGroup } from '../engine/types.ts';
import { fetchLogs, type LogRow } from '../store/index.ts';
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

export async function anomalousLogs(
  pool: pg.Pool,
  result: DetectionResult,
  options: LogsOptions,
): Promise<AnnotatedLogRow[]> {
  const d = result.definition;
  const entityColumn = d.overColumn ?? d.byColumn;
  const base = {
    table: d.table,
    timeColumn: d.timeColumn,
    idColumn: d.idColumn,
    messageColumn: options.messageColumn || undefined,
    filters: d.filters,
    successRule: d.successRule ?? undefined,
  };
  const groups = result.groups.filter((g) => g.maxScore >= options.minScore);
  if (options.minScore > 0) {
    const strongest = [...groups].sort((a, b) => b.maxScore - a.maxScore).slice(0, MAX_GROUPS_READ);
    const rows: AnnotatedLogRow[] = [];
    for (const g of strongest) {
      const part = await fetchLogs(pool, {
        ...base,
        from: new Date(g.start),
        to: new Date(g.end),
        entityColumn,
        entityValue: g.entity,
        idFrom: g.startingAt,
        idTo: g.endingAt,
        limit: options.limit,
        order: 'asc',
      });
      for (const row of part) {
        rows.push({ ...row, group: g });
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
  return rows.map((row) => ({ ...row, group: groupOf(row, entityColumn.name, byEntity) }));
}

function groupOf(row: LogRow, entityColumn: string, byEntity: Map<string, AnomalyGroup[]>): AnomalyGroup | undefined {
  const value = row.values[entityColumn];
  if (value === null || value === undefined) {
    return undefined;
  }
  const entity = value instanceof Date ? value.toISOString() : String(value);
  const t = row.time.getTime();
  return byEntity.get(entity)?.find((g) => row.id >= g.startingAt && row.id <= g.endingAt && t >= g.start && t < g.end);
}
