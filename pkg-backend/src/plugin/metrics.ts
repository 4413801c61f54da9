/**
 * The plugin's own Prometheus counters, served through Diagnostics.CollectMetrics (Grafana exposes them at
 * /metrics/plugins/<plugin id>). Hand-rolled: a handful of series does not justify a client library in the
 * executable. Label values are bounded (query types are mapped to a fixed set) to keep cardinality low.
 */
import { QUERY_TYPES } from '../../../common/queryModel.ts';

export type QueryOutcome = 'ok' | 'error' | 'invalid';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

class CounterVec {
  private readonly values = new Map<string, { labels: Record<string, string>; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Record<string, string>, by = 1): void {
    const key = labelText(labels);
    const entry = this.values.get(key) ?? { labels, value: 0 };
    entry.value += by;
    this.values.set(key, entry);
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) {
      lines.push(`${this.name}${labelText(labels)} ${value}`);
    }
    return lines;
  }
}

class HistogramVec {
  private readonly series = new Map<
    string,
    { labels: Record<string, string>; counts: number[]; sum: number; count: number }
  >();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}
  observe(labels: Record<string, string>, value: number): void {
    const key = labelText(labels);
    const s = this.series.get(key) ?? { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
    this.buckets.forEach((le, i) => {
      if (value <= le) {
        s.counts[i] += 1;
      }
    });
    s.sum += value;
    s.count += 1;
    this.series.set(key, s);
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((le, i) =>
        lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: String(le) })} ${s.counts[i]}`),
      );
      lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

/** One unlabelled series: its HELP, TYPE and sample lines. */
function single(type: 'gauge' | 'counter', name: string, help: string, value: number): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`];
}

const gauge = (name: string, help: string, value: number) => single('gauge', name, help, value);

/** Maps a caller-supplied query type onto the fixed label set. */
export function queryTypeLabel(queryType: string): string {
  return (QUERY_TYPES as readonly string[]).includes(queryType) ? queryType : queryType === '' ? 'unset' : 'other';
}

export interface MetricsSources {
  /** Collections the gc pacer ran (gcPacer.ts); the series is absent where the runtime has no pacer. */
  gcCollections?: () => number;
}

export class PluginMetrics {
  private readonly startedAt = Date.now();
  constructor(private readonly sources: MetricsSources = {}) {}
  readonly queries = new CounterVec('rarity_queries_total', 'Data queries answered, by query type and outcome.');
  readonly queryDuration = new HistogramVec(
    'rarity_query_duration_seconds',
    'Time to answer one QueryData request, by outcome.',
    DURATION_BUCKETS,
  );
  readonly healthChecks = new CounterVec('rarity_health_checks_total', 'CheckHealth calls, by status.');
  readonly resourceCalls = new CounterVec(
    'rarity_resource_calls_total',
    'CallResource calls, by method and status class.',
  );

  recordQuery(queryType: string, outcome: QueryOutcome): void {
    this.queries.inc({ query_type: queryTypeLabel(queryType), outcome });
  }

  recordQueryDuration(seconds: number, outcome: 'ok' | 'error'): void {
    this.queryDuration.observe({ outcome }, seconds);
  }

  recordHealth(status: 'OK' | 'ERROR'): void {
    this.healthChecks.inc({ status: status.toLowerCase() });
  }

  recordResource(method: string, status: number): void {
    const m = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method.toUpperCase()) ? method.toUpperCase() : 'OTHER';
    this.resourceCalls.inc({ method: m, status: `${Math.floor(status / 100)}xx` });
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const mem = process.memoryUsage();
    const lines = [
      ...this.queries.render(),
      ...this.queryDuration.render(),
      ...this.healthChecks.render(),
      ...this.resourceCalls.render(),
      ...gauge(
        'rarity_process_uptime_seconds',
        'Seconds since the plugin process started.',
        (Date.now() - this.startedAt) / 1000,
      ),
      ...gauge(
        'rarity_process_start_time_seconds',
        'Start time of the plugin process, seconds since the epoch.',
        this.startedAt / 1000,
      ),
      ...gauge('rarity_process_resident_memory_bytes', 'Resident set size of the plugin process.', mem.rss),
      ...gauge('rarity_process_heap_used_bytes', 'JavaScript heap in use.', mem.heapUsed),
      ...(this.sources.gcCollections
        ? single(
            'counter',
            'rarity_gc_paced_collections_total',
            'Full garbage collections run because the resident set grew (bun runtime only).',
            this.sources.gcCollections(),
          )
        : []),
    ];
    return lines.join('\n') + '\n';
  }
}
