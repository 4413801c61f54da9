/**
 * One bucket's results tree (ml-cpp CHierarchicalResults): a leaf per scored person per detector, grouped
 * bottom up by person value, person field, partition value and partition field, under one root. Which level
 * a node is (person, partition, root) decides how the aggregator combines its children and which normalisers
 * score it, so the predicates below follow CHierarchicalResultsVisitor's exactly.
 *
 * A field is `null` where ml-cpp's is unset (children disagree), and "" where it is set but empty — a detector
 * without a partition field has partition field "" and value "". Grouping compares fields as ml-cpp
 * dereferences them, so null and "" group together.
 */

export interface NodeSpec {
  detector: number;
  /** Elastic's simple count result: it shapes the tree but is never scored. */
  simpleCount: boolean;
  population: boolean;
  partitionField: string | null;
  partitionValue: string | null;
  personField: string | null;
  personValue: string | null;
  functionName: string | null;
}

export interface ResultNode<L> {
  spec: NodeSpec;
  parent: ResultNode<L> | null;
  children: Array<ResultNode<L>>;
  probability: number;
  rawScore: number;
  /** The detector of the node's children; −2 when they mix detectors, −3 before aggregation. */
  detector: number;
  /** Aggregation style its parent combines it in: PEOPLE_STYLE, ATTRIBUTES_STYLE, or −1 before aggregation. */
  style: number;
  smallestChildProbability: number;
  smallestDescendantProbability: number;
  normalizedScore: number;
  /** What a leaf was made from; null for aggregates and the simple count. */
  leaf: L | null;
}

/** Indices of model_t::EAggregationStyle. */
export const PEOPLE_STYLE = 0;
export const ATTRIBUTES_STYLE = 1;

export function newNode<L>(spec: NodeSpec, probability: number, leaf: L | null): ResultNode<L> {
  return {
    spec,
    parent: null,
    children: [],
    probability,
    rawScore: 0,
    detector: spec.detector,
    style: -1,
    smallestChildProbability: probability,
    smallestDescendantProbability: 1,
    normalizedScore: 0,
    leaf,
  };
}

/** The simple count leaf ml-cpp adds to every bucket with data: partition unset, person field "count". */
export function simpleCountLeaf<L>(): ResultNode<L> {
  return newNode<L>(
    {
      detector: 0,
      simpleCount: true,
      population: false,
      partitionField: null,
      partitionValue: null,
      personField: 'count',
      personValue: 'count',
      functionName: 'count',
    },
    1,
    null,
  );
}

export interface ResultsTree<L> {
  /** Every node, children before parents (ml-cpp's bottom-up breadth-first order). */
  nodes: Array<ResultNode<L>>;
  root: ResultNode<L> | null;
}

function d(s: string | null): string {
  return s ?? '';
}

/**
 * A grouping level's key as its parts, written into `out`; returns how many. Groups are found through nested
 * maps of the parts rather than one joined string: the parts are strings the bucket already holds (their hashes
 * cached), while a joined key would be built and hashed anew for every node of every layer.
 */
type KeyOf = (s: NodeSpec, out: string[]) => number;
const partitionValueKey: KeyOf = (s, out) => {
  out[0] = d(s.partitionField);
  out[1] = d(s.partitionValue);
  return 2;
};
const personNameKey: KeyOf = (s, out) => {
  partitionValueKey(s, out);
  out[2] = d(s.personField);
  return 3;
};
const personValueKey: KeyOf = (s, out) => {
  personNameKey(s, out);
  out[3] = d(s.personValue);
  out[4] = s.population ? '1' : '0';
  return 5;
};
const partitionNameKey: KeyOf = (s, out) => {
  out[0] = d(s.partitionField);
  return 1;
};

/** Nested maps of key parts, ending in a group's index; each depth holds one part of the key only. */
type GroupIndex = Map<string, GroupIndex | number>;

/** CHierarchicalResults::buildHierarchy over `leaves` (simple count first, as ml-cpp moves it to the front). */
export function buildHierarchy<L>(leaves: Array<ResultNode<L>>): ResultsTree<L> {
  const nodes = [...leaves];
  let layer = leaves;
  for (const keyOf of [personValueKey, personNameKey, partitionValueKey, partitionNameKey]) {
    layer = aggregateLayer(layer, keyOf, nodes);
  }
  if (layer.length > 1) {
    // The root keeps an unset spec: it does not propagate its children's fields.
    const root = newAggregate<L>();
    adopt(root, layer);
    nodes.push(root);
    return { nodes, root };
  }
  return { nodes, root: layer[0] ?? null };
}

