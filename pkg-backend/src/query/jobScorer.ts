/**
 * A job's engine together with its anomaly groups, bucket by bucket, for the in-process run and the persisted
 * job alike: one code path, so both give the same records, groups and ids.
 *
 * A group is one value of the group field over consecutive buckets where that value is anomalous: its
 * influencer score ≥ the group threshold, or — when the group field is a by, over or partition field but no
 * influencer — the score of a record of that value. A bucket where the value is not anomalous, or a bucket
 * without data, ends it; so the groups still open are exactly those anomalous in the last bucket seen, and a
 * record belongs to the group of the first of its values anomalous in its own bucket. Both are known when the
 * bucket is scored, which lets a persisted job commit them chunk by chunk.
 */
import { groupId } from '../engine/groups.ts';
import {
  AnomalyJob,
  type JobBucketInput,
  type JobBucketResult,
  type JobRecord,
  type JobSnapshot,
  type JobSpec,
  type JobState,
} from '../engine/job.ts';
import type { InfluencerResult, JobResultBucket, JobResultGroup, JobResultRecord } from '../store/index.ts';
import type { ModelMemory } from './modelMemory.ts';

/** A group as the scorer tracks it; its row counts come from the log table (groupSpanStats). */
export interface GroupSpan {
  id: string;
  value: string;
  start: number;
  /** Exclusive: the end of its last anomalous bucket. */
  end: number;
  maxScore: number;
  /** The strongest record of the group so far, which says why it is anomalous. */
  bestScore: number;
  explanation: string | null;
  open: boolean;
}

export interface ScorerState {
  version: 1;
  job: JobState;
  /** Groups anomalous in the last bucket seen. */
  open: GroupSpan[];
  lastBucket: number | null;
}

/** ScorerState as a snapshot is written from: the same JSON text, the models' arrays as columns. */
export type ScorerSnapshot = Omit<ScorerState, 'job'> & { job: JobSnapshot };

export interface ScoredBucket {
  bucket: JobResultBucket;
  /** In the engine's order, each with its group. */
  records: JobResultRecord[];
  influencers: InfluencerResult[];
  /** Groups this bucket created or extended (open) or ended (closed), copies. */
  changed: GroupSpan[];
}

export interface ScorerConfig {
  spec: JobSpec;
  /** The job's key: group ids are derived from it. */
  key: string;
  groupFieldName: string;
  groupThreshold: number;
}

export class JobScorer {
  readonly engine: AnomalyJob;
  private open = new Map<string, GroupSpan>();
  private lastBucket: number | null = null;

  constructor(
    private readonly config: ScorerConfig,
    state?: ScorerState,
  ) {
    if (state && state.version !== 1) {
      throw new Error(`job scorer state version ${String(state.version)} is not supported; expected 1`);
    }
    // The spec is the one given now (a changed memory limit applies from here on), the models the snapshot's.
    this.engine = state ? new AnomalyJob(config.spec, state.job) : new AnomalyJob(config.spec);
    for (const span of state?.open ?? []) {
      this.open.set(span.value, { ...span });
    }
    this.lastBucket = state?.lastBucket ?? null;
  }

  /** Scores one bucket (buckets come in time order, each once). */
  process(input: JobBucketInput): ScoredBucket {
    const result = this.engine.process(input);
    const { spec, groupFieldName, groupThreshold, key } = this.config;
    const spanMs = spec.bucketSpanSeconds * 1000;
    const hits = bucketHits(result, spec, groupFieldName, groupThreshold);
    const changed: GroupSpan[] = [];
    const next = new Map<string, GroupSpan>();
    for (const [value, score] of hits) {
      const current = this.open.get(value);
      let span: GroupSpan;
      if (current && current.end === result.time) {
        span = current;
        span.end = result.time + spanMs;
        span.maxScore = Math.max(span.maxScore, score);
      } else {
        span = {
          id: groupId(key, value, result.time),
          value,
          start: result.time,
          end: result.time + spanMs,
          maxScore: score,
          bestScore: -1,
          explanation: null,
          open: true,
        };
      }
      next.set(value, span);
    }
    for (const [value, span] of this.open) {
      if (next.get(value) !== span) {
        span.open = false;
        changed.push({ ...span });
      }
    }
    this.open = next;
    this.lastBucket = result.time;

    const records = result.records.map((r): JobResultRecord => {
      let group: GroupSpan | undefined;
      for (const v of groupValues(r, spec, groupFieldName)) {
        group = next.get(v);
        if (group) {
          break;
        }
      }
      if (group && r.score > group.bestScore) {
        group.bestScore = r.score;
        group.explanation = r.explanation.text;
      }
      return {
        time: r.time,
        score: r.score,
        probability: r.probability,
        detector: r.detector,
        function: r.function,
        by: r.by,
        over: r.over,
        partition: r.partition,
        typical: r.typical,
        actual: r.actual,
        count: r.count,
        influencers: (r.influencers ?? []).map((x) => ({ field: x.field, value: x.value, influence: x.influence })),
        explanation: r.explanation.text,
        groupId: group?.id ?? null,
      };
    });
    for (const span of next.values()) {
      changed.push({ ...span });
    }
    const { time, score, rawScore, probability, learning, eventCount } = result;
    return {
      bucket: { time, rawScore, score, probability, learning, eventCount },
      records,
      influencers: (result.influencers ?? []).map((inf) => ({
        time,
        field: inf.field,
        value: inf.value,
        score: inf.score,
        probability: inf.probability,
      })),
      changed,
    };
  }

