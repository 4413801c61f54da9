import { betaQuantile } from './special.ts';

// A bounded quantile summary of non-negative integers: a q-digest (Shrivastava et al.) with the
// query semantics of ml-cpp's CQDigest, which CAnomalyScore::CNormalizer keeps its raw-score
// history in. Nodes are dyadic ranges [i·2^l, (i+1)·2^l − 1]; a node and its sibling fold into
// their parent while the three together hold fewer than ⌊n/k⌋ counts, so at most ~3k nodes
// survive however many values were added.

export interface QDigestState {
  k: number;
  n: number;
  rootLevel: number;
  /** [level, index, count] in ascending key order */
  nodes: Array<[number, number, number]>;
}

interface TreeNode {
  min: number;
  max: number;
  count: number;
  subtree: number;
  children: TreeNode[];
  parent: TreeNode | null;
}

const TWO_32 = 2 ** 32;
export const UINT32_MAX = TWO_32 - 1;

/** ml-cpp's post order (SPostLess): by range end, then narrower first. */
function postLess(a: TreeNode, b: TreeNode): number {
  return a.max - b.max || a.max - a.min - (b.max - b.min);
}

export class QDigest {
  readonly k: number;
  private total = 0;
  /** root covers [0, 2^rootLevel − 1]; grows as larger values arrive (CNode::expand) */
  private rootLevel = 1;
  private rootMax = 1;
  /**
   * Node counts by level, each keyed by the node's index at that level: small integers, which V8 hashes
   * without allocating (a single key of level · 2³² + index would be a heap number on every lookup).
   * A folded node is left as a count of 0 rather than deleted, since deleting shrinks and rehashes the map
   * over and over as nodes fold and reappear; the zeros are swept out once they are the majority.
   */
  private levels: Array<Map<number, number>> = [new Map(), new Map()];
  private zeros: number[] = [0, 0];
  private nodes = 0;
  private tree: TreeNode | undefined;
  /** The tree's level-0 nodes by value, so adding to an existing leaf updates the tree in place. */
  private leaves = new Map<number, TreeNode>();

  constructor(k: number) {
    if (!(Number.isInteger(k) && k > 0)) {
      throw new RangeError(`k = ${k}: must be a positive integer`);
    }
    this.k = k;
  }

  /** Total (possibly aged) count. */
  get n(): number {
    return this.total;
  }

  /** Number of stored nodes (the memory bound: ≲ 3k). */
  get size(): number {
    return this.nodes;
  }

  private compressionFactor(): number {
    return Math.floor(this.total / this.k);
  }

  private level(level: number): Map<number, number> {
    while (this.levels.length <= level) {
      this.levels.push(new Map());
      this.zeros.push(0);
    }
    return this.levels[level];
  }

  private get(level: number, index: number): number {
    return (level < this.levels.length ? this.levels[level].get(index) : undefined) ?? 0;
  }

  private set(level: number, index: number, count: number): void {
    const nodes = this.level(level);
    const old = nodes.get(index);
    if (old === undefined) {
      this.nodes++;
    } else if (old === 0) {
      this.nodes++;
      this.zeros[level]--;
    }
    nodes.set(index, count);
  }

  private remove(level: number, index: number): void {
    const nodes = this.levels[level];
    if (!((nodes.get(index) ?? 0) > 0)) {
      return;
    }
    nodes.set(index, 0);
    this.nodes--;
    if (++this.zeros[level] > 64 && this.zeros[level] > nodes.size / 2) {
      for (const [i, c] of nodes) {
        if (c === 0) {
          nodes.delete(i);
        }
      }
      this.zeros[level] = 0;
    }
  }

  /** Indices of the stored nodes at a level. */
  private indicesAt(level: number): number[] {
    const indices: number[] = [];
    for (const [index, c] of this.levels[level]) {
      if (c > 0) {
        indices.push(index);
      }
    }
    return indices;
  }

