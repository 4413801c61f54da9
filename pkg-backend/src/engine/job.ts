/**
 * An anomaly job (Elastic's analysis_config with several detectors and partition fields): every
 * (detector, partition value) pair has its own model, and each bucket's results meet in one results tree —
 * aggregated level by level as ml-cpp's CHierarchicalResultsAggregator does, normalised per level and key as
 * CHierarchicalResultsNormalizer does. A job of one unpartitioned detector gives the records' probabilities
 * of a plain Detector; its scores differ, since Elastic's tree and normalisers are not Detector's.
 *
 * Influencers (JobSpec.influencers) follow CIndicatorInfluenceCalculator for records and ml-cpp's pivots for
 * influencer results (job/influence.ts, job/pivots.ts); they never change what the models see.
 */
import type { JobMemoryStatus } from '../../../common/resources.ts';
import { DEFAULT_MODEL_MEMORY_LIMIT_BYTES } from '../../../common/limits.ts';
import { aggregateNodes, finalizeProbabilities, shouldWrite } from './job/aggregate.ts';
import { buildHierarchy, isPartition, newNode, type ResultNode, simpleCountLeaf } from './job/hierarchy.ts';
import { entityInfluences, type InfluencerValues, mergeTuples } from './job/influence.ts';
import { type ModelSlotSnapshot, type ModelSlotState, ModelSet, type ObservedSlot } from './job/models.ts';
import { normalizerInput, NormalizerSet, type NormalizerSetState } from './job/normalizers.ts';
import { Pivots } from './job/pivots.ts';
import type {
  InfluencerScore,
  JobBucketInput,
  JobBucketResult,
  JobDetectorSpec,
  JobInfluence,
  JobRecord,
  JobSpec,
  JobTuple,
  PartitionScore,
} from './job/types.ts';
import { resolveSpec, type ResolvedSpec } from './model/config.ts';
import { memoryStatus } from './model/memory.ts';
import { recordOf } from './record.ts';

export type {
  InfluencerScore,
  JobBucketInput,
  JobBucketResult,
  JobDetectorSpec,
  JobInfluence,
  JobRecord,
  JobSpec,
  JobTuple,
  PartitionScore,
} from './job/types.ts';

export interface JobState {
  version: 1;
  spec: JobSpec;
  lastBucket: number | null;
  models: ModelSlotState[];
  /** Tuples of partitions refused a model at the memory limit. */
  refusedTuples: number;
  normalizers: NormalizerSetState;
}

/** JobState as a snapshot is written from: the same JSON text, the models' arrays as columns. */
export type JobSnapshot = Omit<JobState, 'models'> & { models: ModelSlotSnapshot[] };

/** What a leaf of the results tree was made from. */
interface Leaf {
  observed: ObservedSlot;
  index: number;
  /** Influences ≥ the cutoff, strongest first. */
  influences: JobInfluence[];
}

export class AnomalyJob {
  /** Per detector, its spec with the job's span, decay, limit and learning period filled in. */
  readonly resolved: readonly ResolvedSpec[];
  private readonly limitBytes: number;
  private readonly models: ModelSet;
  private readonly normalizers: NormalizerSet;
  private readonly influencerFields: readonly string[];
  private lastBucket: number | null = null;

  constructor(
    readonly spec: JobSpec,
    state?: JobState,
  ) {
    this.resolved = resolveJob(spec);
    this.influencerFields = spec.influencers ?? [];
    this.limitBytes = spec.modelMemoryLimitBytes ?? DEFAULT_MODEL_MEMORY_LIMIT_BYTES;
    const partitionFields = spec.detectors.map((d) => d.partitionField ?? null);
    const normalizerConfig = { bucketLength: spec.bucketSpanSeconds, decayRate: this.resolved[0].decayRate };
    if (state) {
      if (state.version !== 1) {
        throw new Error(`job state version ${String(state.version)} is not supported; expected 1`);
      }
      this.models = ModelSet.fromJSON(
        this.resolved,
        partitionFields,
        this.limitBytes,
        state.models,
        state.refusedTuples,
      );
      this.normalizers = NormalizerSet.fromJSON(normalizerConfig, state.normalizers);
      this.lastBucket = state.lastBucket;
    } else {
      this.models = new ModelSet(this.resolved, partitionFields, this.limitBytes);
      this.normalizers = new NormalizerSet(normalizerConfig);
    }
  }

  static fromJSON(state: JobState): AnomalyJob {
    return new AnomalyJob(state.spec, state);
  }

  toJSON(): JobState {
    return { ...this.snapshotJSON(), ...this.models.toJSON() };
  }

