/**
 * `rarity` — the engine and store without Grafana: seed the demo table, run a detector, run the demo.
 * Exit status: 0 success, 2 bad arguments or a query that cannot run as written (one line on stderr), 1 other
 * failures such as an unreachable database.
 */
import { QueryError } from '../query/queryError.ts';
import { detectorRequest } from '../query/request.ts';
import { DETECT_LABELS, UsageError, parseDatabaseArgs, parseDetectArgs, parseSeedArgs } from './args.ts';
import type { Database } from './database.ts';
import { detectionJson, detectionTable } from './output.ts';

// The database driver, the store and the engine load only once a command runs: help and a mistyped flag
// answer at once.
async function openDatabase(databaseUrl: string | undefined): Promise<Database> {
  return (await import('./database.ts')).openDatabase(databaseUrl);
}

const USAGE = `usage:
  rarity seed   [--database-url URL] [--days 30] [--rows-per-day 20000] [--seed 42] [--end ISO]
  rarity detect --table T --function rare|freq_rare --by F [--over F] [--bucket-span 5m]
                [--from ISO] [--to ISO] [--filter 'field=value' …] [--success 'state=1']
                [--time-column ts] [--id-column id] [--database-url URL] [--format json|table]
                [--partition F] [--group-by F]
  rarity detect --table T (--job ELASTIC_JOB.json | --preset cryptolens [--bucket-span 1h])
                [--group-by F] <the other flags of detect>
  rarity jobs backfill <the flags of detect> [--state-database-url URL] [--state-schema rarity]
  rarity jobs list|show KEY|reset KEY|delete KEY [--database-url URL] [--state-database-url URL]
                [--state-schema rarity] [--format json|table]
  rarity demo   [--database-url URL]   (seed the demo table if empty, run the demo detectors)
Without --database-url or DATABASE_URL, the project's embedded PostgreSQL (.rarity/pg) is used
(as root under a private folder, its data lives in /var/lib/rarity; the demo prints where).`;

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'seed':
        return await seed(rest, out);
      case 'detect':
        return await detect(rest, out);
      case 'jobs':
        // Backfill takes the flags of detect; the management commands take only where the state is.
        if (rest[0] === 'backfill') {
          return await (await import('./jobsBackfill.ts')).jobsBackfill(rest.slice(1), out);
        }
        return await (await import('./jobs.ts')).jobs(rest, out);
      case 'demo':
        return await demo(rest, out);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(USAGE + '\n');
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"; use seed, detect, jobs or demo`);
    }
  } catch (e) {
    return await fail(e);
  }
}

async function fail(e: unknown): Promise<number> {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`rarity: ${message.split('\n')[0]}\n`);
  if (e instanceof UsageError || e instanceof QueryError) {
    return 2;
  }
  // Only a command that got as far as the database fails there, so the store is loaded already.
  const { StoreError } = await import('../store/index.ts');
  if (e instanceof StoreError && e.isUserError) {
    return 2;
  }
  return 1;
}

async function seed(argv: string[], out: (s: string) => void): Promise<number> {
  const args = parseSeedArgs(argv);
  const { seedDemo } = await import('../demo/seed.ts');
  const db = await openDatabase(args.databaseUrl);
  try {
    const result = await seedDemo(db.pool, {
      days: args.days,
      rowsPerDay: args.rowsPerDay,
      seed: args.seed,
      end: args.end,
    });
    out(JSON.stringify(result) + '\n');
    return 0;
  } finally {
    await db.close();
  }
}

async function detect(argv: string[], out: (s: string) => void): Promise<number> {
  const args = parseDetectArgs(argv);
  if (args.jobSource || args.partition !== undefined || args.groupBy !== undefined) {
    return (await import('./detectJob.ts')).detectJob(args, out, openDatabase);
  }
  // Checked before a database is opened: a mistake costs no embedded server start.
  const request = detectorRequest(args.query, args.settings, { tuning: args.tuning, labels: DETECT_LABELS });
  const db = await openDatabase(args.databaseUrl);
  try {
    const { runDetection } = await import('../query/detection.ts');
    const result = await runDetection(db.pool, request, args.window);
    out(args.format === 'json' ? JSON.stringify(detectionJson(result)) + '\n' : detectionTable(result) + '\n');
    return 0;
  } finally {
    await db.close();
  }
}

async function demo(argv: string[], out: (s: string) => void): Promise<number> {
  const args = parseDatabaseArgs(argv);
  const db = await openDatabase(args.databaseUrl);
  try {
    const { runDemo } = await import('./demo.ts');
    await runDemo(db, out);
    // A person at a terminal wants to point Grafana at the demo database: keep it up until Ctrl-C.
    if (db.embedded && process.stdout.isTTY) {
      out(`The embedded PostgreSQL stays up at ${db.url} — press Ctrl-C to stop it.\n`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return 0;
  } finally {
    await db.close();
  }
}
