/**
 * Influencers of an AnomalyJob: record influences (CIndicatorInfluenceCalculator), influencer pivots and their
 * aggregation (CHierarchicalResults / CHierarchicalResultsAggregator), and that influencers never change what
 * the models see. (E) numbers are asserted by Elastic's own tests, (R) computed from Elastic's code (1 %).
 */
import { describe, expect, it } from 'vitest';
import { AnomalyJob, type JobSpec, type JobTuple } from '../../pkg-backend/src/engine/job.ts';
import { aggregateNodes, shouldWrite } from '../../pkg-backend/src/engine/job/aggregate.ts';
import { buildHierarchy, newNode, type ResultNode } from '../../pkg-backend/src/engine/job/hierarchy.ts';
import { entityInfluences, indicatorInfluence, mergeTuples } from '../../pkg-backend/src/engine/job/influence.ts';
import type { ObservedSlot } from '../../pkg-backend/src/engine/job/models.ts';
import { Pivots } from '../../pkg-backend/src/engine/job/pivots.ts';
import type { JobInfluence } from '../../pkg-backend/src/engine/job/types.ts';
import { PopulationModel } from '../../pkg-backend/src/engine/model/population.ts';
import { Rng } from '../../pkg-backend/src/demo/random.ts';
import { bucket, expectClose, tuple } from './helpers.ts';

const HOUR = 3600;
const SPAN = 300;
const at = (index: number, span = SPAN) => bucket(index, span, []).start;
const withInfluencers = (t: JobTuple, ...values: Array<string | null>): JobTuple => ({ ...t, influencers: values });

type TestLeaf = readonly JobInfluence[];

/** A leaf as CHierarchicalResultsTest adds it: function max, no value field. */
function leaf(
  detector: number,
  population: boolean,
  partition: [string, string],
  person: [string, string],
  p: number,
  influences: Array<[string, number]>,
): ResultNode<TestLeaf> {
  return newNode<TestLeaf>(
    {
      detector,
      simpleCount: false,
      population,
      partitionField: partition[0],
      partitionValue: partition[1],
      personField: person[0],
      personValue: person[1],
      functionName: 'max',
    },
    p,
    influences.map(([value, influence]) => ({ field: 'I', value, influence })),
  );
}

/** buildHierarchy, the aggregator bottom up, createPivots and the aggregator over the pivots, as the test does. */
function aggregateWithPivots(leaves: Array<ResultNode<TestLeaf>>) {
  const tree = buildHierarchy(leaves);
  aggregateNodes(tree.nodes);
  const pivots = new Pivots(tree, (n) => n.leaf ?? []);
  pivots.aggregate();
  return { tree, pivots };
}

/**
 * ml-cpp prints 7 significant digits; pivots over fractional influences differ by up to 1e-5 relative, as ml-cpp
 * raises p to the influence through its fastLog approximation where we use Math.log.
 */
function expectNode(node: ResultNode<TestLeaf> | undefined, probability: number, rawScore: number, rel = 1e-6) {
  expect(node).toBeDefined();
  expectClose(node!.probability, probability, rel);
  expectClose(node!.rawScore, rawScore, rel);
}