  /** toJSON's state with the models' long arrays as columns: to be written before the job is fed again. */
  snapshotJSON(): JobSnapshot {
    const { models, refusedTuples } = this.models.snapshotJSON();
    return {
      version: 1,
      spec: this.spec,
      lastBucket: this.lastBucket,
      models,
      refusedTuples,
      normalizers: this.normalizers.toJSON(),
    };
  }

  /** Estimated bytes of the job's state: every model plus the normalisers. */
  get memoryBytes(): number {
    return this.models.modelBytes + this.normalizers.memoryBytes;
  }

  /** Elastic's memory status of the job's models together against modelMemoryLimitBytes (see Detector). */
  get memoryStatus(): JobMemoryStatus {
    return memoryStatus(this.models.modelBytes, this.limitBytes);
  }

  /** Tuples not modelled because the job was at its memory limit, since it was created. */
  get limitedTuples(): number {
    return this.models.limitedTuples;
  }

  /** Number of (detector, partition value) models. */
  get modelCount(): number {
    return this.models.size;
  }

  /** Buckets must arrive in strictly increasing time order, with one tuple list per detector. */
  process(bucket: JobBucketInput): JobBucketResult {
    const { start } = bucket;
    if (this.lastBucket !== null && start <= this.lastBucket) {
      throw new Error(`bucket ${new Date(start).toISOString()} is not after the last one processed`);
    }
    if (bucket.detectors.length !== this.resolved.length) {
      throw new Error(
        `bucket ${new Date(start).toISOString()} has tuples for ${bucket.detectors.length} detectors; the job has ${this.resolved.length}`,
      );
    }
    this.lastBucket = start;

    const leaves: Array<ResultNode<Leaf>> = [];
    const entityTuples = new Map<ObservedSlot, Map<string, JobTuple[]>>();
    let largestCount = 0;
    bucket.detectors.forEach((input, d) => {
      let count = 0;
      for (const t of input) {
        count += t.count;
      }
      largestCount = Math.max(largestCount, count);
      const { tuples, values } = mergeTuples(input, this.influencerFields, this.spec.detectors[d]);
      for (const observed of this.models.observe(d, start, tuples)) {
        if (!observed.learning) {
          this.addLeaves(d, observed, values, entityTuples, leaves);
        }
      }
    });
    const eventCount = bucket.eventCount ?? largestCount;
    const learning = this.models.isLearning(start);
    if (leaves.length === 0) {
      return {
        time: start,
        rawScore: 0,
        probability: 1,
        score: 0,
        learning,
        eventCount,
        records: [],
        partitions: [],
        influencers: [],
      };
    }

    // ml-cpp's order: aggregate the tree, then the pivots from its aggregates, then finalize both.
    const tree = buildHierarchy<Leaf>([simpleCountLeaf<Leaf>(), ...leaves]);
    aggregateNodes(tree.nodes);
    const pivots = this.influencerFields.length > 0 ? new Pivots(tree, (n) => n.leaf?.influences ?? []) : null;
    pivots?.aggregate();
    finalizeProbabilities(tree.nodes);
    if (pivots) {
      finalizeProbabilities(pivots.pivots);
      finalizeProbabilities(pivots.roots);
    }
    this.normalizers.normalize(tree, pivots ?? undefined);

    const written = new Map<ResultNode<Leaf>, boolean>();
    const lookup = pivots ?? undefined;
    const records: JobRecord[] = [];
    const partitions: PartitionScore[] = [];
    for (const node of tree.nodes) {
      if (node.spec.simpleCount || !shouldWrite(node, written, lookup)) {
        continue;
      }
      if (node.leaf) {
        records.push(this.toRecord(start, node, node.leaf, entityTuples));
      }
      if (isPartition(node)) {
        partitions.push({
          partitionField: node.spec.partitionField ?? '',
          partition: node.spec.partitionValue ?? '',
          probability: node.probability,
          rawScore: node.rawScore,
          score: node.normalizedScore,
        });
      }
    }
    records.sort((a, b) => b.score - a.score || a.probability - b.probability);
    const influencers: InfluencerScore[] = [];
    let score = tree.root!.normalizedScore;
    if (pivots) {
      for (const pivot of pivots.pivots) {
        if (shouldWrite(pivot, written, pivots)) {
          influencers.push({
            field: pivot.spec.personField!,
            value: pivot.spec.personValue!,
            probability: pivot.probability,
            rawScore: pivot.rawScore,
            score: pivot.normalizedScore,
          });
        }
      }
      influencers.sort(
        (a, b) =>
          b.score - a.score ||
          a.probability - b.probability ||
          (a.field < b.field ? -1 : a.field > b.field ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
      );
      for (const root of pivots.roots) {
        score = Math.max(score, root.normalizedScore);
      }
    }
    const root = tree.root!;
    return {
      time: start,
      rawScore: root.rawScore,
      probability: root.probability,
      score,
      learning,
      eventCount,
      records,
      partitions,
      influencers,
    };
  }

  private addLeaves(
    d: number,
    observed: ObservedSlot,
    values: ReadonlyMap<JobTuple, InfluencerValues>,
    entityTuples: Map<ObservedSlot, Map<string, JobTuple[]>>,
    leaves: Array<ResultNode<Leaf>>,
  ): void {
    const spec = this.spec.detectors[d];
    const { overField, byField } = this.resolved[d];
    const { model, partition } = observed.slot;
    const byEntity = values.size > 0 ? this.tuplesByEntity(observed, entityTuples) : null;
    for (let i = 0; i < observed.entities; i++) {
      const leafSpec = {
        detector: d,
        simpleCount: false,
        population: overField !== null,
        partitionField: spec.partitionField ?? '',
        partitionValue: partition ?? '',
        personField: overField ?? byField,
        personValue: model.entity(i),
        functionName: spec.function,
      };
      const influences = byEntity
        ? entityInfluences(observed, i, byEntity.get(leafSpec.personValue) ?? [], values, this.influencerFields)
        : [];
      leaves.push(newNode(leafSpec, model.probability(i), { observed, index: i, influences }));
    }
  }

  private tuplesByEntity(
    observed: ObservedSlot,
    entityTuples: Map<ObservedSlot, Map<string, JobTuple[]>>,
  ): Map<string, JobTuple[]> {
    let byEntity = entityTuples.get(observed);
    if (!byEntity) {
      byEntity = groupByEntity(observed.tuples, this.resolved[observed.slot.detector].overField !== null);
      entityTuples.set(observed, byEntity);
    }
    return byEntity;
  }

  private toRecord(
    time: number,
    node: ResultNode<Leaf>,
    leaf: Leaf,
    entityTuples: Map<ObservedSlot, Map<string, JobTuple[]>>,
  ): JobRecord {
    const { observed, index } = leaf;
    const d = observed.slot.detector;
    const resolved = this.resolved[d];
    const o = observed.slot.model.observation(index);
    const byEntity = this.tuplesByEntity(observed, entityTuples);
    return {
      ...recordOf(time, o, normalizerInput(node), node.normalizedScore, resolved),
      detector: d,
      function: resolved.function,
      partitionField: this.spec.detectors[d].partitionField ?? null,
      partition: observed.slot.partition,
      tuples: byEntity.get(o.entity) ?? [],
      influencers: leaf.influences,
    };
  }
}

function groupByEntity(tuples: readonly JobTuple[], population: boolean): Map<string, JobTuple[]> {
  const groups = new Map<string, JobTuple[]>();
  for (const t of tuples) {
    const entity = population ? t.over : t.by;
    if (entity === null) {
      continue;
    }
    const group = groups.get(entity);
    if (group) {
      group.push(t);
    } else {
      groups.set(entity, [t]);
    }
  }
  return groups;
}

/** Checks the job and resolves each detector with the job-wide settings, naming the detector that is wrong. */
function resolveJob(spec: JobSpec): ResolvedSpec[] {
  if (!Array.isArray(spec.detectors) || spec.detectors.length === 0) {
    throw new Error('a job needs at least one detector');
  }
  if (spec.influencers !== undefined) {
    if (!Array.isArray(spec.influencers) || spec.influencers.some((f) => typeof f !== 'string' || f === '')) {
      throw new Error('influencers must be a list of non-empty field names');
    }
    if (new Set(spec.influencers).size !== spec.influencers.length) {
      throw new Error(`influencers must be different fields, got ${spec.influencers.join(', ')}`);
    }
  }
  return spec.detectors.map((detector: JobDetectorSpec, i) => {
    const where = `detectors[${i}] (${detector.function} by ${detector.byField})`;
    const { partitionField, overField, byField } = detector;
    if (partitionField !== undefined && (typeof partitionField !== 'string' || partitionField === '')) {
      throw new Error(`${where}: partitionField must be a non-empty field name when given`);
    }
    const fields = [byField, overField, partitionField].filter((f) => f !== undefined && f !== '');
    if (new Set(fields).size !== fields.length) {
      throw new Error(`${where}: by, over and partition fields must be different fields, got ${fields.join(', ')}`);
    }
    try {
      return resolveSpec({
        function: detector.function,
        byField,
        overField,
        bucketSpanSeconds: spec.bucketSpanSeconds,
        learningBuckets: spec.learningBuckets,
        allowShortLearning: spec.allowShortLearning,
        decayRate: spec.decayRate,
        modelMemoryLimitBytes: spec.modelMemoryLimitBytes,
      });
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
    }
  });
}
