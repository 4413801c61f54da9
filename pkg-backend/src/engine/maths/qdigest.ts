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
}

const TWO_32 = 2 ** 32;
export const UINT32_MAX = TWO_32 - 1;

const keyOf = (level: number, index: number): number => level * TWO_32 + index;
const levelOf = (key: number): number => Math.floor(key / TWO_32);
const indexOf = (key: number): number => key % TWO_32;

/** ml-cpp's post order (SPostLess): by range end, then narrower first. */
function postLess(a: TreeNode, b: TreeNode): number {
  return a.max - b.max || a.max - a.min - (b.max - b.min);
}

export class QDigest {
  readonly k: number;
  private total = 0;
  /** root covers [0, 2^rootLevel − 1]; grows as larger values arrive (CNode::expand) */
  private rootLevel = 1;
  private readonly counts = new Map<number, number>();
  private tree: TreeNode | undefined;

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
    return this.counts.size;
  }

  private get rootMax(): number {
    return 2 ** this.rootLevel - 1;
  }

  private compressionFactor(): number {
    return Math.floor(this.total / this.k);
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
      expanded = true;
    }
    const leaf = keyOf(0, value);
    this.counts.set(leaf, (this.counts.get(leaf) ?? 0) + count);
    this.tree = undefined;
    if (expanded || this.compressionFactor() !== factorBefore) {
      this.compressAll();
    } else {
      // Only the new leaf's path can violate the invariant (CQDigest::add).
      for (let level = 0, index = value; level < this.rootLevel; level++, index = Math.floor(index / 2)) {
        if (!this.compressNode(level, index)) {
          break;
        }
      }
    }
  }

  /** Fold node (level, index) and its sibling into their parent if the triple is light enough. */
  private compressNode(level: number, index: number): boolean {
    if (level >= this.rootLevel) {
      return false;
    }
    const key = keyOf(level, index);
    const siblingKey = keyOf(level, index ^ 1);
    const parentKey = keyOf(level + 1, Math.floor(index / 2));
    const own = this.counts.get(key) ?? 0;
    const sibling = this.counts.get(siblingKey) ?? 0;
    if (own + sibling === 0) {
      return false;
    }
    const triple = own + sibling + (this.counts.get(parentKey) ?? 0);
    if (triple >= this.compressionFactor()) {
      return false;
    }
    this.counts.delete(key);
    this.counts.delete(siblingKey);
    this.counts.set(parentKey, triple);
    this.tree = undefined;
    return true;
  }

  /** Bottom-up passes until nothing folds (CQDigest::compress). */
  private compressAll(): void {
    for (let changed = true; changed;) {
      changed = false;
      for (let level = 0; level < this.rootLevel; level++) {
        const atLevel: number[] = [];
        for (const key of this.counts.keys()) {
          if (levelOf(key) === level) {
            atLevel.push(indexOf(key));
          }
        }
        atLevel.sort((a, b) => b - a);
        for (const index of atLevel) {
          if (this.counts.has(keyOf(level, index)) && this.compressNode(level, index)) {
            changed = true;
          }
        }
      }
    }
  }

  /** Multiply every count by alpha (rounded, never below 1) and recompress (CQDigest::propagateForwardsByTime). */
  age(alpha: number): void {
    let total = 0;
    for (const [key, c] of this.counts) {
      const aged = Math.max(Math.floor(c * alpha + 0.5), 1);
      this.counts.set(key, aged);
      total += aged;
    }
    this.total = total;
    this.tree = undefined;
    this.compressAll();
  }

  /** The nodes as ml-cpp's tree: each node under its nearest stored ancestor, children in post order. */
  private root(): TreeNode {
    if (this.tree) {
      return this.tree;
    }
    const rootKey = keyOf(this.rootLevel, 0);
    const root: TreeNode = {
      min: 0,
      max: this.rootMax,
      count: this.counts.get(rootKey) ?? 0,
      subtree: 0,
      children: [],
    };
    const byKey = new Map<number, TreeNode>([[rootKey, root]]);
    const keys = [...this.counts.keys()].filter((key) => key !== rootKey && levelOf(key) < this.rootLevel);
    keys.sort((a, b) => levelOf(b) - levelOf(a) || a - b);
    for (const key of keys) {
      const level = levelOf(key);
      const index = indexOf(key);
      const span = 2 ** level;
      const node: TreeNode = {
        min: index * span,
        max: (index + 1) * span - 1,
        count: this.counts.get(key)!,
        subtree: 0,
        children: [],
      };
      byKey.set(key, node);
      let parent: TreeNode | undefined;
      for (let l = level + 1, i = Math.floor(index / 2); !parent; l++, i = Math.floor(i / 2)) {
        parent = byKey.get(keyOf(l, i));
      }
      parent.children.push(node);
    }
    const finish = (node: TreeNode): number => {
      node.children.sort(postLess);
      node.subtree = node.count;
      for (const child of node.children) {
        node.subtree += finish(child);
      }
      return node.subtree;
    };
    finish(root);
    this.tree = root;
    return root;
  }

  /** Nodes in post order. */
  private postOrder(): TreeNode[] {
    const out: TreeNode[] = [];
    const visit = (node: TreeNode): void => {
      for (const child of node.children) {
        visit(child);
      }
      out.push(node);
    };
    visit(this.root());
    return out;
  }

  /** Bounds on the fraction of values ≤ x: nodes ending at or before x, and nodes starting there. */
  cdf(x: number): [number, number] {
    if (this.total === 0) {
      return [0, 0];
    }
    let lower = 0;
    let upper = 0;
    const visitLower = (node: TreeNode): void => {
      if (node.max <= x) {
        lower += node.subtree;
      } else {
        for (const child of node.children) {
          visitLower(child);
        }
      }
    };
    const visitUpper = (node: TreeNode): void => {
      if (node.max <= x) {
        upper += node.subtree;
      } else if (node.min <= x) {
        upper += node.count;
        for (const child of node.children) {
          visitUpper(child);
        }
      }
    };
    visitLower(this.root());
    visitUpper(this.root());
    return [lower / this.total, upper / this.total];
  }

  /** Smallest value v with at least round(q·n) counts at or below it (CQDigest::quantile). */
  quantile(q: number): number {
    if (this.total === 0) {
      throw new RangeError('quantile of an empty digest');
    }
    const target = Math.floor(q * this.total + 0.5);
    let left = 0;
    const descend = (node: TreeNode): number => {
      for (const child of node.children) {
        if (left + child.subtree >= target) {
          return descend(child);
        }
        left += child.subtree;
      }
      return node.max;
    };
    return descend(this.root());
  }

  /** Largest node end below x (CNode::superlevelSetInfimum), 0 if none. */
  private infimum(x: number): number {
    let result = 0;
    const visit = (node: TreeNode): void => {
      for (const child of node.children) {
        if (child.max < x) {
          result = Math.max(result, child.max);
        } else {
          visit(child);
          break;
        }
      }
      if (node.max < x && node.count > 0) {
        result = Math.max(result, node.max);
      }
    };
    visit(this.root());
    return result;
  }

  /** Smallest node end above x as ml-cpp's traversal finds it (CNode::sublevelSetSupremum). */
  private supremum(x: number): number {
    let result = UINT32_MAX;
    const visit = (node: TreeNode): void => {
      for (let i = node.children.length - 1; i >= 0; i--) {
        const child = node.children[i];
        if (child.max > x) {
          result = Math.min(result, child.max);
        } else {
          visit(child);
          break;
        }
      }
      if (node.max > x && node.count > 0) {
        result = Math.min(result, node.max);
      }
    };
    visit(this.root());
    return result;
  }

  /** Bounds on the density at x: mass between the neighbouring node ends, per unit (CQDigest::pdf). */
  pdf(x: number): [number, number] {
    if (this.total === 0) {
      return [0, 0];
    }
    const inf = this.infimum(x);
    const sup = this.supremum(x);
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
    const nodes = this.postOrder();
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
    const keys = [...this.counts.keys()].sort((a, b) => a - b);
    return {
      k: this.k,
      n: this.total,
      rootLevel: this.rootLevel,
      nodes: keys.map((key) => [levelOf(key), indexOf(key), this.counts.get(key)!]),
    };
  }

  static fromJSON(state: QDigestState): QDigest {
    const digest = new QDigest(state.k);
    digest.total = state.n;
    digest.rootLevel = state.rootLevel;
    for (const [level, index, count] of state.nodes) {
      digest.counts.set(keyOf(level, index), count);
    }
    return digest;
  }
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
