/**
 * Probabilities and raw scores up the results tree (ml-cpp CHierarchicalResultsAggregator), then the
 * probability finalizer and the rule that decides which results are written (CHierarchicalResultsVisitor::
 * shouldWriteResult).
 *
 * A node's children are split by aggregation style and by (detector, partition value [, person value for
 * populations]); each subset is combined in its style — attributes {0.5, 0.5, 1..5} for a rare-in-time
 * detector's values, people {0, 1, 1, 1} otherwise — several subsets of one detector then as people, and the
 * detectors in detector style {0.5, 0.5, 1, 1}, which gives the node its raw score.
 *
 * Not done: Elastic's detector equaliser (CDetectorEqualizer) corrects each detector's aggregated p < 0.05
 * towards the median, across detectors, of the same quantile of their past probabilities, once every
 * detector has enough history at that level. We combine the detectors' probabilities as they are, so a
 * detector that often yields small probabilities weighs more in a bucket's score than it would in Elastic.
 * Every result below the point where several detectors meet is unaffected.
 */
import {
  ATTRIBUTES_AGGREGATION,
  computeScore,
  DBL_MIN,
  DETECTORS_AGGREGATION,
  inverseAnomalyScore,
  MAX_ANOMALOUS_PROBABILITY,
  PEOPLE_AGGREGATION,
  rawAnomalyScore,
  type ScoreConfig,
} from '../maths/index.ts';
import { RECORD_PROBABILITY_SLACK } from '../model/config.ts';
import {
  ATTRIBUTES_STYLE,
  isAttribute,
  isLeaf,
  isPartition,
  isPerson,
  isRoot,
  isWrittenType,
  PEOPLE_STYLE,
  type ResultNode,
  type ResultsTree,
} from './hierarchy.ts';

const STYLES: readonly ScoreConfig[] = [
  { ...PEOPLE_AGGREGATION, maxAnomalousP: MAX_ANOMALOUS_PROBABILITY },
  { ...ATTRIBUTES_AGGREGATION, maxAnomalousP: MAX_ANOMALOUS_PROBABILITY },
];
const DETECTOR_STYLE: ScoreConfig = { ...DETECTORS_AGGREGATION, maxAnomalousP: MAX_ANOMALOUS_PROBABILITY };
/** The order subsets are combined in: people, then attributes. */
const STYLE_ORDER: readonly number[] = [PEOPLE_STYLE, ATTRIBUTES_STYLE];
/** Mixed detectors among a node's children (ml-cpp's −2). */
const MIXED_DETECTORS = -2;
const NO_DETECTOR = -3;

function truncate(p: number): number {
  return Math.min(Math.max(p, DBL_MIN), 1);
}

/** Aggregates every node, children first, and finalizes the probabilities of the aggregates. */
export function aggregateTree<L>(tree: ResultsTree<L>): void {
  aggregateNodes(tree.nodes);
  finalizeProbabilities(tree.nodes);
}

/**
 * How a pivot (an influencer value's node) weighs a child: the child's influence for the pivot's value, whose
 * power of the child's p the pivot aggregates; undefined when the child has none.
 */
export type PivotWeight<L> = (child: ResultNode<L>, pivot: ResultNode<L>) => number | undefined;

/**
 * CHierarchicalResultsAggregator's visit over `nodes`, children first. With `pivotWeight` the nodes are
 * pivots and pivot roots: a pivot combines its children's p^influence, a pivot root its pivots as they are,
 * both starting from people style.
 */
export function aggregateNodes<L>(nodes: ReadonlyArray<ResultNode<L>>, pivotWeight?: PivotWeight<L>): void {
  for (const node of nodes) {
    if (isLeaf(node)) {
      aggregateLeaf(node);
    } else {
      aggregateNode(node, pivotWeight);
    }
  }
}

/**
 * CHierarchicalResultsProbabilityFinalizer: the probability written is the one the raw score stands for. A
 * leaf's raw score is S(p) itself, whose inverse gives back p (up to rounding), so leaves keep theirs. Runs
 * after the pivots were aggregated, which read the aggregates' own probabilities.
 */