  add(value: number, count = 1): void {
    if (!(Number.isInteger(value) && value >= 0 && value <= UINT32_MAX)) {
      throw new RangeError(`value = ${value}: must be an integer in [0, 2^32)`);
    }
    if (!(Number.isInteger(count) && count > 0)) {
      throw new RangeError(`count = ${count}: must be a positive integer`);
    }
    const factorBefore = this.compressionFactor();
    this.total += count;
    let expanded = false;
    while (this.rootMax < value) {
      this.rootLevel++;
      this.rootMax = 2 ** this.rootLevel - 1;
      expanded = true;
    }
    const before = this.get(0, value);
    this.set(0, value, before + count);
    if (expanded || this.compressionFactor() !== factorBefore) {
      this.tree = undefined;
      this.compressAll();
      return;
    }
    // Only the new leaf's path can violate the invariant (CQDigest::add).
    let folded = false;
    for (let level = 0, index = value; level < this.rootLevel; level++, index = Math.floor(index / 2)) {
      if (!this.compressNode(level, index)) {
        break;
      }
      folded = true;
    }
    const leaf = before > 0 && !folded ? this.leaves.get(value) : undefined;
    if (this.tree && leaf) {
      // Same nodes, one count more: the tree stays valid once the counts on the leaf's path are raised.
      leaf.count += count;
      for (let node: TreeNode | null = leaf; node; node = node.parent) {
        node.subtree += count;
      }
    } else {
      this.tree = undefined;
    }
  }

  /**
   * `times` calls of add(value), in fewer steps: while the compression factor stays put, an add to a leaf
   * that did not fold leaves it unfolded (its triple only grows), so the rest of the run just raises counts.
   */
  addRepeated(value: number, times: number): void {
    if (!(Number.isInteger(times) && times >= 0)) {
      throw new RangeError(`times = ${times}: must be a non-negative integer`);
    }
    while (times > 0) {
      this.add(value);
      times--;
      const before = this.get(0, value);
      // Further unit adds that keep ⌊n / k⌋, and so take add's path that only compresses the leaf's.
      const room = (this.compressionFactor() + 1) * this.k - 1 - this.total;
      const run = Math.min(times, room);
      if (run <= 0 || !(before > 0)) {
        continue;
      }
      this.levels[0].set(value, before + run);
      this.total += run;
      times -= run;
      const leaf = this.tree ? this.leaves.get(value) : undefined;
      if (leaf) {
        leaf.count += run;
        for (let node: TreeNode | null = leaf; node; node = node.parent) {
          node.subtree += run;
        }
      } else {
        this.tree = undefined;
      }
    }
  }

  /** Fold node (level, index) and its sibling into their parent if the triple is light enough. */
  private compressNode(level: number, index: number): boolean {
    if (level >= this.rootLevel) {
      return false;
    }
    const siblingIndex = index ^ 1;
    const parentIndex = Math.floor(index / 2);
    const own = this.get(level, index);
    const sibling = this.get(level, siblingIndex);
    if (own + sibling === 0) {
      return false;
    }
    const triple = own + sibling + this.get(level + 1, parentIndex);
    if (triple >= this.compressionFactor()) {
      return false;
    }
    this.remove(level, index);
    this.remove(level, siblingIndex);
    this.set(level + 1, parentIndex, triple);
    this.tree = undefined;
    return true;
  }

  /** Bottom-up passes until nothing folds (CQDigest::compress). */
  private compressAll(): void {
    for (let changed = true; changed;) {
      changed = false;
      for (let level = 0; level < this.rootLevel; level++) {
        this.level(level);
        const atLevel = this.indicesAt(level);
        atLevel.sort((a, b) => b - a);
        for (const index of atLevel) {
          if (this.get(level, index) > 0 && this.compressNode(level, index)) {
            changed = true;
          }
        }
      }
    }
  }

  /** Multiply every count by alpha (rounded, never below 1) and recompress (CQDigest::propagateForwardsByTime). */
  age(alpha: number): void {
    let total = 0;
    for (const nodes of this.levels) {
      for (const [index, c] of nodes) {
        if (c > 0) {
          const aged = Math.max(Math.floor(c * alpha + 0.5), 1);
          nodes.set(index, aged);
          total += aged;
        }
      }
    }
    this.total = total;
    this.tree = undefined;
    this.compressAll();
  }

