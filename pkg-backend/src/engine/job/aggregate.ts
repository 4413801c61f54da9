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
/** Mixed detectors among a node's children (ml-cpp's −2). */
const MIXED_DETECTORS = -2;
const NO_DETECTOR = -3;

function truncate(p: number): number {
  return Math.min(Math.max(p, DBL_MIN), 1);
}

/** Aggregates every node, children first, and finalizes the probabilities of the aggregates. */
export function aggregateTree<L>(tree: ResultsTree<L>): void {
  for (const node of tree.nodes) {
    if (isLeaf(node)) {
      aggregateLeaf(node);
    } else {
      aggregateNode(node);
    }
  }
  // CHierarchicalResultsProbabilityFinalizer: the probability written is the one the raw score stands for.
  // A leaf's raw score is S(p) itself, whose inverse gives back p (up to rounding), so leaves keep theirs.
  for (const node of tree.nodes) {
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

function aggregateNode<L>(node: ResultNode<L>): void {
  // partitionChildProbabilities: subsets by style, detector and the children's partition (and person) keys.
  const subsets = new Map<string, Subset>();
  let haveResult = false;
  let minChild = Infinity;
  let minDescendant = Infinity;
  for (const child of node.children) {
    if (child.spec.simpleCount) {
      continue;
    }
    haveResult = true;
    const p = child.probability;
    minChild = Math.min(minChild, p);
    if (isWrittenType(child)) {
      minDescendant = Math.min(minDescendant, p);
    }
    minDescendant = Math.min(minDescendant, child.smallestDescendantProbability);
    if (child.style !== PEOPLE_STYLE && child.style !== ATTRIBUTES_STYLE) {
      continue;
    }
    const key = `${child.style}\u0000${child.detector}\u0000${subsetKey(child)}`;
    const subset = subsets.get(key);
    if (subset) {
      subset.probabilities.push(p);
    } else {
      subsets.set(key, { style: child.style, detector: child.detector, probabilities: [p] });
    }
  }
  if (!haveResult) {
    return;
  }
  node.smallestChildProbability = truncate(minChild);
  node.smallestDescendantProbability = truncate(minDescendant);

  // detectorProbabilities: each subset in its own style, a detector's subsets as people.
  const fallback = PEOPLE_STYLE;
  let detector = NO_DETECTOR;
  let aggregation = isPartition(node) || (node.spec.population && isPerson(node)) ? fallback : -1;
  const byDetector = new Map<number, number[]>();
  for (const style of [PEOPLE_STYLE, ATTRIBUTES_STYLE]) {
    for (const subset of subsets.values()) {
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
  for (const d of [...byDetector.keys()].sort((a, b) => a - b)) {
    const ps = byDetector.get(d)!;
    detectorPs.push(ps.length === 1 ? ps[0] : computeScore(STYLES[PEOPLE_STYLE], ps).probability);
  }
  const { score, probability } = computeScore(DETECTOR_STYLE, detectorPs);
  node.rawScore = score;
  node.probability = probability;
  node.detector = detector;
  node.style = aggregation;
}

/** CHierarchicalResultsAggregator::hash: children of different partitions (or population persons) stay apart. */
function subsetKey<L>(node: ResultNode<L>): string {
  const partition = node.spec.partitionValue ?? '';
  return node.spec.population ? `${partition}\u0000${node.spec.personValue ?? ''}` : partition;
}

/**
 * Results with min(p, smallest descendant p) < 0.035 at a level Elastic writes (leaf, partition, root), and
 * those within 1.2 × the smallest descendant p of a written ancestor, so a written aggregate always leads
 * to something written beneath it.
 */
export function shouldWrite<L>(node: ResultNode<L>, memo: Map<ResultNode<L>, boolean>): boolean {
  const known = memo.get(node);
  if (known !== undefined) {
    return known;
  }
  const result = decideWrite(node, memo);
  memo.set(node, result);
  return result;
}

function decideWrite<L>(node: ResultNode<L>, memo: Map<ResultNode<L>, boolean>): boolean {
  const p = Math.min(node.probability, node.smallestDescendantProbability);
  if (p < MAX_ANOMALOUS_PROBABILITY && isWrittenType(node)) {
    return true;
  }
  if (isRoot(node)) {
    return false;
  }
  let ancestor = node.parent;
  while (ancestor && !isWrittenType(ancestor)) {
    ancestor = ancestor.parent;
  }
  return (
    ancestor !== null &&
    p <= RECORD_PROBABILITY_SLACK * ancestor.smallestDescendantProbability &&
    shouldWrite(ancestor, memo)
  );
}
