/**
 * The job's 0–100 normalisers, one per level and key (ml-cpp CHierarchicalResultsNormalizer over
 * CHierarchicalResultsLevelSet): the bucket (one), each influencer field for its pivot root (influencer
 * bucket) and for its values' pivots (influencer), each partition field name, each (partition field, person
 * field) and each (partition field, person field, function). All values of a partition field share a
 * normaliser's quantiles. A node updates every level it belongs to and is scored by the lowest of them.
 *
 * Each normaliser's maximum score (its C2 cap) is kept per (partition field, partition value, person field,
 * person value) scope, unless the normaliser has ever scored a population result: then one maximum is shared,
 * as ml-cpp's CMaximumScoreScope does for members of a population.
 */
import { MAX_ANOMALOUS_PROBABILITY, rawAnomalyScore, ScoreNormalizer } from '../maths/index.ts';
import type { NormalizerConfig, ScoreNormalizerState } from '../maths/normalizer.ts';
import { isLeaf, isPartition, isPerson, isRoot, type ResultNode, type ResultsTree } from './hierarchy.ts';

/** The bucket's influencer pivots as the normalisers see them. */
export interface PivotNodes<L> {
  pivots: ReadonlyArray<ResultNode<L>>;
  roots: ReadonlyArray<ResultNode<L>>;
  isPopulation(node: ResultNode<L>): boolean;
}

interface Level {
  normalizer: ScoreNormalizer;
  /** ml-cpp's isForMembersOfPopulation: sticky once a population result was seen. */
  population: boolean;
}

export interface NormalizerSetState {
  /** [level key, population, normaliser state], keys as `level\u0000name…`. */
  levels: Array<[string, boolean, ScoreNormalizerState]>;
}

const SEP = '\u0000';

function d(s: string | null): string {
  return s ?? '';
}

/**
 * The score a node's normalisers see: S(p) of the node's (finalized) probability, 0 above the largest
 * anomalous probability — ml-cpp normalises the probability's score, not the raw aggregate.
 */
export function normalizerInput<L>(node: ResultNode<L>): number {
  return node.probability > MAX_ANOMALOUS_PROBABILITY ? 0 : rawAnomalyScore(node.probability);
}

export class NormalizerSet {
  private readonly levels = new Map<string, Level>();
  /**
   * The levels again by the parts of their keys (kind, then each field), so a node finds its levels without
   * building key strings every bucket; `levels` stays the one owner, in creation order.
   */
  private readonly byParts = new Map<string, PartsIndex>();

  constructor(private readonly config: NormalizerConfig) {}

  static fromJSON(config: NormalizerConfig, state: NormalizerSetState): NormalizerSet {
    const set = new NormalizerSet(config);
    for (const [key, population, normalizer] of state.levels) {
      set.levels.set(key, { normalizer: ScoreNormalizer.fromJSON(normalizer), population });
    }
    return set;
  }

  toJSON(): NormalizerSetState {
    return {
      levels: [...this.levels].map(([key, level]) => [key, level.population, level.normalizer.toJSON()]),
    };
  }

  get memoryBytes(): number {
    let bytes = 0;
    for (const level of this.levels.values()) {
      bytes += level.normalizer.memoryBytes;
    }
    return bytes;
  }

  /** Number of normalisers (levels × keys) the job holds. */
  get size(): number {
    return this.levels.size;
  }

  /**
   * One bucket: settings, ageing, quantile updates, then every node's normalised score — the order of
   * CAnomalyJob::updateNormalizerAndNormalizeResults. The simple count is never normalised.
   */
  normalize<L>(tree: ResultsTree<L>, pivots?: PivotNodes<L>): void {
    const inTree = tree.nodes.filter((n) => !n.spec.simpleCount);
    const scored = pivots ? [...inTree, ...pivots.pivots, ...pivots.roots] : inTree;
    const levelsOf = scored.map((n, i) => (i < inTree.length ? this.levelsOf(n) : [this.pivotLevel(n)]));
    scored.forEach((node, i) => {
      // Aggregates are populations when any child is (see buildHierarchy), which is what ml-cpp's
      // isMemberOfPopulation finds by walking the descendants.
      const population = i < inTree.length ? node.spec.population : pivots!.isPopulation(node);
      for (const level of levelsOf[i]) {
        level.population ||= population;
      }
    });
    for (const level of this.levels.values()) {
      level.normalizer.age(1);
    }
    const inputs = scored.map(normalizerInput);
    const scopes = scored.map(scopeOf);
    scored.forEach((_, i) => {
      for (const level of levelsOf[i]) {
        level.normalizer.update(inputs[i], level.population ? '' : scopes[i]);
      }
    });
    scored.forEach((node, i) => {
      const lowest = levelsOf[i][0];
      node.normalizedScore =
        lowest && inputs[i] > 0 ? lowest.normalizer.normalize(inputs[i], lowest.population ? '' : scopes[i]) : 0;
    });
  }

  /** A pivot root's influencer bucket level, a pivot's influencer level: both per influencer field. */
  private pivotLevel<L>(node: ResultNode<L>): Level {
    return this.levelOfParts(node.parent === null ? 'influencerBucket' : 'influencer', d(node.spec.personField));
  }

  /** CHierarchicalResultsLevelSet::elements: the node's levels, lowest first. */
  private levelsOf<L>(node: ResultNode<L>): Level[] {
    const s = node.spec;
    const partition = d(s.partitionField);
    const levels: Level[] = [];
    // The leaf level's key ends in the value field, which rare and freq_rare do not have.
    if (isLeaf(node)) {
      levels.push(this.levelOfParts('leaf', partition, d(s.personField), d(s.functionName), ''));
    }
    if (isPerson(node)) {
      levels.push(this.levelOfParts('person', partition, d(s.personField)));
    }
    if (isPartition(node)) {
      levels.push(this.levelOfParts('partition', partition));
    }
    if (isRoot(node)) {
      levels.push(this.level('bucket'));
    }
    return levels;
  }

  /** The level whose key is `kind` and `parts` joined by SEP. */
  private levelOfParts(kind: string, ...parts: string[]): Level {
    let index: PartsIndex | undefined = this.byParts.get(kind);
    if (!index) {
      index = new Map();
      this.byParts.set(kind, index);
    }
    for (let i = 0; i < parts.length - 1; i++) {
      let next: PartsIndex | Level | undefined = index.get(parts[i]);
      if (!(next instanceof Map)) {
        next = new Map();
        index.set(parts[i], next);
      }
      index = next;
    }
    const lastPart = parts[parts.length - 1];
    const known = index.get(lastPart);
    if (known && !(known instanceof Map)) {
      return known;
    }
    const level = this.level([kind, ...parts].join(SEP));
    index.set(lastPart, level);
    return level;
  }

  private level(key: string): Level {
    let level = this.levels.get(key);
    if (!level) {
      level = { normalizer: new ScoreNormalizer(this.config), population: false };
      this.levels.set(key, level);
    }
    return level;
  }
}

/** Nested maps of key parts, ending in the level: each depth is used by one kind of key only. */
type PartsIndex = Map<string, PartsIndex | Level>;

/** The maximum-score scope of a node in a normaliser that has not seen population results. */
function scopeOf<L>(node: ResultNode<L>): string {
  const s = node.spec;
  return `${d(s.partitionField)}${SEP}${d(s.partitionValue)}${SEP}${d(s.personField)}${SEP}${d(s.personValue)}`;
}