  /**
   * The nodes as ml-cpp's tree: each node under its nearest stored ancestor, children in post order. Built
   * from the stored nodes alone, sorted into post order, rather than level by level: a digest holds a few
   * dozen nodes over twenty-odd levels, and the tree is rebuilt about once a bucket.
   */
  private root(): TreeNode {
    if (this.tree) {
      return this.tree;
    }
    const root: TreeNode = {
      min: 0,
      max: this.rootMax,
      count: this.get(this.rootLevel, 0),
      subtree: 0,
      children: [],
      parent: null,
    };
    const leaves = new Map<number, TreeNode>();
    const nodes: TreeNode[] = [];
    for (let level = Math.min(this.rootLevel, this.levels.length) - 1; level >= 0; level--) {
      const span = 2 ** level;
      for (const [index, count] of this.levels[level]) {
        if (count > 0) {
          const node: TreeNode = {
            min: index * span,
            max: (index + 1) * span - 1,
            count,
            subtree: 0,
            children: [],
            parent: root,
          };
          nodes.push(node);
          if (level === 0) {
            leaves.set(index, node);
          }
        }
      }
    }
    nodes.sort(postLess);
    // Dyadic ranges nest or are disjoint, so in post order a node's descendants come before it, and the
    // outermost of them are the finished subtrees at the top of the stack that start within its range.
    const stack: TreeNode[] = [];
    for (const node of nodes) {
      let first = stack.length;
      while (first > 0 && stack[first - 1].min >= node.min) {
        first--;
      }
      for (let s = first; s < stack.length; s++) {
        stack[s].parent = node;
        node.children.push(stack[s]);
      }
      stack.length = first;
      stack.push(node);
    }
    root.children = stack;
    finishTree(root);
    this.tree = root;
    this.leaves = leaves;
    return root;
  }

  /** Bounds on the fraction of values ≤ x: nodes ending at or before x, and nodes starting there. */
  cdf(x: number): [number, number] {
    if (this.total === 0) {
      return [0, 0];
    }
    const root = this.root();
    return [massEndingBy(root, x) / this.total, massStartingBy(root, x) / this.total];
  }

  /** Smallest value v with at least round(q·n) counts at or below it (CQDigest::quantile). */
  quantile(q: number): number {
    if (this.total === 0) {
      throw new RangeError('quantile of an empty digest');
    }
    const target = Math.floor(q * this.total + 0.5);
    let left = 0;
    let node = this.root();
    for (let descended = true; descended;) {
      descended = false;
      for (const child of node.children) {
        if (left + child.subtree >= target) {
          node = child;
          descended = true;
          break;
        }
        left += child.subtree;
      }
    }
    return node.max;
  }

  /** Bounds on the density at x: mass between the neighbouring node ends, per unit (CQDigest::pdf). */
  pdf(x: number): [number, number] {
    if (this.total === 0) {
      return [0, 0];
    }
    const root = this.root();
    const inf = infimum(root, x, 0);
    const sup = supremum(root, x, UINT32_MAX);
    const [infLower, infUpper] = this.cdf(inf);
    const [supLower, supUpper] = this.cdf(sup);
    const width = Math.max(sup - inf, 1);
    return [Math.max(supLower - infUpper, 0) / width, Math.max(supUpper - infLower, 0) / width];
  }

  /** (value, cumulative count) at each distinct node end in post order (CQDigest::summary). */
  summary(): Array<[number, number]> {
    const result: Array<[number, number]> = [];
    if (this.total === 0) {
      return result;
    }
    const nodes: TreeNode[] = [];
    postOrder(this.root(), nodes);
    let last = nodes[0].max;
    let count = nodes[0].count;
    for (let i = 1; i < nodes.length; i++) {
      if (nodes[i].max !== last) {
        result.push([last, count]);
        last = nodes[i].max;
      }
      count += nodes[i].count;
    }
    if (result.length === 0 || result[result.length - 1][1] < count) {
      result.push([this.rootMax, count]);
    }
    return result;
  }

  toJSON(): QDigestState {
    const nodes: Array<[number, number, number]> = [];
    this.levels.forEach((counts, level) => {
      const indices = this.indicesAt(level).sort((a, b) => a - b);
      for (const index of indices) {
        nodes.push([level, index, counts.get(index)!]);
      }
    });
    return { k: this.k, n: this.total, rootLevel: this.rootLevel, nodes };
  }

