/**
 * Command-line parsing for `rarity`. Every mistake becomes a UsageError with one line naming the flag and
 * what it accepts; main() turns it into exit status 2.
 */
import { parseArgs } from 'node:util';
import { FILTER_OPS, type FilterOp, type QueryFilter, parseDurationMs } from '../../../src/shared/queryModel.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface DetectArgs {
  databaseUrl?: string;
  table: string;
  function: 'rare' | 'freq_rare';
  by: string;
  over?: string;
  bucketSpan: string;
  from?: Date;
  to?: Date;
  filters: QueryFilter[];
  success?: QueryFilter;
  timeColumn: string;
  idColumn: string;
  format: 'json' | 'table';
  learningBuckets?: number;
  groupThreshold?: number;
}

export interface SeedArgs {
  databaseUrl?: string;
  days: number;
  rowsPerDay: number;
  seed: number;
  end?: Date;
}

function parse(argv: string[], options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values as Record<string, unknown>;
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
}

function date(flag: string, value: unknown): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(String(value));
  if (Number.isNaN(d.getTime())) throw new UsageError(`--${flag} "${value}" is not an ISO date, e.g. 2026-11-01T00:00:00Z`);
  return d;
}

function positiveInt(flag: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${flag} must be a positive whole number, got "${value}"`);
  return n;
}

/** Ops longest first so `>=` is not read as `>` followed by `=value`. */
const INFIX_OPS = ['!=', '<=', '>=', '=', '<', '>'] as const;

/** Parses `field=value`, `field!=value`, `field>=value`, … into a structured filter. */
export function parseFilter(flag: string, text: string): QueryFilter {
  for (const op of INFIX_OPS) {
    const at = text.indexOf(op);
    if (at <= 0) continue;
    const earlier = INFIX_OPS.some((o) => o !== op && text.indexOf(o) >= 0 && text.indexOf(o) < at);
    if (earlier) continue;
    const field = text.slice(0, at).trim();
    const value = text.slice(at + op.length).trim();
    if (!field) break;
    return { field, op: op as FilterOp, value };
  }
  throw new UsageError(`--${flag} "${text}" is not a condition; write field=value (or !=, <, <=, >, >=), e.g. state=1`);
}

export function parseDetectArgs(argv: string[]): DetectArgs {
  const v = parse(argv, {
    'database-url': { type: 'string' },
    table: { type: 'string' },
    function: { type: 'string' },
    by: { type: 'string' },
    over: { type: 'string' },
    'bucket-span': { type: 'string', default: '5m' },
    from: { type: 'string' },
    to: { type: 'string' },
    filter: { type: 'string', multiple: true },
    success: { type: 'string' },
    'time-column': { type: 'string', default: 'ts' },
    'id-column': { type: 'string', default: 'id' },
    format: { type: 'string', default: 'json' },
    'learning-buckets': { type: 'string' },
    'group-threshold': { type: 'string' },
  });
  if (!v.table) throw new UsageError('--table is required, e.g. --table public.weblogs');
  if (v.function !== 'rare' && v.function !== 'freq_rare') {
    throw new UsageError(`--function must be rare or freq_rare${v.function ? `, got "${v.function}"` : ''}`);
  }
  if (!v.by) throw new UsageError('--by is required: the categorical field whose rare values are looked for');
  if (v.function === 'freq_rare' && !v.over) throw new UsageError('freq_rare needs --over: the population field (e.g. --over ip)');
  const bucketSpan = String(v['bucket-span']);
  let spanMs: number;
  try {
    spanMs = parseDurationMs(bucketSpan);
  } catch (e) {
    throw new UsageError(`--bucket-span: ${(e as Error).message}`);
  }
  if (spanMs < 1000) throw new UsageError(`--bucket-span "${bucketSpan}" must be at least 1s`);
  const from = date('from', v.from);
  const to = date('to', v.to);
  if (from && to && from >= to) throw new UsageError(`--from ${from.toISOString()} must be before --to ${to.toISOString()}`);
  const format = String(v.format);
  if (format !== 'json' && format !== 'table') throw new UsageError(`--format must be json or table, got "${format}"`);
  const threshold = v['group-threshold'] === undefined ? undefined : Number(v['group-threshold']);
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 100)) {
    throw new UsageError(`--group-threshold must be a score between 0 and 100, got "${v['group-threshold']}"`);
  }
  return {
    databaseUrl: v['database-url'] as string | undefined,
    table: String(v.table),
    function: v.function,
    by: String(v.by),
    over: v.over as string | undefined,
    bucketSpan,
    from,
    to,
    filters: ((v.filter as string[] | undefined) ?? []).map((f) => parseFilter('filter', f)),
    success: v.success === undefined ? undefined : parseFilter('success', String(v.success)),
    timeColumn: String(v['time-column']),
    idColumn: String(v['id-column']),
    format,
    learningBuckets: v['learning-buckets'] === undefined ? undefined : positiveInt('learning-buckets', v['learning-buckets'], 20),
    groupThreshold: threshold,
  };
}

export function parseSeedArgs(argv: string[]): SeedArgs {
  const v = parse(argv, {
    'database-url': { type: 'string' },
    days: { type: 'string' },
    'rows-per-day': { type: 'string' },
    seed: { type: 'string' },
    end: { type: 'string' },
  });
  return {
    databaseUrl: v['database-url'] as string | undefined,
    days: positiveInt('days', v.days, 30),
    rowsPerDay: positiveInt('rows-per-day', v['rows-per-day'], 20_000),
    seed: positiveInt('seed', v.seed, 42),
    end: date('end', v.end),
  };
}

export function parseDatabaseArgs(argv: string[]): { databaseUrl?: string } {
  const v = parse(argv, { 'database-url': { type: 'string' } });
  return { databaseUrl: v['database-url'] as string | undefined };
}

export { FILTER_OPS };
