/**
 * (f) Detection at scale: freq_rare by state over ip, 5-minute buckets, over the 30 days of generated tables
 * of each row count × distinct over entities, against the bare aggregate on the same table in the same run.
 * Each measurement runs in a child process (bench/scaleChild.ts) so the peak RSS reported is detection's
 * alone; bare, stream and detect alternate, so a busy moment on the shared cores hits all alike. "stream" is
 * detection's pushdown without the engine: stream against bare is what reading the aggregate chunk by chunk
 * through cursors costs against one statement, detect against stream what scoring adds to the wall time.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type pg from 'pg';
import { BENCH_TABLE_DAYS, BENCH_TABLE_START, ensureBenchTable } from '../pkg-backend/src/store/index.ts';
import { findHostBun } from '../scripts/host-bun.mjs';
import type { ScaleChildReport, ScaleMeasure } from './scaleChild.ts';

const DAY = 86_400_000;
const CHILD = fileURLToPath(new URL('./scaleChild.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

let bundled: Promise<string> | undefined;

/**
 * The child as one bundled file, which is how the plugin runs (bun --compile bundles these same sources).
 * Through bin/run-ts.mjs the child also held tsx's loader and its transformed modules, about 45 MB of peak
 * RSS that no plugin process carries. Bundled once per bench run.
 */
function childScript(): Promise<string> {
  bundled ??= (async () => {
    const outfile = join(ROOT, 'node_modules', '.cache', 'rarity-bench', 'scaleChild.mjs');
    await build({
      entryPoints: [CHILD],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      // pg's optional native binding is never installed; its CommonJS code needs a require in an ES module.
      external: ['pg-native'],
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      logLevel: 'warning',
    });
    return outfile;
  })();
  return bundled;
}
/**
 * The baseline holds the whole aggregate in memory (one JS array per tuple): near 10 M tuples that passes
 * V8's default heap limit. Only the bare child gets more; detection runs with the defaults the plugin has.
 */
const BARE_HEAP_MB = 16_384;

export interface ScaleCell {
  rows: number;
  distinctOver: number;
  table: string;
  tableSeconds: number;
  /** Rows of the aggregate. */
  tuples: number;
  bareSeconds: number;
  /** Detection's chunked pushdown alone, its buckets assembled and dropped: detection's time before any scoring. */
  streamSeconds: number;
  detectSeconds: number;
  /** Largest maxRSS of the detection children, bytes; and what such a child holds before detecting. */
  peakRssBytes: number;
  idleRssBytes: number;
  repeats: number;
  /** Tuples the engine consumed, when that differs from the aggregate's rows. */
  detectTuples: number;
  /** One detection under bun, the runtime the plugin ships on, when npm installed one. */
  bun?: { seconds: number; peakRssBytes: number };
}

/** 1000000 → "1 M", 50000 → "50 k", else the number with separators. */
export function sizeLabel(n: number): string {
  if (n >= 1_000_000 && n % 100_000 === 0) {
    return `${n / 1_000_000} M`;
  }
  if (n >= 1000 && n % 100 === 0) {
    return `${n / 1000} k`;
  }
  return n.toLocaleString('en');
}

export function scaleTableName(rows: number, distinctOver: number): string {
  const part = (n: number) => sizeLabel(n).replace(' ', '').replace('.', '_').replace(',', '').toLowerCase();
  return `public.rarity_scale_${part(rows)}_${part(distinctOver)}`;
}

/** Default repeats: three where a cell takes seconds, one at 10 M rows where one aggregate takes a minute. */
export function defaultScaleRepeats(rows: number): number {
  return rows >= 10_000_000 ? 1 : 3;
}