export function finalizeProbabilities<L>(nodes: ReadonlyArray<ResultNode<L>>): void {
  for (const node of nodes) {
    if (!isLeaf(node) && node.rawScore > 0) {
      node.probability = inverseAnomalyScore(node.rawScore);
    }
  }
}

function aggregateLeaf<L>(node: ResultNode<L>): void {
  if (node.spec.simpleCount) {
    return;
  }
  const p = truncate(Number.isFinite(node.probability) ? node.probability : 1);
  node.probability = p;
  node.style = isAttribute(node) ? ATTRIBUTES_STYLE : PEOPLE_STYLE;
  node.smallestChildProbability = p;
  node.smallestDescendantProbability = p;
  node.rawScore = rawAnomalyScore(p);
}

interface Subset {
  style: number;
  detector: number;
  probabilities: number[];
}

function aggregateNode<L>(node: ResultNode<L>, pivotWeight?: PivotWeight<L>): void {
  const pivot = pivotWeight !== undefined;
  // partitionChildProbabilities: subsets by style, detector and the children's partition (and person) keys.
  // Keyed by detector and style, then subsetKey: no key string per child, and none at all for a child in the
  // same subset as the one before it (siblings mostly are).
  const subsets: Subset[] = [];
  const subsetIndex = new Map<number, Map<string, Subset>>();
  let last: Subset | null = null;
  let lastChild: ResultNode<L> | null = null;
  let haveResult = false;
  let minChild = Infinity;
  let minDescendant = Infinity;
  for (const child of node.children) {
    if (child.spec.simpleCount) {
      continue;
    }
    let p = child.probability;
    if (pivot && !isRoot(node)) {
      const influence = pivotWeight(child, node);
      if (influence === undefined) {
        continue;
      }
      p = influence === 1 ? p : Math.exp(influence * Math.log(p));
    }
    haveResult = true;
    minChild = Math.min(minChild, p);
    if (pivot || isWrittenType(child)) {
      minDescendant = Math.min(minDescendant, p);
    }
    minDescendant = Math.min(minDescendant, child.smallestDescendantProbability);
    if (child.style !== PEOPLE_STYLE && child.style !== ATTRIBUTES_STYLE) {
      continue;
    }
    if (last !== null && lastChild !== null && sameSubset(child, lastChild)) {
      last.probabilities.push(p);
      continue;
    }
    const outer = child.detector * 2 + child.style;
    let inner = subsetIndex.get(outer);
    if (!inner) {
      inner = new Map();
      subsetIndex.set(outer, inner);
    }
    const key = subsetKey(child);
    let subset = inner.get(key);
    if (subset) {
      subset.probabilities.push(p);
    } else {
      subset = { style: child.style, detector: child.detector, probabilities: [p] };
      inner.set(key, subset);
      subsets.push(subset);
    }
    last = subset;
    lastChild = child;
  }
  if (!haveResult) {
    return;
  }
  node.smallestChildProbability = truncate(minChild);
  node.smallestDescendantProbability = truncate(minDescendant);

  // detectorProbabilities: each subset in its own style, a detector's subsets as people.
  const fallback = PEOPLE_STYLE;
  let detector = NO_DETECTOR;
  let aggregation = pivot || isPartition(node) || (node.spec.population && isPerson(node)) ? fallback : -1;
  const byDetector = new Map<number, number[]>();
  for (const style of STYLE_ORDER) {
    for (const subset of subsets) {
      if (subset.style !== style) {
        continue;
      }
      const ps = subset.probabilities;
      let p = ps.length === 1 ? ps[0] : computeScore(STYLES[style], ps).probability;
      if (!Number.isFinite(p)) {
        p = 1;
      }
      const list = byDetector.get(subset.detector);
      if (list) {
        list.push(p);
      } else {
        byDetector.set(subset.detector, [p]);
      }
      detector = detector === NO_DETECTOR ? subset.detector : detector === subset.detector ? detector : MIXED_DETECTORS;
      aggregation = aggregation === -1 ? style : aggregation === style ? style : fallback;
    }
  }
  const detectorPs: number[] = [];
  const detectors = byDetector.size === 1 ? byDetector.keys() : [...byDetector.keys()].sort((a, b) => a - b);
  for (const d of detectors) {
    const ps = byDetector.get(d)!;
    detectorPs.push(ps.length === 1 ? ps[0] : computeScore(STYLES[PEOPLE_STYLE], ps).probability);
  }
  const { score, probability } = computeScore(DETECTOR_STYLE, detectorPs);
  node.rawScore = score;
  node.probability = probability;
  node.detector = detector;
  node.style = aggregation;
}