describe('influencer pivots (CHierarchicalResultsTest::testInfluence)', () => {
  it('aggregates by results and their influencer pivots (E)', () => {
    const { tree, pivots } = aggregateWithPivots([
      leaf(1, false, ['', ''], ['PF1', 'p11'], 0.22, [['i1', 0.6]]),
      leaf(1, false, ['', ''], ['PF1', 'p12'], 0.003, [
        ['i1', 0.9],
        ['i2', 1],
      ]),
      leaf(1, false, ['', ''], ['PF1', 'p13'], 0.01, [['i1', 1]]),
    ]);
    expectNode(tree.root!, 0.000885378, 0.08893476);
    expectNode(pivots.roots[0], 0.003600205, 0.02066228, 2e-5);
    expectNode(pivots.pivot('I', 'i1'), 0.001801726, 0.04288765, 2e-5);
    expectNode(pivots.pivot('I', 'i2'), 0.003, 0.0251169);
    expect(pivots.roots).toHaveLength(1);
  });

  it('aggregates partitions of two detectors and their pivots (E, complex)', () => {
    const { tree, pivots } = aggregateWithPivots([
      leaf(1, true, ['PNF1', 'pn11'], ['PF1', 'p11'], 0.22, [['i1', 0.6]]),
      leaf(1, true, ['PNF1', 'pn12'], ['PF1', 'p12'], 0.003, [
        ['i1', 0.9],
        ['i2', 1],
      ]),
      leaf(2, false, ['PNF2', 'pn21'], ['PF1', 'p13'], 0.01, [['i1', 1]]),
      leaf(2, false, ['PNF2', 'pn22'], ['PF1', 'p12'], 0.03, [
        ['i1', 0.6],
        ['i2', 0.8],
      ]),
      leaf(2, false, ['PNF2', 'pn23'], ['PF1', 'p12'], 0.56, [['i1', 0.8]]),
    ]);
    expectNode(tree.root!, 0.003651953, 0.02034678);
    expectNode(pivots.roots[0], 0.006210884, 0.01130322, 2e-5);
    expectNode(pivots.pivot('I', 'i1'), 0.00619034, 0.01134605, 2e-5);
    expectNode(pivots.pivot('I', 'i2'), 0.003110279, 0.0241695, 2e-5);
  });

  it('writes high-probability records that a written influencer points at (E)', () => {
    const low = (person: string) => leaf(1, false, ['PNF1', 'pn11'], ['PF1', person], 0.06, [['i1', 1]]);
    const high = (person: string) => leaf(1, false, ['PNF1', 'pn11'], ['PF1', person], 0.8, []);
    const leaves = [low('p11'), high('p12'), low('p13'), high('p14'), high('p15'), high('p16')];
    leaves.push(leaf(1, false, ['', ''], ['PF2', 'p21'], 0.001, [['i2', 1]]));
    const { tree, pivots } = aggregateWithPivots(leaves);
    expectNode(tree.root!, 0.001999, 0.038497);
    expectNode(pivots.pivot('I', 'i1'), 0.01939367, 0.002530117);
    expectNode(pivots.pivot('I', 'i2'), 0.001, 0.07855711);

    const memo = new Map<ResultNode<TestLeaf>, boolean>();
    const written = tree.nodes.filter((n) => shouldWrite(n, memo, pivots)).map((n) => n.spec.personValue);
    expect(written).toEqual(['p11', 'p13', 'p21', null]);
    // Without the influencer rule the two 0.06 records would not be written.
    const plain = tree.nodes.filter((n) => shouldWrite(n, new Map())).map((n) => n.spec.personValue);
    expect(plain).toEqual(['p21', null]);
  });
});