function aggregateLayer<L>(layer: Array<ResultNode<L>>, keyOf: KeyOf, nodes: Array<ResultNode<L>>) {
  // Groups in order of their first node, as a Map keyed by the joined parts would hold them.
  const groups: Array<Array<ResultNode<L>>> = [];
  const index: GroupIndex = new Map();
  const parts: string[] = [];
  for (const node of layer) {
    const n = keyOf(node.spec, parts);
    let level = index;
    for (let i = 0; i < n - 1; i++) {
      let next = level.get(parts[i]);
      if (next === undefined) {
        next = new Map();
        level.set(parts[i], next);
      }
      level = next as GroupIndex;
    }
    const known = level.get(parts[n - 1]);
    if (known === undefined) {
      level.set(parts[n - 1], groups.length);
      groups.push([node]);
    } else {
      groups[known as number].push(node);
    }
  }
  const next: Array<ResultNode<L>> = [];
  for (const group of groups) {
    if (group.length === 1) {
      next.push(group[0]);
      continue;
    }
    const aggregate = newAggregate<L>();
    adopt(aggregate, group);
    propagateFields(aggregate);
    nodes.push(aggregate);
    next.push(aggregate);
  }
  return next;
}

function newAggregate<L>(): ResultNode<L> {
  const node = newNode<L>(unsetSpec(), 1, null);
  node.detector = -3;
  return node;
}

function unsetSpec(): NodeSpec {
  return {
    detector: 0,
    simpleCount: false,
    population: false,
    partitionField: null,
    partitionValue: null,
    personField: null,
    personValue: null,
    functionName: null,
  };
}

function adopt<L>(parent: ResultNode<L>, children: Array<ResultNode<L>>): void {
  for (const child of children) {
    parent.children.push(child);
    child.parent = parent;
    parent.spec.population ||= child.spec.population;
  }
}

/** SNode::propagateFields: keep what all children share; disagreement unsets a field and those below it. */
function propagateFields<L>(node: ResultNode<L>): void {
  const s = node.spec;
  const first = node.children[0].spec;
  s.partitionField = first.partitionField;
  s.partitionValue = first.partitionValue;
  s.personField = first.personField;
  s.personValue = first.personValue;
  for (let i = 1; i < node.children.length; i++) {
    const c = node.children[i].spec;
    if (s.partitionField !== null && s.partitionField !== c.partitionField) {
      s.partitionField = s.partitionValue = s.personField = s.personValue = null;
    }
    if (s.partitionValue !== null && s.partitionValue !== c.partitionValue) {
      s.partitionValue = s.personField = s.personValue = null;
    }
    if (s.personField !== null && s.personField !== c.personField) {
      s.personField = null;
    }
    if (s.personValue !== null && s.personValue !== c.personValue) {
      s.personValue = null;
    }
  }
}

// CHierarchicalResultsVisitor's predicates.

export function isRoot<L>(n: ResultNode<L>): boolean {
  return n.parent === null;
}

export function isLeaf<L>(n: ResultNode<L>): boolean {
  return n.children.length === 0;
}

function isPartitioned<L>(n: ResultNode<L>): boolean {
  return d(n.spec.partitionField) !== '' && n.spec.partitionValue === null;
}

export function isPartition<L>(n: ResultNode<L>): boolean {
  return (
    d(n.spec.partitionField) !== '' &&
    n.spec.partitionValue !== null &&
    (n.parent === null || n.parent.spec.partitionValue === null)
  );
}

export function isPerson<L>(n: ResultNode<L>): boolean {
  if (d(n.spec.personField) === '' || isPartitioned(n)) {
    return false;
  }
  if (!n.spec.population) {
    return n.spec.personValue === null || n.parent === null || n.parent.spec.personField === null;
  }
  return n.spec.personValue !== null && (n.parent === null || n.parent.spec.personValue === null);
}

/** A leaf combined with its siblings as attributes (rare in time values) rather than as people. */
export function isAttribute<L>(n: ResultNode<L>): boolean {
  if (!isLeaf(n) || isPartition(n) || n.parent === null) {
    return false;
  }
  return isPerson(n.parent) || !n.spec.population;
}

/** Leaves, the root and partitions are the results Elastic writes (non-pivot). */
export function isWrittenType<L>(n: ResultNode<L>): boolean {
  return isLeaf(n) || isRoot(n) || isPartition(n);
}