/** Sufficient for equal subset keys (style, detector, subsetKey), without building the key. */
function sameSubset<L>(a: ResultNode<L>, b: ResultNode<L>): boolean {
  if (a.style !== b.style || a.detector !== b.detector || a.spec.population !== b.spec.population) {
    return false;
  }
  if ((a.spec.partitionValue ?? '') !== (b.spec.partitionValue ?? '')) {
    return false;
  }
  return !a.spec.population || (a.spec.personValue ?? '') === (b.spec.personValue ?? '');
}

/** CHierarchicalResultsAggregator::hash: children of different partitions (or population persons) stay apart. */
function subsetKey<L>(node: ResultNode<L>): string {
  const partition = node.spec.partitionValue ?? '';
  return node.spec.population ? `${partition}\u0000${node.spec.personValue ?? ''}` : partition;
}

/** What the write rule needs to know of the bucket's influencers (absent for a job without them). */
export interface InfluencerLookup<L> {
  /** The influences a node of the results tree carries, its own or propagated to it. */
  influencesOf(node: ResultNode<L>): ReadonlyArray<{ field: string; value: string }>;
  /** The pivot of an influencer value, if the bucket has one. */
  pivot(field: string, value: string): ResultNode<L> | undefined;
  /** True for pivots and pivot roots. */
  isPivot(node: ResultNode<L>): boolean;
}

/**
 * Results with min(p, smallest descendant p) < 0.035 at a level Elastic writes (leaf, partition, root, and
 * every pivot), and those within 1.2 × the smallest descendant p of a written ancestor or of a written
 * influencer of theirs, so a written aggregate or influencer always leads to something written beneath it.
 */
export function shouldWrite<L>(
  node: ResultNode<L>,
  memo: Map<ResultNode<L>, boolean>,
  influencers?: InfluencerLookup<L>,
): boolean {
  const known = memo.get(node);
  if (known !== undefined) {
    return known;
  }
  const result = decideWrite(node, memo, influencers);
  memo.set(node, result);
  return result;
}

function decideWrite<L>(
  node: ResultNode<L>,
  memo: Map<ResultNode<L>, boolean>,
  influencers: InfluencerLookup<L> | undefined,
): boolean {
  const pivot = influencers?.isPivot(node) ?? false;
  const p = Math.min(node.probability, node.smallestDescendantProbability);
  if (p < MAX_ANOMALOUS_PROBABILITY && (pivot || isWrittenType(node))) {
    return true;
  }
  if (isRoot(node)) {
    return false;
  }
  let ancestor = node.parent;
  while (ancestor && !isWrittenType(ancestor)) {
    ancestor = ancestor.parent;
  }
  if (
    ancestor !== null &&
    p <= RECORD_PROBABILITY_SLACK * ancestor.smallestDescendantProbability &&
    shouldWrite(ancestor, memo, influencers)
  ) {
    return true;
  }
  if (!influencers) {
    return false;
  }
  for (const { field, value } of influencers.influencesOf(node)) {
    const influencer = influencers.pivot(field, value);
    if (
      influencer &&
      p <= RECORD_PROBABILITY_SLACK * influencer.smallestDescendantProbability &&
      shouldWrite(influencer, memo, influencers)
    ) {
      return true;
    }
  }
  return false;
}