  static fromJSON(state: QDigestState): QDigest {
    const digest = new QDigest(state.k);
    digest.total = state.n;
    digest.rootLevel = state.rootLevel;
    digest.rootMax = 2 ** state.rootLevel - 1;
    for (const [level, index, count] of state.nodes) {
      digest.set(level, index, count);
    }
    return digest;
  }
}

/** Sorts children into post order and fills in subtree counts. */
function finishTree(node: TreeNode): number {
  node.children.sort(postLess);
  node.subtree = node.count;
  for (const child of node.children) {
    node.subtree += finishTree(child);
  }
  return node.subtree;
}

function postOrder(node: TreeNode, out: TreeNode[]): void {
  for (const child of node.children) {
    postOrder(child, out);
  }
  out.push(node);
}

/** Count of the nodes that end at or before x. */
function massEndingBy(node: TreeNode, x: number): number {
  if (node.max <= x) {
    return node.subtree;
  }
  let mass = 0;
  for (const child of node.children) {
    mass += massEndingBy(child, x);
  }
  return mass;
}

/** Count of the nodes that start at or before x. */
function massStartingBy(node: TreeNode, x: number): number {
  if (node.max <= x) {
    return node.subtree;
  }
  if (node.min > x) {
    return 0;
  }
  let mass = node.count;
  for (const child of node.children) {
    mass += massStartingBy(child, x);
  }
  return mass;
}

/** Largest node end below x (CNode::superlevelSetInfimum), `result` if none. */
function infimum(node: TreeNode, x: number, result: number): number {
  for (const child of node.children) {
    if (child.max < x) {
      result = Math.max(result, child.max);
    } else {
      result = infimum(child, x, result);
      break;
    }
  }
  if (node.max < x && node.count > 0) {
    result = Math.max(result, node.max);
  }
  return result;
}

/** Smallest node end above x as ml-cpp's traversal finds it (CNode::sublevelSetSupremum), `result` if none. */
function supremum(node: TreeNode, x: number, result: number): number {
  for (let i = node.children.length - 1; i >= 0; i--) {
    const child = node.children[i];
    if (child.max > x) {
      result = Math.min(result, child.max);
    } else {
      result = supremum(child, x, result);
      break;
    }
  }
  if (node.max > x && node.count > 0) {
    result = Math.min(result, node.max);
  }
  return result;
}

/**
 * Posterior quantile q of a fraction observed as p among n counts (CQDigest::cdfQuantile):
 * Beta(n·p + 1/3, n·(1 − p) + 1/3), the finite-sample uncertainty on a c.d.f. value.
 */
export function cdfQuantile(n: number, p: number, q: number): number {
  if (q === 0.5) {
    return p;
  }
  const value = betaQuantile(q, n * p + 1 / 3, n * (1 - p) + 1 / 3);
  return Number.isFinite(value) ? value : p;
}

/**
 * A floor on cdfQuantile(n, p, q) from the Beta's mean and variance alone: Cantelli's inequality
 * P(X ≤ μ − t) ≤ σ² / (σ² + t²) puts the q quantile of any distribution at or above μ − σ·√((1 − q) / q).
 * A little is given away on top, far more than the quantile's own numerical error.
 */
export function cdfQuantileFloor(n: number, p: number, q: number): number {
  if (q === 0.5) {
    return p;
  }
  const a = n * p + 1 / 3;
  const b = n * (1 - p) + 1 / 3;
  if (!(a > 0 && b > 0 && Number.isFinite(a + b) && q > 0 && q < 1)) {
    // cdfQuantile falls back to p itself here, or q is outside what the bound covers.
    return a > 0 && b > 0 ? 0 : p;
  }
  const mean = a / (a + b);
  const sd = Math.sqrt((a * b) / ((a + b) * (a + b) * (a + b + 1)));
  const floor = mean - sd * Math.sqrt((1 - q) / q) * 1.001 - 1e-12;
  return floor > 0 ? floor : 0;
}
