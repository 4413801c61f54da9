/**
 * `rarity jobs list|show <key>|reset <key>|delete <key>`: the persisted detection jobs of a state store, as
 * the datasource's Jobs page shows them. The state lives in --state-database-url when given, else in the log
 * database (--database-url, DATABASE_URL, the embedded server), in schema --state-schema (default rarity).
 */
import { parseArgs } from 'node:util';
import { JOB_KEY_PATTERN, type JobSummary } from '../../../common/resources.ts';
import { UsageError } from './args.ts';
import type { Database } from './database.ts';

export interface JobsArgs {
  command: 'list' | 'show' | 'reset' | 'delete';
  key?: string;
  databaseUrl?: string;
  stateDatabaseUrl?: string;
  stateSchema?: string;
  format: 'json' | 'table';
}

const COMMANDS = ['list', 'show', 'reset', 'delete'] as const;

export function parseJobsArgs(argv: string[]): JobsArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'database-url': { type: 'string' },
        'state-database-url': { type: 'string' },
        'state-schema': { type: 'string' },
        format: { type: 'string' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
  const [command, key, ...extra] = parsed.positionals;
  if (!COMMANDS.includes(command as JobsArgs['command'])) {
    throw new UsageError(`unknown jobs command "${command ?? ''}"; use jobs list, show, reset, delete or backfill`);
  }
  if (command === 'list' ? key !== undefined : key === undefined) {
    throw new UsageError(command === 'list' ? 'jobs list takes no key' : `jobs ${command} needs a job key`);
  }
  if (extra.length > 0) {
    throw new UsageError(`unexpected argument "${extra[0]}"`);
  }
  if (key !== undefined && !JOB_KEY_PATTERN.test(key)) {
    throw new UsageError(`job key "${key}" is not 16 hex digits (see rarity jobs list)`);
  }
  const v = parsed.values as Record<string, string | undefined>;
  const format = v.format ?? 'table';
  if (format !== 'json' && format !== 'table') {
    throw new UsageError(`--format "${format}" must be json or table`);
  }
  for (const flag of ['database-url', 'state-database-url', 'state-schema']) {
    if (v[flag] === '') {
      throw new UsageError(`--${flag} needs a value`);
    }
  }
  return {
    command: command as JobsArgs['command'],
    key,
    databaseUrl: v['database-url'],
    stateDatabaseUrl: v['state-database-url'],
    stateSchema: v['state-schema'],
    format,
  };
}

/** The state handle of the command line: the datasource's rules, with flags for settings. */
export async function openCliState(
  db: Database,
  options: { stateDatabaseUrl?: string; stateSchema?: string },
): Promise<{ handle: import('../query/contract.ts').JobStateHandle; close(): Promise<void> }> {
  const { createPool } = await import('../store/index.ts');
  const { jobStateOf } = await import('../query/jobs/stateHandle.ts');
  const pool = options.stateDatabaseUrl
    ? createPool({ connectionString: options.stateDatabaseUrl, applicationName: 'rarity-cli', max: 4 })
    : db.pool;
  const close = async () => {
    if (pool !== db.pool) {
      await pool.end();
    }
  };
  try {
    return { handle: await jobStateOf(pool, { schema: options.stateSchema })(), close };
  } catch (e) {
    await close();
    throw e;
  }
}

function jobsTable(jobs: JobSummary[]): string[][] {
  const rows = [['KEY', 'STATUS', 'PROCESSED UNTIL', 'LAG', 'LEARNING', 'MEMORY', 'LAST ERROR', 'DETECTOR']];
  for (const j of jobs) {
    rows.push([
      j.key,
      j.status,
      j.processedUntil ?? '-',
      j.lagSeconds === null ? '-' : `${j.lagSeconds}s`,
      j.learning ? `until ${j.learningUntil}` : 'no',
      j.memoryStatus,
      j.lastError ?? '-',
      j.description,
    ]);
  }
  return rows;
}

export async function jobs(argv: string[], out: (s: string) => void): Promise<number> {
  const args = parseJobsArgs(argv);
  const { openDatabase } = await import('./database.ts');
  const { renderTable } = await import('./output.ts');
  const { summariseJob } = await import('../query/jobSummary.ts');
  const db = await openDatabase(args.databaseUrl);
  try {
    const state = await openCliState(db, args);
    try {
      const { handle } = state;
      if (!handle.persisted) {
        process.stderr.write(`rarity: ${handle.advice}\n`);
        return 1;
      }
      const { store } = handle;
      const print = (value: unknown, table: () => string) =>
        out(args.format === 'json' ? JSON.stringify(value) + '\n' : table() + '\n');
      const asTable = (list: JobSummary[]) => renderTable(jobsTable(list));
      if (args.command === 'list') {
        const list = (await store.listJobs()).map((j) => summariseJob(j));
        print(list, () => (list.length === 0 ? `no jobs in schema ${handle.schema}` : asTable(list)));
        return 0;
      }
      const key = args.key!;
      const missing = () => {
        process.stderr.write(`rarity: job ${key} does not exist in schema ${handle.schema}\n`);
        return 2;
      };
      if (args.command === 'delete') {
        if (!(await store.deleteJob(key))) {
          return missing();
        }
        print({ deleted: key }, () => `deleted job ${key}`);
        return 0;
      }
      if (!(await store.getJob(key))) {
        return missing();
      }
      if (args.command === 'reset') {
        await store.resetJob(key);
      }
      const job = await store.getJob(key);
      if (!job) {
        return missing();
      }
      const summary = summariseJob(job);
      print(summary, () => asTable([summary]));
      return 0;
    } finally {
      await state.close();
    }
  } finally {
    await db.close();
  }
}
