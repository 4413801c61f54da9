/**
 * Influencer pivots of one bucket's results tree (ml-cpp CHierarchicalResults::createPivots with
 * CCommonInfluencePropagator): every influencer value seen in the bucket gets a pivot node whose children
 * are the highest nodes of the tree it influences, and every influencer field a pivot root over its values'
 * pivots. Pivots do not re-parent their children: the tree stays as it is, the pivots only look into it.
 */
import { aggregateNodes, type InfluencerLookup } from './aggregate.ts';
import { isLeaf, newNode, type NodeSpec, type ResultNode, type ResultsTree } from './hierarchy.ts';
import type { JobInfluence } from './types.ts';

/** Influences ordered by (field, value), as ml-cpp keeps them for its binary searches. */
function byKey(a: JobInfluence, b: JobInfluence): number {
  return a.field < b.field ? -1 : a.field > b.field ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export class Pivots<L> implements InfluencerLookup<L> {
  /** Pivots (one per influencer value) then pivot roots (one per field): the order they are aggregated in. */
  readonly pivots: Array<ResultNode<L>> = [];
  readonly roots: Array<ResultNode<L>> = [];
  /** Field → value → pivot: lookups without a key string, as the write rule asks for every node's influences. */
  private readonly byValue = new Map<string, Map<string, ResultNode<L>>>();
  private readonly rootByField = new Map<string, ResultNode<L>>();
  private readonly influences = new Map<ResultNode<L>, JobInfluence[]>();
  private readonly pivotSet = new Set<ResultNode<L>>();

  /** `leafInfluences` gives each leaf's own influences (the simple count has none). */
  constructor(tree: ResultsTree<L>, leafInfluences: (leaf: ResultNode<L>) => readonly JobInfluence[]) {
    // Bottom up: a node takes over a child's influence when the influencer is the node's own partition or
    // person field and value, so that value's pivot points at the whole partition (or person), not its parts.
    for (const node of tree.nodes) {
      if (isLeaf(node)) {
        const own = leafInfluences(node);
        if (own.length > 0) {
          this.influences.set(node, [...own].sort(byKey));
        }
        continue;
      }
      const s = node.spec;
      let taken: JobInfluence[] | undefined;
      for (const child of node.children) {
        for (const influence of this.influences.get(child) ?? []) {
          const own =
            (influence.field === s.partitionField && influence.value === s.partitionValue) ||
            (influence.field === s.personField && influence.value === s.personValue);
          if (own && !(taken ??= []).some((i) => byKey(i, influence) === 0)) {
            taken.push(influence);
          }
        }
      }
      if (taken) {
        this.influences.set(node, taken.sort(byKey));
      }
    }
    for (const node of tree.nodes) {
      const parentInfluences = node.parent ? this.influences.get(node.parent) : undefined;
      for (const influence of this.influences.get(node) ?? []) {
        if (parentInfluences?.some((i) => byKey(i, influence) === 0)) {
          continue;
        }
        this.pivotOf(influence.field, influence.value).children.push(node);
      }
    }
    for (const pivot of this.pivots) {
      const field = pivot.spec.personField!;
      let root = this.rootByField.get(field);
      if (!root) {
        root = pivotNode<L>(field, null);
        this.rootByField.set(field, root);
        this.roots.push(root);
        this.pivotSet.add(root);
      }
      root.children.push(pivot);
      pivot.parent = root;
    }
  }

  /** Aggregates the pivots, then their roots, from the tree's aggregated (not yet finalized) probabilities. */
  aggregate(): void {
    const weight = (child: ResultNode<L>, pivot: ResultNode<L>): number | undefined =>
      this.influences.get(child)?.find((i) => i.field === pivot.spec.personField && i.value === pivot.spec.personValue)
        ?.influence;
    aggregateNodes(this.pivots, weight);
    aggregateNodes(this.roots, weight);
  }

  influencesOf(node: ResultNode<L>): readonly JobInfluence[] {
    return this.influences.get(node) ?? [];
  }

  pivot(field: string, value: string): ResultNode<L> | undefined {
    return this.byValue.get(field)?.get(value);
  }

  isPivot(node: ResultNode<L>): boolean {
    return this.pivotSet.has(node);
  }

  /**
   * ml-cpp's isMemberOfPopulation for a pivot: one of its children is a population result of the pivot's own
   * field and value, or an aggregate over population results. Pivot roots never are.
   */
  isPopulation(node: ResultNode<L>): boolean {
    if (node.parent === null) {
      return false;
    }
    const { personField, personValue } = node.spec;
    return node.children.some(
      (c) =>
        c.spec.population && (!isLeaf(c) || (c.spec.personField === personField && c.spec.personValue === personValue)),
    );
  }

  private pivotOf(field: string, value: string): ResultNode<L> {
    let values = this.byValue.get(field);
    if (!values) {
      values = new Map();
      this.byValue.set(field, values);
    }
    let pivot = values.get(value);
    if (!pivot) {
      pivot = pivotNode<L>(field, value);
      values.set(value, pivot);
      this.pivots.push(pivot);
      this.pivotSet.add(pivot);
    }
    return pivot;
  }
}

/** CHierarchicalResults::newPivot / newPivotRoot: person field = influencer field, person value = its value. */
function pivotNode<L>(field: string, value: string | null): ResultNode<L> {
  const spec: NodeSpec = {
    detector: 0,
    simpleCount: false,
    population: false,
    partitionField: null,
    partitionValue: null,
    personField: field,
    personValue: value,
    functionName: null,
  };
  const node = newNode<L>(spec, 1, null);
  node.detector = -3;
  return node;
}
