/**
 * Deterministic results for the state store tests: any range of buckets, chunked any way, always yields the
 * same rows, so a store's contents can be compared exactly with what an uninterrupted writer would hold.
 * Values are chosen to be awkward: doubles without short decimal forms, extremes, and text that needs
 * escaping in array literals and JSON.
 */
import type { Chunk, GroupWrite, StoredBucket } from '../../pkg-backend/src/store/state/index.ts';
import type { RecordResult } from '../../pkg-backend/src/engine/types.ts';

export const SPAN_MS = 60_000;
export const START = Date.UTC(2026, 0, 1);
/** Buckets per group block: group b covers buckets [10b, 10b + 7). */
const BLOCK = 10;
const GROUP_LENGTH = 7;

const AWKWARD = [
  0.1 + 0.2,
  1 / 3,
  Math.PI,
  1e-300,
  5e-324,
  Number.MAX_VALUE,
  -0.5,
  2 ** 53 - 1,
  123456.789e-10,
  Number.EPSILON,
];
const ENTITIES = ['10.0.0.1', 'a"b\\c,{d}', 'NULL', '', 'ümlaut 🙂', "it's"];

const index = (t: number) => Math.round((t - START) / SPAN_MS);

export function bucketAt(t: number): StoredBucket {
  const i = index(t);
  return {
    time: t,
    rawScore: AWKWARD[i % AWKWARD.length] * (i + 1),
    score: ((i * 37) % 101) + AWKWARD[(i + 3) % AWKWARD.length] / 7,
    learning: i < 20,
    eventCount: 1000 + i * 13,
  };
}

export function recordsAt(t: number, perBucket = 3): RecordResult[] {
  const i = index(t);
  const out: RecordResult[] = [];
  for (let k = 0; k < perBucket; k++) {
    const population = (i + k) % 2 === 0;
    const entity = `${ENTITIES[(i + k) % ENTITIES.length]}#${k}`;
    const by = `state ${(i * 7 + k) % 5}`;
    const record: RecordResult = {
      time: t,
      by,
      over: population ? entity : null,
      entity,
      probability: AWKWARD[(i + k) % AWKWARD.length] / 1e3,
      rawScore: AWKWARD[(i + 2 * k) % AWKWARD.length],
      score: 100 - k - AWKWARD[k % AWKWARD.length] / 10,
      typical: 1 / (i + k + 3),
      actual: (i + k) % 4,
      count: i * 3 + k,
      causes: [
        { by, probability: AWKWARD[(i + k + 1) % AWKWARD.length], count: k + 1 },
        { by: `${by} "quoted" \\ back`, probability: 1e-17 * (k + 1), count: 0 },
      ],
      explanation: {
        firstOccurrence: k === 0,
        relativeRarity: AWKWARD[(i + 5) % AWKWARD.length],
        text: `first "${by}" for ${entity}\n✓`,
      },
    };
    if (k === 0 && i % BLOCK < GROUP_LENGTH) {
      record.groupId = groupIdOf(Math.floor(i / BLOCK));
    }
    out.push(record);
  }
  return out;
}

const groupIdOf = (block: number) => `g${block.toString(16).padStart(16, '0')}`;

/** Group of block b as a writer that has processed everything before `until` knows it. */
export function groupAt(block: number, until: number): GroupWrite | undefined {
  const start = START + block * BLOCK * SPAN_MS;
  if (start >= until) {
    return undefined;
  }
  const full = start + GROUP_LENGTH * SPAN_MS;
  const end = Math.min(full, until);
  const buckets = Math.round((end - start) / SPAN_MS);
  // Closed once a bucket after its last one has been processed.
  const open = until <= full;
  return {
    id: groupIdOf(block),
    entity: `${ENTITIES[block % ENTITIES.length]}#0`,
    start,
    end,
    startingAt: 9_007_199_254_740_993n + BigInt(block * 1000),
    endingAt: 9_007_199_254_740_993n + BigInt(block * 1000 + buckets * 10),
    maxScore: 50 + buckets + AWKWARD[block % AWKWARD.length] / 3,
    requests: buckets * 11,
    successful: buckets * 7,
    unsuccessful: buckets * 4,
    explanation: `block ${block}: "${ENTITIES[block % ENTITIES.length]}"`,
    open,
  };
}

/** Every group as known after processing [START, until). */
export function groupsUntil(until: number): GroupWrite[] {
  const out: GroupWrite[] = [];
  for (let b = 0; ; b++) {
    const g = groupAt(b, until);
    if (!g) {
      break;
    }
    out.push(g);
  }
  return out;
}

export function snapshotState(until: number): { until: number; buckets: number; weights: number[]; ids: string[] } {
  const n = index(until);
  return { until, buckets: n, weights: AWKWARD.map((w) => w / (n + 1)), ids: [`${2n ** 63n - 1n}`] };
}

/** The chunk a writer commits after processing [from, to). */
export function chunkFor(from: number, to: number, perBucket = 3): Chunk {
  const buckets: StoredBucket[] = [];
  const records: RecordResult[] = [];
  for (let t = from; t < to; t += SPAN_MS) {
    buckets.push(bucketAt(t));
    records.push(...recordsAt(t, perBucket));
  }
  // Groups the chunk created or changed: those overlapping it, and the one it closed.
  const groups = groupsUntil(to).filter((g) => g.end > from - SPAN_MS);
  return {
    buckets,
    records,
    groups,
    snapshot: { until: to, formatVersion: 1, state: snapshotState(to) },
    processedUntil: to,
    idWatermark: BigInt(index(to)) * 1000n,
    status: 'backfilling',
    historyStart: START,
    learningUntil: START + 20 * SPAN_MS,
  };
}

/** What an uninterrupted writer holds after processing [START, until). */
export function expectedUntil(
  until: number,
  perBucket = 3,
): { buckets: StoredBucket[]; records: RecordResult[]; groups: GroupWrite[] } {
  const c = chunkFor(START, until, perBucket);
  return { buckets: c.buckets, records: c.records, groups: groupsUntil(until) };
}

export const minutes = (n: number) => START + n * SPAN_MS;
