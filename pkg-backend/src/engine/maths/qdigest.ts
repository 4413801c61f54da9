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

const TWO_32 = 2 ** 32;
export const UINT32_MAX = TWO_32 - 1;

/**
 * A node's sort key: its range end, then its level, so that sorting keys gives ml-cpp's post order
 * (SPostLess: by range end, narrower first). Exact in a double: ends are below 2³², levels below 64.
 */
const LEVEL_SLOTS = 64;

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
  /**
   * The stored nodes flat, in post order, which every query reads: sort keys (range end · 64 + level),
   * counts, and a Fenwick tree over the counts, so a prefix of the order sums in O(log n) and adding to an
   * existing leaf keeps the order valid. ml-cpp walks a tree of node objects; in post order each of its
   * walks is a prefix sum or a search. The root is the last position. Rebuilt only after nodes change.
   */
  private valid = false;
  private positions = 0;
  private keys = new Float64Array(64);
  private counts = new Float64Array(64);
  private fenwick = new Float64Array(65);
  /** Range ends of the root's children (the nodes with no stored ancestor below the root), in post order. */
  private topEnds = new Float64Array(64);
  private topCount = 0;
  private stack = new Int32Array(64);
  /** Each position's nearest stored ancestor (the root's is −1), and the counts from it up to the root. */
  private parents = new Int32Array(64);
  private pathCounts = new Float64Array(64);
  /** Each position's range start. */
  private starts = new Float64Array(64);

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
      this.valid = false;
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
    if (!(before > 0 && !folded && this.raiseLeaf(value, count))) {
      // Same nodes, one count more, keeps the order; a new leaf or a fold changes it.
      this.valid = false;
    }
  }

  /** Adds to the count of a stored leaf in the flat order; false when the order is stale or lacks it. */
  private raiseLeaf(value: number, count: number): boolean {
    if (!this.valid) {
      return false;
    }
    const position = firstAbove(this.keys, this.positions, value * LEVEL_SLOTS - 1);
    if (position >= this.positions || this.keys[position] !== value * LEVEL_SLOTS) {
      return false;
    }
    this.counts[position] += count;
    const fenwick = this.fenwick;
    for (let i = position + 1; i <= this.positions; i += i & -i) {
      fenwick[i] += count;
    }
    return true;
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
      if (!this.raiseLeaf(value, run)) {
        this.valid = false;
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
    this.valid = false;
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
    this.valid = false;
    this.compressAll();
  }

  /**
   * The stored nodes in post order (see `valid`). Sorting numeric keys in a typed array costs no comparator
   * calls and no objects: a digest holds a few hundred nodes and is re-ordered about once a bucket.
   */
  private order(): void {
    if (this.valid) {
      return;
    }
    const levels = Math.min(this.rootLevel, this.levels.length);
    const size = this.nodes + 1;
    if (this.keys.length < size) {
      const capacity = Math.max(size, this.keys.length * 2);
      this.keys = new Float64Array(capacity);
      this.counts = new Float64Array(capacity);
      this.fenwick = new Float64Array(capacity + 1);
      this.topEnds = new Float64Array(capacity);
      this.stack = new Int32Array(capacity);
      this.parents = new Int32Array(capacity);
      this.pathCounts = new Float64Array(capacity);
      this.starts = new Float64Array(capacity);
    }
    const keys = this.keys;
    let m = 0;
    for (let level = 0; level < levels; level++) {
      const span = 2 ** level;
      for (const [index, count] of this.levels[level]) {
        if (count > 0) {
          keys[m++] = ((index + 1) * span - 1) * LEVEL_SLOTS + level;
        }
      }
    }
    keys.subarray(0, m).sort();
    const counts = this.counts;
    const stack = this.stack;
    const parents = this.parents;
    const starts = this.starts;
    let depth = 0;
    for (let i = 0; i < m; i++) {
      const level = keys[i] % LEVEL_SLOTS;
      const span = 2 ** level;
      const end = (keys[i] - level) / LEVEL_SLOTS;
      counts[i] = this.levels[level].get((end + 1) / span - 1)!;
      // Dyadic ranges nest or are disjoint, so in post order the nodes under this one are the finished
      // subtrees on top of the stack that start within its range; what is left at the end is the root's.
      const start = end - span + 1;
      starts[i] = start;
      while (depth > 0 && starts[stack[depth - 1]] >= start) {
        parents[stack[--depth]] = i;
      }
      stack[depth++] = i;
    }
    keys[m] = this.rootMax * LEVEL_SLOTS + this.rootLevel;
    counts[m] = this.get(this.rootLevel, 0);
    starts[m] = 0;
    parents[m] = -1;
    this.positions = m + 1;
    this.topCount = depth;
    for (let s = 0; s < depth; s++) {
      this.topEnds[s] = endOf(keys[stack[s]]);
      parents[stack[s]] = m;
    }
    // Ancestors come later in post order. A leaf's count, the one thing that changes between rebuilds, is
    // never on a path that massStartingBy reads (a leaf never reaches past the value it holds).
    const pathCounts = this.pathCounts;
    for (let i = m; i >= 0; i--) {
      pathCounts[i] = counts[i] + (parents[i] >= 0 ? pathCounts[parents[i]] : 0);
    }
    const fenwick = this.fenwick;
    fenwick.fill(0, 0, this.positions + 1);
    for (let i = 1; i <= this.positions; i++) {
      fenwick[i] += counts[i - 1];
      const parent = i + (i & -i);
      if (parent <= this.positions) {
        fenwick[parent] += fenwick[i];
      }
    }
    this.valid = true;
  }

  /** Count of the first `positions` nodes of the order. */
  private prefix(positions: number): number {
    let sum = 0;
    for (let i = positions; i > 0; i -= i & -i) {
      sum += this.fenwick[i];
    }
    return sum;
  }

  /** Count of the nodes that end at or before x (CNode's walk, summed over the post-order prefix). */
  private massEndingBy(x: number): number {
    return this.prefix(firstAbove(this.keys, this.positions, (Math.floor(x) + 1) * LEVEL_SLOTS - 1));
  }

  /**
   * Count of the nodes that start at or before x: those ending by x, and the chain of nested nodes that
   * hold x and reach past it. The first node ending past x lies inside the deepest of that chain, so the
   * chain starts at its first ancestor (or itself) that holds x.
   */
  private massStartingBy(x: number): number {
    const xi = Math.floor(x);
    const first = firstAbove(this.keys, this.positions, (xi + 1) * LEVEL_SLOTS - 1);
    let mass = this.prefix(first);
    let node = first < this.positions ? first : -1;
    while (node >= 0 && this.starts[node] > xi) {
      node = this.parents[node];
    }
    if (node >= 0) {
      mass += this.pathCounts[node];
    }
    return mass;
  }

  /** Bounds on the fraction of values ≤ x: nodes ending at or before x, and nodes starting there. */
  cdf(x: number): [number, number] {
    if (this.total === 0) {
      return [0, 0];
    }
    this.order();
    return [this.massEndingBy(x) / this.total, this.massStartingBy(x) / this.total];
  }

  /**
   * Smallest value v with at least round(q·n) counts at or below it (CQDigest::quantile). ml-cpp descends
   * into the first child whose subtree reaches the target; in post order that ends at the first node whose
   * prefix does, which the Fenwick tree finds in one descent.
   */
  quantile(q: number): number {
    if (this.total === 0) {
      throw new RangeError('quantile of an empty digest');
    }
    this.order();
    const target = Math.floor(q * this.total + 0.5);
    const fenwick = this.fenwick;
    let position = 0;
    let sum = 0;
    for (let step = 2 ** Math.floor(Math.log2(this.positions)); step > 0; step = Math.floor(step / 2)) {
      const next = position + step;
      if (next <= this.positions && sum + fenwick[next] < target) {
        position = next;
        sum += fenwick[next];
      }
    }
    return endOf(this.keys[Math.min(position, this.positions - 1)]);
  }

  /** Bounds on the density at x: mass between the neighbouring node ends, per unit (CQDigest::pdf). */
  pdf(x: number): [number, number] {
    if (this.total === 0) {
      return [0, 0];
    }
    this.order();
    const inf = this.infimum(x);
    const sup = this.supremum(x);
    const [infLower, infUpper] = this.cdf(inf);
    const [supLower, supUpper] = this.cdf(sup);
    const width = Math.max(sup - inf, 1);
    return [Math.max(supLower - infUpper, 0) / width, Math.max(supUpper - infLower, 0) / width];
  }

  /**
   * Largest end below x of a node with counts, 0 if none (CNode::superlevelSetInfimum): the walk reaches
   * every node ending below x, so this is the last such node in post order, skipping an empty root.
   */
  private infimum(x: number): number {
    let last = firstAbove(this.keys, this.positions, Math.ceil(x) * LEVEL_SLOTS - 1) - 1;
    if (last === this.positions - 1 && this.counts[last] === 0) {
      last--;
    }
    return last >= 0 ? endOf(this.keys[last]) : 0;
  }

  /**
   * Smallest node end above x as ml-cpp's walk finds it (CNode::sublevelSetSupremum), UINT32_MAX if none.
   * That walk looks only at the root's children: it stops at the first child from the right that ends at or
   * before x, and everything under that child ends at or before x too.
   */
  private supremum(x: number): number {
    let result = UINT32_MAX;
    const first = firstAbove(this.topEnds, this.topCount, x);
    if (first < this.topCount) {
      result = this.topEnds[first];
    }
    if (this.rootMax > x && this.counts[this.positions - 1] > 0) {
      result = Math.min(result, this.rootMax);
    }
    return result;
  }

  /** (value, cumulative count) at each distinct node end in post order (CQDigest::summary). */
  summary(): Array<[number, number]> {
    const result: Array<[number, number]> = [];
    if (this.total === 0) {
      return result;
    }
    this.order();
    const { keys, counts } = this;
    let last = endOf(keys[0]);
    let count = counts[0];
    for (let i = 1; i < this.positions; i++) {
      const end = endOf(keys[i]);
      if (end !== last) {
        result.push([last, count]);
        last = end;
      }
      count += counts[i];
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

function endOf(key: number): number {
  return (key - (key % LEVEL_SLOTS)) / LEVEL_SLOTS;
}

/** First position among the first `size` sorted values whose value exceeds `key`. */
function firstAbove(keys: Float64Array, size: number, key: number): number {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] > key) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
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
