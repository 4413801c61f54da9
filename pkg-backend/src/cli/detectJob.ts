/**
 * `rarity detect` with a job: an Elastic job file (--job), the Cryptolens preset (--preset cryptolens), or
 * the one detector of the flags split by --partition or grouped by --group-by. The job is read and checked
 * before a database is opened; settings it reads but does not apply go to stderr as warnings.
 */
import { readFile } from 'node:fs/promises';
import { ElasticJobError, parseElasticJob, toElasticJob } from '../../../common/elasticJob.ts';
import { formatSeconds, parseDurationMs } from '../../../common/duration.ts';
import type { JobDefinition } from '../../../common/jobModel.ts';
import { DEFAULT_BUCKET_SPAN } from '../../../common/limits.ts';
import { cryptolensPreset } from '../../../common/presets.ts';
import type { JobRequest } from '../query/jobRun.ts';
import { UsageError, type DetectArgs } from './args.ts';
import type { Database } from './database.ts';
import { jobJson, jobTable } from './jobOutput.ts';

const PRESETS = ['cryptolens'];

/** Every problem of the job on one line, each naming its place, as the usage errors are. */
function readJob(input: unknown, what: string): JobDefinition {
  try {
    return parseElasticJob(input);
  } catch (e) {
    if (e instanceof ElasticJobError) {
      throw new UsageError(`${what}: ${e.problems.map((p) => p.message).join('; ')}`);
    }
    throw e;
  }
}

async function jobOf(args: DetectArgs, warn: (s: string) => void): Promise<JobDefinition> {
  const source = args.jobSource;
  if (source?.kind === 'file') {
    let text: string;
    try {
      text = await readFile(source.path, 'utf8');
    } catch (e) {
      throw new UsageError(`--job ${source.path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    return readJob(text, `--job ${source.path}`);
  }
  if (source?.kind === 'preset') {
    if (!PRESETS.includes(source.name)) {
      throw new UsageError(`--preset "${source.name}" is not known; use ${PRESETS.join(', ')}`);
    }
    const successful = args.settings.successRule !== undefined;
    if (!successful) {
      warn('no --success rule: the preset leaves out its detector "Key with many unsuccessful requests"');
    }
    try {
      return cryptolensPreset({}, { bucketSpan: args.query.bucketSpan, successful }).job;
    } catch (e) {
      if (e instanceof ElasticJobError) {
        throw new UsageError(`--preset ${source.name}: ${e.problems.map((p) => p.message).join('; ')}`);
      }
      throw e;
    }
  }
  // The flags' one detector, held to the rules of a job by going through Elastic's format.
  const span = args.query.bucketSpan ?? DEFAULT_BUCKET_SPAN;
  let seconds: number;
  try {
    seconds = parseDurationMs(span) / 1000;
  } catch (e) {
    throw new UsageError(`--bucket-span "${span}": ${(e as Error).message}`);
  }
  const fn = args.query.function ?? 'rare';
  const by = args.query.byField ?? '';
  const body = toElasticJob({
    bucketSpan: formatSeconds(seconds),
    bucketSpanSeconds: seconds,
    detectors: [
      {
        function: fn,
        byField: by,
        ...(args.query.overField && { overField: args.query.overField }),
        ...(args.partition && { partitionField: args.partition }),
        description: `${fn} by ${by}`,
      },
    ],
    influencers: [],
    warnings: [],
  });
  return readJob(body, 'the detector of --function, --by, --over and --partition');
}

export async function detectJob(
  args: DetectArgs,
  out: (s: string) => void,
  openDatabase: (url: string | undefined) => Promise<Database>,
): Promise<number> {
  const warn = (s: string) => process.stderr.write(`rarity: warning: ${s}\n`);
  const job = await jobOf(args, warn);
  for (const w of job.warnings) {
    warn(w);
  }
  const request: JobRequest = {
    table: args.settings.table!,
    timeColumn: args.settings.timeColumn!,
    idColumn: args.settings.idColumn!,
    job: args.groupBy === undefined ? job : { ...job, groupField: args.groupBy },
    filters: args.query.filters ?? [],
    successRule: args.settings.successRule,
    learningBuckets: args.tuning.learningBuckets,
    groupThreshold: args.tuning.groupThreshold,
  };
  const db = await openDatabase(args.databaseUrl);
  try {
    const { runJob } = await import('../query/jobRun.ts');
    const result = await runJob(db.pool, request, args.window);
    out(args.format === 'json' ? JSON.stringify(jobJson(result)) + '\n' : jobTable(result) + '\n');
    return 0;
  } finally {
    await db.close();
  }
}
