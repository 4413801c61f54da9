/**
 * Command-line parsing for `rarity`: flags only. A flag that cannot be read (unknown, not a date, not a
 * number) becomes a UsageError with one line naming it; main() turns it into exit status 2. What the flags
 * ask for is judged afterwards by the same parse step as a Grafana query (query/request.ts), so `detect`
 * hands back the query model and the datasource settings, not a detection of its own making.
 */
import { parseArgs } from 'node:util';
import type { FilterOp, QueryFilter, RarityDataSourceOptions, RarityQuery } from '../../../common/queryModel.ts';
import type { DetectorTuning, RequestLabels, TimeWindow } from '../query/request.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface DetectArgs {
  databaseUrl?: string;
  /** --function, --by, --over, --bucket-span, --filter as the query model. */
  query: Partial<RarityQuery>;
  /** --table, --time-column, --id-column, --success: what a datasource's settings say. */
  settings: RarityDataSourceOptions;
  window: TimeWindow;
  tuning: DetectorTuning;
  format: 'json' | 'table';
  /** --job FILE or --preset NAME: a job instead of the one detector of --function / --by / --over. */
  jobSource?: { kind: 'file'; path: string } | { kind: 'preset'; name: string };
  /** --partition FIELD: the one detector of the flags, split by this field (run as a job). */
  partition?: string;
  /** --group-by FIELD: the field a job's anomaly groups are formed per. */
  groupBy?: string;
}

/** How the shared validator names the fields these flags set. */
export const DETECT_LABELS: RequestLabels = {
  function: '--function',
  byField: '--by',
  overField: '--over',
  bucketSpan: '--bucket-span',
  learningBuckets: '--learning-buckets',
  groupThreshold: '--group-threshold',
};

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
  if (value === undefined) {
    return undefined;
  }
  const d = new Date(String(value));
  if (Number.isNaN(d.getTime())) {
    throw new UsageError(`--${flag} "${value}" is not an ISO date, e.g. 2026-11-01T00:00:00Z`);
  }
  return d;
}

function positiveInt(flag: string, value: unknown, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new UsageError(`--${flag} must be a positive whole number, got "${value}"`);
  }
  return n;
}

function number(flag: string, value: unknown): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = Number(value);
  if (String(value).trim() === '' || !Number.isFinite(n)) {
    throw new UsageError(`--${flag} must be a number, got "${value}"`);
  }
  return n;
}

/** Ops longest first so `>=` is not read as `>` followed by `=value`. */
const INFIX_OPS = ['!=', '<=', '>=', '=', '<', '>'] as const;

/** Parses `field=value`, `field!=value`, `field>=value`, … into a structured filter. */
export function parseFilter(flag: string, text: string): QueryFilter {
  for (const op of INFIX_OPS) {
    const at = text.indexOf(op);
    if (at <= 0) {
      continue;
    }
    const earlier = INFIX_OPS.some((o) => o !== op && text.indexOf(o) >= 0 && text.indexOf(o) < at);
    if (earlier) {
      continue;
    }
    const field = text.slice(0, at).trim();
    const value = text.slice(at + op.length).trim();
    if (!field) {
      break;
    }
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
    'bucket-span': { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    filter: { type: 'string', multiple: true },
    success: { type: 'string' },
    'time-column': { type: 'string', default: 'ts' },
    'id-column': { type: 'string', default: 'id' },
    format: { type: 'string', default: 'json' },
    'learning-buckets': { type: 'string' },
    'group-threshold': { type: 'string' },
    job: { type: 'string' },
    preset: { type: 'string' },
    partition: { type: 'string' },
    'group-by': { type: 'string' },
  });
  // No datasource here to fall back on.
  if (!v.table) {
    throw new UsageError('--table is required, e.g. --table public.weblogs');
  }
  const jobSource = jobSourceOf(v);
  if (v.function === undefined && !jobSource) {
    throw new UsageError(
      '--function is required: rare or freq_rare (or give a job with --job FILE or --preset cryptolens)',
    );
  }
  const from = date('from', v.from);
  const to = date('to', v.to);
  if (from && to && from >= to) {
    throw new UsageError(`--from ${from.toISOString()} must be before --to ${to.toISOString()}`);
  }
  const format = String(v.format);
  if (format !== 'json' && format !== 'table') {
    throw new UsageError(`--format must be json or table, got "${format}"`);
  }
  return {
    databaseUrl: v['database-url'] as string | undefined,
    query: {
      // Unchecked here: an unknown function is refused by the shared validator, in its words.
      function: v.function as RarityQuery['function'],
      byField: (v.by as string | undefined) ?? '',
      overField: v.over as string | undefined,
      bucketSpan: v['bucket-span'] as string | undefined,
      filters: ((v.filter as string[] | undefined) ?? []).map((f) => parseFilter('filter', f)),
    },
    settings: {
      table: String(v.table),
      timeColumn: String(v['time-column']),
      idColumn: String(v['id-column']),
      successRule: v.success === undefined ? undefined : parseFilter('success', String(v.success)),
    },
    window: { from, to },
    tuning: {
      learningBuckets:
        v['learning-buckets'] === undefined ? undefined : positiveInt('learning-buckets', v['learning-buckets'], 0),
      groupThreshold: number('group-threshold', v['group-threshold']),
    },
    format,
    jobSource,
    partition: v.partition as string | undefined,
    groupBy: v['group-by'] as string | undefined,
  };
}

/** --job and --preset bring their own detectors (and --job its bucket span), so those flags cannot be added. */
function jobSourceOf(v: Record<string, unknown>): DetectArgs['jobSource'] {
  if (v.job !== undefined && v.preset !== undefined) {
    throw new UsageError('give either --job FILE or --preset NAME, not both');
  }
  if (v.job === undefined && v.preset === undefined) {
    return undefined;
  }
  const source = v.job !== undefined ? '--job' : '--preset';
  const taken = ['function', 'by', 'over', 'partition', ...(v.job !== undefined ? ['bucket-span'] : [])].filter(
    (f) => v[f] !== undefined,
  );
  if (taken.length > 0) {
    throw new UsageError(
      `${taken.map((f) => `--${f}`).join(', ')} cannot be combined with ${source}: the job defines its detectors`,
    );
  }
  return v.job !== undefined ? { kind: 'file', path: String(v.job) } : { kind: 'preset', name: String(v.preset) };
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
