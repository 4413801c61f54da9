/**
 * Cryptolens-style anomaly groups: consecutive anomalous buckets of one entity form a group. Starting At /
 * Ending At are the smallest / largest log ids of that entity's requests inside the group; not every request
 * of a group is itself anomalous. Group ids are a hash of the detector, the entity and the first bucket, so
 * the same data gives the same ids on every run.
 */
import type { AnomalyGroup, BucketInput, BucketResult } from './types.ts';

export interface GroupTrackerOptions {
  /** Identifies the detector definition; part of every group id. */
  detectorKey: string;
  bucketSpanMs: number;
  /** Record score at or above which the entity is anomalous in a bucket. */
  threshold: number;
  /** Population detectors group by over value, others by by value. */
  population: boolean;
}

interface EntityBucket {
  requests: number;
  successful: number;
  minId: bigint;
  maxId: bigint;
}

/** Groups as JSON: bigint log ids become decimal strings. */
export type GroupJson = Omit<AnomalyGroup, 'startingAt' | 'endingAt'> & { startingAt: string; endingAt: string };

export interface GroupTrackerState {
  options: GroupTrackerOptions;
  open: GroupJson[];
  closed: GroupJson[];
}

const toJson = (g: AnomalyGroup): GroupJson => ({
  ...g,
  startingAt: g.startingAt.toString(),
  endingAt: g.endingAt.toString(),
});
const fromJson = (g: GroupJson): AnomalyGroup => ({
  ...g,
  startingAt: BigInt(g.startingAt),
  endingAt: BigInt(g.endingAt),
});

export class GroupTracker {
  private readonly open = new Map<string, AnomalyGroup>();
  private readonly closed: AnomalyGroup[] = [];

  constructor(private readonly options: GroupTrackerOptions) {}

  static fromJSON(state: GroupTrackerState): GroupTracker {
    const tracker = new GroupTracker(state.options);
    for (const g of state.open) {
      tracker.open.set(g.entity, fromJson(g));
    }
    for (const g of state.closed) {
      tracker.closed.push(fromJson(g));
    }
    return tracker;
  }

  toJSON(): GroupTrackerState {
    return { options: { ...this.options }, open: [...this.open.values()].map(toJson), closed: this.closed.map(toJson) };
  }

  /**
   * Takes a scored bucket and its tuples; returns the group id of each anomalous entity so records can carry it.
   */
  process(input: BucketInput, result: BucketResult): Map<string, string> {
    const { bucketSpanMs, threshold } = this.options;
    const strongest = new Map<string, { score: number; text: string }>();
    for (const r of result.records) {
      if (r.score < threshold) {
        continue;
      }
      const seen = strongest.get(r.entity);
      if (!seen || r.score > seen.score) {
        strongest.set(r.entity, { score: r.score, text: r.explanation.text });
      }
    }
    // A gap of one bucket without anomaly ends an entity's group.
    for (const [entity, group] of this.open) {
      if (!strongest.has(entity) || group.end < input.start) {
        group.open = false;
        this.closed.push(group);
        this.open.delete(entity);
      }
    }
    if (strongest.size === 0) {
      return new Map();
    }

    const stats = this.entityStats(input, strongest);
    const ids = new Map<string, string>();
    for (const [entity, best] of strongest) {
      const s = stats.get(entity)!;
      let group = this.open.get(entity);
      if (!group) {
        group = {
          id: groupId(this.options.detectorKey, entity, input.start),
          entity,
          start: input.start,
          end: input.start + bucketSpanMs,
          startingAt: s.minId,
          endingAt: s.maxId,
          maxScore: 0,
          requests: 0,
          successful: 0,
          unsuccessful: 0,
          explanation: best.text,
          open: true,
        };
        this.open.set(entity, group);
      }
      group.end = input.start + bucketSpanMs;
      if (s.minId < group.startingAt) {
        group.startingAt = s.minId;
      }
      if (s.maxId > group.endingAt) {
        group.endingAt = s.maxId;
      }
      group.requests += s.requests;
      group.successful += s.successful;
      group.unsuccessful += s.requests - s.successful;
      if (best.score > group.maxScore) {
        group.maxScore = best.score;
        group.explanation = best.text;
      }
      ids.set(entity, group.id);
    }
    return ids;
  }

  /**
   * Removes and returns the groups closed so far. A persisted job writes closed groups out as results, so
   * its state (and every snapshot of it) only carries the open ones.
   */
  drainClosed(): AnomalyGroup[] {
    return this.closed.splice(0);
  }

  /** Groups closed so far plus the still-open ones (flagged open), in start order. */
  groups(): AnomalyGroup[] {
    return [...this.closed, ...this.open.values()].sort(
      (a, b) => a.start - b.start || a.entity.localeCompare(b.entity),
    );
  }

  private entityStats(input: BucketInput, wanted: Map<string, unknown>): Map<string, EntityBucket> {
    const stats = new Map<string, EntityBucket>();
    for (const t of input.tuples) {
      const entity = this.options.population ? t.over : t.by;
      if (entity === null || !wanted.has(entity)) {
        continue;
      }
      const s = stats.get(entity);
      if (!s) {
        stats.set(entity, {
          requests: t.count,
          successful: t.successful,
          minId: BigInt(t.minId),
          maxId: BigInt(t.maxId),
        });
      } else {
        s.requests += t.count;
        s.successful += t.successful;
        const minId = BigInt(t.minId);
        const maxId = BigInt(t.maxId);
        if (minId < s.minId) {
          s.minId = minId;
        }
        if (maxId > s.maxId) {
          s.maxId = maxId;
        }
      }
    }
    return stats;
  }
}

/** FNV-1a 64-bit over the group's identity: stable across runs and machines, no crypto dependency. */
export function groupId(detectorKey: string, entity: string, start: number): string {
  const text = `${detectorKey}\u0000${entity}\u0000${start}`;
  let hash = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * prime) & mask;
  }
  return hash.toString(16).padStart(16, '0');
}