async function runChild(
  databaseUrl: string,
  table: string,
  measure: ScaleMeasure,
  runtime = process.execPath,
): Promise<ScaleChildReport> {
  const script = await childScript();
  const from = BENCH_TABLE_START;
  // The last generated row sits exactly at the end of the 30 days: one second more takes it in, as in (b).
  const to = new Date(from.getTime() + BENCH_TABLE_DAYS * DAY + 1000);
  const heap = measure === 'bare' ? [`--max-old-space-size=${BARE_HEAP_MB}`] : [];
  const args = [...heap, script, '--database-url', databaseUrl, '--table', table, '--measure', measure];
  args.push('--from', from.toISOString(), '--to', to.toISOString());
  return new Promise((resolve, reject) => {
    const child = spawn(runtime, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        const why = signal ? `killed by ${signal}` : `exit code ${code}`;
        reject(new Error(`the ${measure} child on ${table} failed (${why}): ${stderr.trim().slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line) as ScaleChildReport);
    });
  });
}

/** kB (maxRSS's unit) to MB of 10^6 bytes, as the table prints. */
const mb = (kb: number) => ((kb * 1024) / 1e6).toFixed(0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchScaleCell(
  pool: pg.Pool,
  options: {
    databaseUrl: string;
    rows: number;
    distinctOver: number;
    repeats?: number;
    log?: (line: string) => void;
  },
): Promise<ScaleCell> {
  const { rows, distinctOver, databaseUrl } = options;
  const log = options.log ?? (() => undefined);
  const repeats = options.repeats ?? defaultScaleRepeats(rows);
  const table = scaleTableName(rows, distinctOver);
  const t0 = Date.now();
  await ensureBenchTable(pool, table, rows, { distinctOver });
  const tableSeconds = (Date.now() - t0) / 1000;
  log(`table ${table} ready in ${tableSeconds.toFixed(1)} s`);
  const bare: ScaleChildReport[] = [];
  const stream: ScaleChildReport[] = [];
  const detect: ScaleChildReport[] = [];
  for (let i = 0; i < repeats; i++) {
    bare.push(await runChild(databaseUrl, table, 'bare'));
    stream.push(await runChild(databaseUrl, table, 'stream'));
    detect.push(await runChild(databaseUrl, table, 'detect'));
    const [b, s, d] = [bare[i], stream[i], detect[i]];
    log(
      `${table} #${i + 1}: bare ${b.seconds.toFixed(2)} s (peak RSS ${mb(b.maxRssKb)} MB), stream ${s.seconds.toFixed(2)} s, detect ${d.seconds.toFixed(2)} s (peak RSS ${mb(d.maxRssKb)} MB, ${mb(d.rssBeforeKb)} MB before)`,
    );
  }
  // Node's numbers are the ones compared with the baseline (both children run on it); bun's says what the
  // shipped executable's runtime does with the same work.
  const bunPath = findHostBun();
  const bun = bunPath ? await runChild(databaseUrl, table, 'detect', bunPath) : undefined;
  if (bun) {
    log(`${table} under bun: detect ${bun.seconds.toFixed(2)} s (peak RSS ${mb(bun.maxRssKb)} MB)`);
  }
  return {
    rows,
    distinctOver,
    table,
    tableSeconds,
    tuples: bare[0].tuples,
    bareSeconds: median(bare.map((r) => r.seconds)),
    streamSeconds: median(stream.map((r) => r.seconds)),
    detectSeconds: median(detect.map((r) => r.seconds)),
    peakRssBytes: Math.max(...detect.map((r) => r.maxRssKb)) * 1024,
    idleRssBytes: Math.max(...detect.map((r) => r.rssBeforeKb)) * 1024,
    repeats,
    detectTuples: detect[0].tuples,
    bun: bun && { seconds: bun.seconds, peakRssBytes: bun.maxRssKb * 1024 },
  };
}

/** The cells as a markdown table for README.md, columns padded as prettier would leave them. */
export function scaleMarkdown(cells: readonly ScaleCell[]): string[] {
  const withBun = cells.some((c) => c.bun);
  const head = [
    'rows',
    'distinct over',
    'tuples',
    'bare s',
    'stream s',
    'detect s',
    'ratio',
    'tuples/s',
    'peak RSS MB',
  ];
  if (withBun) {
    head.push('bun s', 'bun peak RSS MB');
  }
  const body = cells.map((c) => [
    sizeLabel(c.rows),
    // Fewer rows than addresses: each row has its own, so the table holds `rows` of them.
    c.distinctOver > c.rows ? `${sizeLabel(c.rows)}¹` : sizeLabel(c.distinctOver),
    c.tuples.toLocaleString('en'),
    c.bareSeconds.toFixed(2),
    c.streamSeconds.toFixed(2),
    c.detectSeconds.toFixed(2),
    `${(c.detectSeconds / c.bareSeconds).toFixed(2)}×`,
    Math.round(c.tuples / c.detectSeconds).toLocaleString('en'),
    (c.peakRssBytes / 1e6).toFixed(0),
    ...(withBun ? [c.bun ? c.bun.seconds.toFixed(2) : '–', c.bun ? (c.bun.peakRssBytes / 1e6).toFixed(0) : '–'] : []),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, 4, ...body.map((r) => r[i].length)));
  const row = (cols: string[]) => `| ${cols.map((c, i) => c.padStart(widths[i])).join(' | ')} |`;
  return [row(head), `| ${widths.map((w) => `${'-'.repeat(w - 1)}:`).join(' | ')} |`, ...body.map(row)];
}
