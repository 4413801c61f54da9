import { describe, expect, it } from 'vitest';

import { QDigest, UINT32_MAX } from '../../pkg-backend/src/engine/maths/qdigest.ts';
import { mulberry32 } from './maths-rng.ts';

// The digest answers its queries from a flat post-order array with prefix sums. These tests hold it to
// ml-cpp's own walks over CQDigest's node tree (CNode::...), written out naively here from the digest's
// stored nodes: each node under its nearest stored ancestor, children in post order.

interface Node {
  min: number;
  max: number;
  count: number;
  children: Node[];
}

function tree(digest: QDigest): Node {
  const { rootLevel, nodes } = digest.toJSON();
  const root: Node = { min: 0, max: 2 ** rootLevel - 1, count: 0, children: [] };
  const all: Node[] = [];
  for (const [level, index, count] of nodes) {
    if (level === rootLevel) {
      root.count = count;
    } else {
      all.push({ min: index * 2 ** level, max: (index + 1) * 2 ** level - 1, count, children: [] });
    }
  }
  for (const node of all) {
    const holders = all.filter((o) => o !== node && o.min <= node.min && o.max >= node.max);
    const parent = holders.sort((a, b) => a.max - a.min - (b.max - b.min))[0] ?? root;
    parent.children.push(node);
  }
  const sortChildren = (node: Node): void => {
    node.children.sort((a, b) => a.max - b.max || a.max - a.min - (b.max - b.min));
    node.children.forEach(sortChildren);
  };
  sortChildren(root);
  return root;
}

const subtree = (node: Node): number => node.children.reduce((sum, child) => sum + subtree(child), node.count);

function massEndingBy(node: Node, x: number): number {
  return node.max <= x ? subtree(node) : node.children.reduce((sum, child) => sum + massEndingBy(child, x), 0);
}

function massStartingBy(node: Node, x: number): number {
  if (node.max <= x) {
    return subtree(node);
  }
  return node.min > x ? 0 : node.children.reduce((sum, child) => sum + massStartingBy(child, x), node.count);
}

function quantile(root: Node, total: number, q: number): number {
  const target = Math.floor(q * total + 0.5);
  let left = 0;
  let node = root;
  for (let descended = true; descended;) {
    descended = false;
    for (const child of node.children) {
      if (left + subtree(child) >= target) {
        node = child;
        descended = true;
        break;
      }
      left += subtree(child);
    }
  }
  return node.max;
}

function infimum(node: Node, x: number, result: number): number {
  for (const child of node.children) {
    if (child.max < x) {
      result = Math.max(result, child.max);
    } else {
      result = infimum(child, x, result);
      break;
    }
  }
  return node.max < x && node.count > 0 ? Math.max(result, node.max) : result;
}

function supremum(node: Node, x: number, result: number): number {
  for (let i = node.children.length - 1; i >= 0; i--) {
    const child = node.children[i];
    if (child.max > x) {
      result = Math.min(result, child.max);
    } else {
      result = supremum(child, x, result);
      break;
    }
  }
  return node.max > x && node.count > 0 ? Math.min(result, node.max) : result;
}

function expectedCdf(root: Node, total: number, x: number): [number, number] {
  return [massEndingBy(root, x) / total, massStartingBy(root, x) / total];
}

function expectedPdf(root: Node, total: number, x: number): [number, number] {
  const inf = infimum(root, x, 0);
  const sup = supremum(root, x, UINT32_MAX);
  const [infLower, infUpper] = expectedCdf(root, total, inf);
  const [supLower, supUpper] = expectedCdf(root, total, sup);
  const width = Math.max(sup - inf, 1);
  return [Math.max(supLower - infUpper, 0) / width, Math.max(supUpper - infLower, 0) / width];
}

function expectedSummary(root: Node): Array<[number, number]> {
  const order: Node[] = [];
  const walk = (node: Node): void => {
    node.children.forEach(walk);
    order.push(node);
  };
  walk(root);
  const result: Array<[number, number]> = [];
  let count = 0;
  order.forEach((node, i) => {
    count += node.count;
    if (i + 1 < order.length && order[i + 1].max !== node.max) {
      result.push([node.max, count]);
    }
  });
  if (result.length === 0 || result[result.length - 1][1] < count) {
    result.push([root.max, count]);
  }
  return result;
}

describe('QDigest queries match ml-cpp walks over its node tree', () => {
  for (const [k, range, seed] of [
    [3, 16, 1],
    [5, 1000, 2],
    [20, 100_000, 3],
    [201, 2 ** 20, 4],
    [201, UINT32_MAX, 5],
  ] as const) {
    it(`k = ${k}, values below ${range}, adds interleaved with queries, ageing and JSON round trips`, () => {
      const rng = mulberry32(seed);
      let digest = new QDigest(k);
      let checked = 0;
      for (let step = 0; step < 1500; step++) {
        const r = rng();
        if (r < 0.55) {
          digest.add(Math.floor(rng() ** 3 * range), 1 + Math.floor(rng() * 3));
        } else if (r < 0.7) {
          digest.addRepeated(Math.floor(rng() * 8), Math.floor(rng() * 200));
        } else if (r < 0.72) {
          digest.age(0.5 + rng() / 2);
        } else if (r < 0.73) {
          digest = QDigest.fromJSON(JSON.parse(JSON.stringify(digest.toJSON())));
        } else if (digest.n > 0) {
          const root = tree(digest);
          for (const x of [0, 1, Math.floor(rng() * range), Math.floor(rng() ** 3 * range), range - 1, UINT32_MAX]) {
            expect(digest.cdf(x)).toEqual(expectedCdf(root, digest.n, x));
            expect(digest.pdf(x)).toEqual(expectedPdf(root, digest.n, x));
          }
          for (const q of [0, 0.01, 0.5, 0.9, 0.99, 1, rng()]) {
            expect(digest.quantile(q)).toBe(quantile(root, digest.n, q));
          }
          expect(digest.summary()).toEqual(expectedSummary(root));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(300);
    });
  }
});