describe('record influences (CIndicatorInfluenceCalculator)', () => {
  it("gives p5's record the single influence inf2, of strength 1 (E testRareWithInfluence)", () => {
    const job = new AnomalyJob({
      bucketSpanSeconds: HOUR,
      decayRate: 0,
      influencers: ['inf'],
      detectors: [{ function: 'rare', byField: 'by' }],
    });
    const common = ['p1', 'p2', 'p3', 'p4'].map((p) => withInfluencers(tuple(p), 'inf1'));
    for (let b = 0; b < 50; b++) {
      job.process({ start: at(b, HOUR), detectors: [common] });
    }
    const result = job.process({
      start: at(50, HOUR),
      detectors: [[...common, withInfluencers(tuple('p5'), 'inf2')]],
    });
    const p5 = result.records.find((r) => r.by === 'p5')!;
    expect(p5.influencers).toEqual([{ field: 'inf', value: 'inf2', influence: 1 }]);
    expect(result.influencers.map((i) => `${i.field}=${i.value}`)).toContain('inf=inf2');
    expect(result.influencers.find((i) => i.value === 'inf2')!.probability).toBeLessThan(0.035);
  });

  /**
   * The population of model-population.test.ts (once X is in, spreads are 200 → 20, 404 → 10, 503 → 1), through
   * the job's own merge and influence steps: X's p is above 0.035, so the job would not write its record.
   */
  function populationInfluences(frequencyWeighted: boolean, x: JobTuple[]) {
    const fields = ['status', 'ip'];
    const detector = { function: 'rare' as const, byField: 'status', overField: 'ip' };
    const model = new PopulationModel(frequencyWeighted, 0, SPAN * 1000);
    model.observe(at(0), [
      ...Array.from({ length: 19 }, (_, i) => tuple('200', `a${i}`)),
      ...Array.from({ length: 10 }, (_, i) => tuple('404', `b${i}`)),
    ]);
    const { tuples, values } = mergeTuples(x, fields, detector);
    const entities = model.observe(at(1), tuples);
    const observed = { slot: { model }, tuples, entities, learning: false } as unknown as ObservedSlot;
    const influences = entityInfluences(observed, 0, tuples, values, fields);
    return { p: model.probability(0), influences, tuples };
  }

  it('measures a population value by the joint of the attributes it carries (R {200, 503})', () => {
    // Status is the by field: rows without a status influencer value fall back to it.
    const x = populationInfluences(false, [tuple('200', 'X'), tuple('503', 'X')]);
    expectClose(x.p, 0.10895);
    expect(x.influences).toEqual([
      { field: 'ip', value: 'X', influence: 1 },
      { field: 'status', value: '503', influence: 1 },
    ]);
  });

  it('weights the attributes by their share for freq_rare (R 100 × 200 + 1 × 503)', () => {
    // 200 arrives split by an influencer value (one row lacks ip): one observation to the model.
    const x = populationInfluences(true, [
      withInfluencers(tuple('200', 'X', 60), '200', 'X'),
      withInfluencers(tuple('200', 'X', 40), null, null),
      withInfluencers(tuple('503', 'X', 1), '503', 'X'),
    ]);
    expectClose(x.p, 0.77103);
    expect(x.tuples.map((t) => [t.by, t.count])).toEqual([
      ['200', 100],
      ['503', 1],
    ]);
    expect(x.influences).toEqual([
      { field: 'ip', value: 'X', influence: 1 },
      { field: 'status', value: '503', influence: 1 },
    ]);
  });

  it('reproduces p_i and the influences the records drop (R)', () => {
    const history = [
      ...Array.from({ length: 19 }, (_, i) => tuple('200', `a${i}`)),
      ...Array.from({ length: 10 }, (_, i) => tuple('404', `b${i}`)),
    ];
    const score = (frequencyWeighted: boolean, x: JobTuple[]) => {
      const model = new PopulationModel(frequencyWeighted, 0, SPAN * 1000);
      model.observe(at(0), history);
      const n = model.observe(at(1), x);
      const i = Array.from({ length: n }, (_, k) => k).find((k) => model.entity(k) === 'X')!;
      const p = model.probability(i);
      const pi = (status: string) => model.subsetProbability(i, (by) => by === status);
      return { p, pi };
    };
    const rare = score(false, [tuple('200', 'X'), tuple('503', 'X')]);
    expectClose(indicatorInfluence(rare.p, rare.pi('200')), 0.02);
    expect(indicatorInfluence(rare.p, rare.pi('503'))).toBe(1);
    const freq = score(true, [tuple('200', 'X', 100), tuple('503', 'X', 1)]);
    expectClose(freq.pi('503'), 0.025339);
    expect(indicatorInfluence(freq.p, freq.pi('503'))).toBe(1);
    expectClose(indicatorInfluence(freq.p, freq.pi('200')), 0.1708);
    expect(indicatorInfluence(1, 1)).toBe(1);
  });
});

/** A skewed population stream; each tuple split into 1–3 pieces with different `host` values. */
function populationStream(seed: number, n: number): Array<{ merged: JobTuple[]; split: JobTuple[] }> {
  const rng = new Rng(seed);
  const out: Array<{ merged: JobTuple[]; split: JobTuple[] }> = [];
  for (let b = 0; b < n; b++) {
    const merged: JobTuple[] = [];
    const split: JobTuple[] = [];
    const seen = new Set<string>();
    const k = 5 + Math.floor(rng.next() * 10);
    for (let j = 0; j < k; j++) {
      const v = rng.next() < 0.006 ? `new${b}` : `v${Math.floor(Math.pow(rng.next(), 4) * 12)}`;
      const e = `e${Math.floor(rng.next() * 20)}`;
      if (seen.has(`${v}/${e}`)) {
        continue;
      }
      seen.add(`${v}/${e}`);
      const pieces = 1 + Math.floor(rng.next() * 3);
      const parts = Array.from({ length: pieces }, (_, i) => tuple(v, e, 1 + i, i));
      split.push(...parts.map((t, i) => withInfluencers(t, `h${(j + i) % 4}`)));
      merged.push({
        ...parts[0],
        count: parts.reduce((s, t) => s + t.count, 0),
        successful: parts.reduce((s, t) => s + t.successful, 0),
        maxId: parts[parts.length - 1].maxId,
      });
    }
    out.push({ merged, split });
  }
  return out;
}

