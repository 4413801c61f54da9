/**
 * CheckHealth: connect, check the log table and its mapped columns, and say what was found — or exactly what
 * is wrong — in the words of the datasource's settings page.
 */
import { describeTable, ping, resolveColumn, StoreError, tableBounds, type ColumnInfo } from '../store/index.ts';
import type { HealthResult, RequestContext } from './contract.ts';

const fmt = (n: number) => n.toLocaleString('en').replace(/,/g, ' ');

export async function checkHealth(ctx: RequestContext): Promise<HealthResult> {
  const { pool, settings } = ctx.instance;
  const o = settings.jsonData;
  try {
    await ping(pool);
    if (!o.table) {
      return { status: 'ERROR', message: 'Connected, but no log table is configured: choose one under Log table.' };
    }
    const table = await describeTable(pool, o.table);
    const problems: string[] = [];
    const check = (
      setting: string,
      name: string | undefined,
      purpose: 'time' | 'id' | 'message',
    ): ColumnInfo | undefined => {
      if (!name) {
        if (purpose !== 'message') {
          problems.push(`no ${setting} is configured`);
        }
        return undefined;
      }
      try {
        return resolveColumn(table, name, purpose);
      } catch (e) {
        problems.push((e as Error).message);
        return undefined;
      }
    };
    const time = check('time column', o.timeColumn, 'time');
    const id = check('id column', o.idColumn, 'id');
    check('message column', o.messageColumn, 'message');
    if (o.successRule?.field) {
      try {
        resolveColumn(table, o.successRule.field, 'filter');
      } catch (e) {
        problems.push(`success rule: ${(e as Error).message}`);
      }
    }
    if (problems.length > 0 || !time || !id) {
      return { status: 'ERROR', message: `Connected to ${table.name}, but ${problems.join('; ')}` };
    }
    const bounds = await tableBounds(pool, { table, timeColumn: time });
    const span = bounds.from && bounds.to ? ` from ${bounds.from.toISOString()} to ${bounds.to.toISOString()}` : '';
    return {
      status: 'OK',
      message: `Connected to ${table.name}: ${fmt(bounds.rows)} rows${span}; time column ${time.name} ${time.type}, id column ${id.name} ${id.type}`,
      details: { rows: bounds.rows, from: bounds.from, to: bounds.to },
    };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const kind = e instanceof StoreError ? e.kind : 'unknown';
    return { status: 'ERROR', message, details: { verboseMessage: message, kind } };
  }
}
