/**
 * CheckHealth: connect, check the log table and its mapped columns, and say what was found — or exactly what
 * is wrong — in the words of the datasource's settings page.
 */
import {
  checkPredicate,
  connectionTarget,
  describeTable,
  ping,
  resolveColumn,
  StoreError,
  tableBounds,
  type ColumnInfo,
} from '../store/index.ts';
import { DEFAULT_MODEL_MEMORY_LIMIT_BYTES } from '../../../common/limits.ts';
import { formatMegabytes } from '../../../common/modelMemoryLimit.ts';
import type { DatasourceInstance, HealthResult, RequestContext } from './contract.ts';
import { modelMemoryLimitBytes } from './settings.ts';
import { tableScope } from './tableScope.ts';

interface StateHealth {
  persisted: boolean;
  sentence: string;
  schema?: string;
  database?: string;
  reason?: string;
  /** Persisted jobs whose model reached its memory limit at their last chunk. */
  hardLimitJobs?: number;
}

/**
 * Where results go. Only an unreachable or broken state store fails the check: without persistence the
 * datasource still answers, from in-process state.
 */
async function stateHealth(instance: DatasourceInstance): Promise<StateHealth | undefined> {
  if (!instance.state) {
    return undefined;
  }
  const handle = await instance.state();
  if (handle.persisted) {
    const database = connectionTarget(handle.store.pool).database ?? 'the log database';
    const hardLimitJobs = (await handle.store.countJobsByMemoryStatus()).hard_limit;
    return {
      persisted: true,
      schema: handle.schema,
      database,
      hardLimitJobs,
      sentence: `Results are persisted in schema ${handle.schema} of ${database}${memorySentence(instance, hardLimitJobs)}`,
    };
  }
  const advice = handle.advice.replace(/^results are not persisted:\s*/i, '');
  return { persisted: false, reason: handle.reason, sentence: `Results are not persisted: ${advice}` };
}

/** Jobs at hard_limit still answer (OK), but leave new entities out: worth saying where it can be fixed. */
function memorySentence(instance: DatasourceInstance, jobs: number): string {
  if (jobs === 0) {
    return '';
  }
  const limit = formatMegabytes(modelMemoryLimitBytes(instance.settings.jsonData) ?? DEFAULT_MODEL_MEMORY_LIMIT_BYTES);
  const which = jobs === 1 ? '1 job is' : `${fmt(jobs)} jobs are`;
  return `. ${which} at the model memory limit (${limit}, hard_limit): new entities are not modelled; raise Model memory limit`;
}

const fmt = (n: number) => n.toLocaleString('en').replace(/,/g, ' ');

export async function checkHealth(ctx: RequestContext): Promise<HealthResult> {
  const { pool, settings } = ctx.instance;
  const o = settings.jsonData;
  try {
    await ping(pool);
    if (!o.table) {
      return { status: 'ERROR', message: 'Connected, but no log table is configured: choose one under Log table.' };
    }
    const table = await describeTable(pool, o.table, await tableScope(ctx.instance));
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
    if (o.successRule) {
      try {
        checkPredicate(table, o.successRule, 'success rule');
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
    if (problems.length > 0 || !time || !id) {
      return { status: 'ERROR', message: `Connected to ${table.name}, but ${problems.join('; ')}` };
    }
    const bounds = await tableBounds(pool, { table, timeColumn: time });
    const span = bounds.from && bounds.to ? ` from ${bounds.from.toISOString()} to ${bounds.to.toISOString()}` : '';
    const connected = `Connected to ${table.name}: ${fmt(bounds.rows)} rows${span}; time column ${time.name} ${time.type}, id column ${id.name} ${id.type}`;
    let state: StateHealth | undefined;
    try {
      state = await stateHealth(ctx.instance);
    } catch (e) {
      const message = `${connected}, but the results storage failed: ${e instanceof Error ? e.message : String(e)}`;
      return { status: 'ERROR', message, details: { verboseMessage: message, kind: 'state' } };
    }
    const { sentence, ...stateDetails } = state ?? { sentence: '' };
    return {
      status: 'OK',
      message: state ? `${connected}. ${sentence}` : connected,
      details: { rows: bounds.rows, from: bounds.from, to: bounds.to, ...(state ? { state: stateDetails } : {}) },
    };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const kind = e instanceof StoreError ? e.kind : 'unknown';
    return { status: 'ERROR', message, details: { verboseMessage: message, kind } };
  }
}