describe('influencers and the models', () => {
  const base: JobSpec = {
    bucketSpanSeconds: SPAN,
    detectors: [{ function: 'rare', byField: 'status', overField: 'ip' }],
  };

  it('models split tuples as one observation: same records and bucket results as without influencers', () => {
    const plain = new AnomalyJob(base);
    const influenced = new AnomalyJob({ ...base, influencers: ['host'] });
    let compared = 0;
    let pivotsWritten = 0;
    for (const [b, { merged, split }] of populationStream(7, 160).entries()) {
      const a = plain.process({ start: at(b), detectors: [merged] });
      const c = influenced.process({ start: at(b), detectors: [split] });
      expect(c.rawScore).toBe(a.rawScore);
      expect(c.probability).toBe(a.probability);
      expect(c.partitions).toEqual(a.partitions);
      expect(c.score).toBeGreaterThanOrEqual(a.score);
      expect(a.influencers).toEqual([]);
      pivotsWritten += c.influencers.length;
      const byEntity = new Map(c.records.map((r) => [r.entity, r]));
      for (const r of a.records) {
        const { influencers, ...got } = byEntity.get(r.entity)!;
        const { influencers: none, ...want } = r;
        expect(none).toEqual([]);
        expect(got).toEqual(want);
        expect(influencers.length).toBeGreaterThan(0);
        compared++;
      }
      // Extra records only come from the influencer rule: above 0.035, pointed at by a written influencer.
      const written = new Set(c.influencers.map((i) => `${i.field}=${i.value}`));
      for (const r of c.records.filter((x) => !a.records.some((y) => y.entity === x.entity))) {
        expect(r.probability).toBeGreaterThanOrEqual(0.035);
        expect(r.influencers.some((i) => written.has(`${i.field}=${i.value}`))).toBe(true);
      }
    }
    expect(compared).toBeGreaterThan(4);
    expect(pivotsWritten).toBeGreaterThan(4);
  });

  it('changes nothing when no tuple carries a value of the influencer fields', () => {
    const plain = new AnomalyJob(base);
    const influenced = new AnomalyJob({ ...base, influencers: ['host'] });
    for (const [b, { merged }] of populationStream(11, 80).entries()) {
      const a = plain.process({ start: at(b), detectors: [merged] });
      const c = influenced.process({ start: at(b), detectors: [merged] });
      expect(c).toEqual(a);
    }
  });

  it('scores the bucket by the largest of the root and the influencer fields', () => {
    // Over values meet as people at the root (1 − (1 − min p)^n over ~10 of them). An influencer field of two
    // values, one of them only on the rows of new status values, isolates the rare entity: its pivot root
    // dilutes over two pivots only, which lifts the bucket's score above the root's own.
    const plain = new AnomalyJob(base);
    const influenced = new AnomalyJob({ ...base, influencers: ['asn'] });
    let lifted = 0;
    for (const [b, { merged, split }] of populationStream(7, 160).entries()) {
      const asn = split.map((t) => withInfluencers(t, t.by.startsWith('new') ? 'bad' : 'good'));
      const a = plain.process({ start: at(b), detectors: [merged] });
      const c = influenced.process({ start: at(b), detectors: [asn] });
      expect(c.score).toBeGreaterThanOrEqual(a.score);
      if (c.score > a.score) {
        lifted++;
        expect(c.influencers[0]).toMatchObject({ field: 'asn', value: 'bad' });
      }
    }
    expect(lifted).toBeGreaterThan(0);
  });

  it('keeps the influencer normalisers in its state', () => {
    const spec: JobSpec = { ...base, influencers: ['host', 'ip'] };
    const stream = populationStream(5, 200);
    const original = new AnomalyJob(spec);
    stream.slice(0, 120).forEach(({ split }, b) => original.process({ start: at(b), detectors: [split] }));
    const state = JSON.parse(JSON.stringify(original.toJSON()));
    const keys = (state.normalizers.levels as Array<[string]>).map(([key]) => key.split('\u0000')[0]);
    expect(keys).toContain('influencer');
    expect(keys).toContain('influencerBucket');
    const resumed = AnomalyJob.fromJSON(state);
    for (let b = 120; b < stream.length; b++) {
      const a = original.process({ start: at(b), detectors: [stream[b].split] });
      const c = resumed.process({ start: at(b), detectors: [stream[b].split] });
      expect(c).toEqual(a);
    }
  });

  it('names what is wrong with the influencer fields', () => {
    expect(() => new AnomalyJob({ ...base, influencers: ['host', ''] })).toThrow(/non-empty field names/);
    expect(() => new AnomalyJob({ ...base, influencers: ['host', 'host'] })).toThrow(/different fields/);
  });
});