  /** Copies of the groups anomalous in the last bucket seen. */
  openGroups(): GroupSpan[] {
    return [...this.open.values()].map((s) => ({ ...s }));
  }

  /**
   * The state for a snapshot about to be written: its models' long arrays are columns read from the live models
   * as it is written, so it must be serialised before the scorer is fed again (the advance feeds it only once
   * commitJobChunk has resolved).
   */
  snapshotState(): ScorerSnapshot {
    return { version: 1, job: this.engine.snapshotJSON(), open: this.openGroups(), lastBucket: this.lastBucket };
  }

  /** The report a result carries while the job's models are near or at their limit. */
  memory(): ModelMemory | undefined {
    const status = this.engine.memoryStatus;
    if (status === 'ok') {
      return undefined;
    }
    return {
      status,
      bytes: this.engine.memoryBytes,
      limitBytes: this.engine.resolved[0].modelMemoryLimitBytes,
      limitedTuples: this.engine.limitedTuples,
    };
  }
}

/** True for a state this code can resume from. */
export function isScorerState(state: unknown): state is ScorerState {
  const s = state as Partial<ScorerState> | null;
  return !!s && typeof s === 'object' && s.version === 1 && !!s.job && Array.isArray(s.open);
}

/** A group as stored and reported, once its rows are counted. */
export function groupResult(
  span: GroupSpan,
  stats: { minId: string | null; maxId: string | null; requests: number; successful: number },
  groupFieldName: string,
): JobResultGroup {
  return {
    id: span.id,
    entity: span.value,
    start: span.start,
    end: span.end,
    startingAt: stats.minId,
    endingAt: stats.maxId,
    maxScore: span.maxScore,
    requests: stats.requests,
    successful: stats.successful,
    unsuccessful: stats.requests - stats.successful,
    // Without a record of its own (its records went to another value's group) it says why through its score.
    explanation: span.explanation ?? `${groupFieldName} ${span.value}: anomalous, score ${span.maxScore.toFixed(1)}`,
    open: span.open,
  };
}

/** The values of the group field a record carries: its own by, over or partition value, or an influencer's. */
function groupValues(record: JobRecord, spec: JobSpec, field: string): string[] {
  const d = spec.detectors[record.detector];
  const own =
    d.partitionField === field
      ? record.partition
      : d.overField === field
        ? record.over
        : d.byField === field
          ? record.by
          : null;
  const values = own === null ? [] : [own];
  for (const inf of record.influencers ?? []) {
    if (inf.field === field && !values.includes(inf.value)) {
      values.push(inf.value);
    }
  }
  return values;
}

/** This bucket's anomalous values of the group field, with their scores. */
function bucketHits(result: JobBucketResult, spec: JobSpec, field: string, threshold: number): Map<string, number> {
  const hits = new Map<string, number>();
  const keep = (value: string, score: number) => {
    if (score >= threshold && score > (hits.get(value) ?? -1)) {
      hits.set(value, score);
    }
  };
  if (spec.influencers?.includes(field)) {
    for (const inf of result.influencers ?? []) {
      if (inf.field === field) {
        keep(inf.value, inf.score);
      }
    }
  } else {
    for (const r of result.records) {
      for (const v of groupValues(r, spec, field)) {
        keep(v, r.score);
      }
    }
  }
  return hits;
}
