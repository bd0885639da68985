import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@voxnas/testing';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { describe, expect, it } from 'vitest';
import { deriveGenotype } from './derive-genotype.js';
import { diffGenotypes } from './diff-genotypes.js';
import { validateGenotype } from './genotype.js';
import { sampleRandomGenotype } from './random-genotype.js';
import { createSearchSpace } from './search-space.js';

const CANDS = ['zero', 'identity', 'conv-3x3x3', 'p3d-3x3x1'];
const space = createSearchSpace({
  levels: 2,
  nodes: 3,
  candidates: { 'encoder-normal': CANDS, reduction: CANDS, 'decoder-normal': CANDS, expansion: CANDS },
});

/** Logits that make `op` the best non-zero candidate with probability mass `strength`-ordered. */
function alphasFor(pick: Record<string, { op: string; logit: number }>, rng: Rng): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const e of space.edges) {
    const a = CANDS.map(() => rng.uniform(-0.5, 0.5));
    const p = pick[e.label];
    if (p) a[CANDS.indexOf(p.op)] = p.logit;
    out[e.label] = a;
  }
  return out;
}

describe('deriveGenotype', () => {
  it('keeps the best non-zero operator on the top-2 incoming edges of each node', () => {
    // zero dominates in0->n2, but zero never counts: the strongest *non-zero* candidates decide.
    const alphas = alphasFor(
      {
        'encoder-normal.in0->n0': { op: 'conv-3x3x3', logit: 3 },
        'encoder-normal.in1->n0': { op: 'identity', logit: 2 },
        'encoder-normal.in0->n2': { op: 'zero', logit: 9 },
        'encoder-normal.n0->n2': { op: 'p3d-3x3x1', logit: 4 },
        'encoder-normal.n1->n2': { op: 'conv-3x3x3', logit: 5 },
        'encoder-normal.in1->n2': { op: 'identity', logit: 3.5 },
      },
      new Rng(3),
    );
    const g = deriveGenotype(space, alphas);
    expect(g.choices['encoder-normal.in0->n0']).toBe('conv-3x3x3');
    expect(g.choices['encoder-normal.in1->n0']).toBe('identity');
    expect(g.choices['encoder-normal.in0->n2']).toBe('zero');
    expect(g.choices['encoder-normal.in1->n2']).toBe('zero');
    expect(g.choices['encoder-normal.n0->n2']).toBe('p3d-3x3x1');
    expect(g.choices['encoder-normal.n1->n2']).toBe('conv-3x3x3');
    for (const cell of ['encoder-normal', 'reduction', 'decoder-normal', 'expansion']) {
      for (const to of ['n0', 'n1', 'n2']) {
        const kept = space.edges.filter((e) => e.cell === cell && e.to === to && g.choices[e.label] !== 'zero');
        expect(kept).toHaveLength(2);
      }
    }
    expect(validateGenotype(JSON.parse(JSON.stringify(g)), { space })).toEqual(g);
    expect(g.meta).toEqual({ derivedBy: 'deriveGenotype', topK: 2 });
  });

  it.each([1, 3])('topK=%i keeps that many edges per node (n0 has only 2)', (topK) => {
    const g = deriveGenotype(space, alphasFor({}, new Rng(topK)), { topK });
    const count = (to: string) => space.edges.filter((e) => e.cell === 'reduction' && e.to === to && g.choices[e.label] !== 'zero').length;
    expect([count('n0'), count('n1'), count('n2')]).toEqual([Math.min(topK, 2), topK, topK]);
  });

  it('topK=null takes each edge argmax, zero included; tensors are accepted as α', async () => {
    await expectNoLeaks(() => {
      const values = alphasFor({ 'expansion.in0->n1': { op: 'zero', logit: 8 }, 'expansion.in1->n1': { op: 'p3d-3x3x1', logit: 8 } }, new Rng(9));
      const tensors = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, tf.tensor1d(v)]));
      const g = deriveGenotype(space, tensors, { topK: null });
      expect(g.choices['expansion.in0->n1']).toBe('zero');
      expect(g.choices['expansion.in1->n1']).toBe('p3d-3x3x1');
      expect(diffGenotypes(g, deriveGenotype(space, values, { topK: null })).equal).toBe(true);
      tf.dispose(Object.values(tensors));
    });
  });

  it('typed errors for missing or malformed α', () => {
    const alphas = alphasFor({}, new Rng(1));
    const { ['reduction.in1->n1']: _dropped, ...missing } = alphas;
    expect(() => deriveGenotype(space, missing)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: deriveGenotype: alphas["reduction.in1->n1"] is missing, expected 4 logits]`,
    );
    expect(() => deriveGenotype(space, { ...alphas, 'reduction.in1->n1': [0, 1, Number.NaN, 2] })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: deriveGenotype: alphas["reduction.in1->n1"] has 4 value(s) [0, 1, NaN, 2], expected 4 finite logits (zero, identity, conv-3x3x3, p3d-3x3x1)]`,
    );
    expect(() => deriveGenotype(space, alphas, { topK: 0 })).toThrow(InvalidArgumentError);
    expect(() => deriveGenotype(space, alphas, { operators: 'node' as 'cell' })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: deriveGenotype: operators must be one of edge, cell, got node]`,
    );
  });
});

describe("deriveGenotype operators: 'cell'", () => {
  const CELLS = ['encoder-normal', 'reduction', 'decoder-normal', 'expansion'];
  /** Per cell type, the non-zero candidate with the largest summed probability (written out here, not via core). */
  function referenceCellOperators(alphas: Record<string, number[]>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const cell of CELLS) {
      const mass = CANDS.map(() => 0);
      for (const e of space.edges.filter((x) => x.cell === cell)) {
        const a = alphas[e.label]!;
        const z = a.reduce((s, v) => s + Math.exp(v), 0);
        a.forEach((v, i) => (mass[i]! += Math.exp(v) / z));
      }
      let best = 1;
      for (let i = 2; i < CANDS.length; i++) if (mass[i]! > mass[best]!) best = i;
      out[cell] = CANDS[best]!;
    }
    return out;
  }

  it('a lean spread over every edge beats an operator that wins a few edges outright', () => {
    // encoder-normal: conv-3x3x3 is each edge's winner on 3 of 9 edges, p3d-3x3x1 a close second everywhere
    const alphas = alphasFor({}, new Rng(11));
    const enc = space.edges.filter((e) => e.cell === 'encoder-normal');
    enc.forEach((e, i) => (alphas[e.label] = i < 3 ? [0, 0, 2, 1.5] : [0, 0.2, 0.1, 1]));
    const perEdge = deriveGenotype(space, alphas);
    expect(enc.filter((e, i) => i < 3 && perEdge.choices[e.label] === 'conv-3x3x3').length).toBeGreaterThan(0);
    const shared = deriveGenotype(space, alphas, { operators: 'cell' });
    for (const e of enc) expect(shared.choices[e.label]).toBe(perEdge.choices[e.label] === 'zero' ? 'zero' : 'p3d-3x3x1');
    expect(shared.meta).toEqual({ derivedBy: 'deriveGenotype', topK: 2, operators: 'cell' });
  });

  it.each([1, 2, 3])('random α (seed %i): the reference operator of each cell type on the same kept edges', (seed) => {
    const rng = new Rng(100 + seed);
    const alphas: Record<string, number[]> = {};
    for (const e of space.edges) alphas[e.label] = CANDS.map(() => rng.uniform(-2, 2));
    const want = referenceCellOperators(alphas);
    const perEdge = deriveGenotype(space, alphas);
    const shared = deriveGenotype(space, alphas, { operators: 'cell' });
    for (const e of space.edges) {
      expect(shared.choices[e.label] === 'zero').toBe(perEdge.choices[e.label] === 'zero');
      if (shared.choices[e.label] !== 'zero') expect(shared.choices[e.label]).toBe(want[e.cell]);
    }
    validateGenotype(JSON.parse(JSON.stringify(shared)), { space });
  });

  it('topK=null: edges whose argmax is zero stay zero, the others take the cell type operator', () => {
    const alphas = alphasFor({ 'decoder-normal.in0->n0': { op: 'zero', logit: 9 } }, new Rng(4));
    const want = referenceCellOperators(alphas);
    const g = deriveGenotype(space, alphas, { topK: null, operators: 'cell' });
    const argmax = deriveGenotype(space, alphas, { topK: null });
    expect(g.choices['decoder-normal.in0->n0']).toBe('zero');
    for (const e of space.edges) expect(g.choices[e.label]).toBe(argmax.choices[e.label] === 'zero' ? 'zero' : want[e.cell]);
  });
});

describe('sampleRandomGenotype', () => {
  it('2 random non-zero incoming edges per node; deterministic per seed', () => {
    const a = sampleRandomGenotype(space, new Rng(42));
    expect(sampleRandomGenotype(space, new Rng(42))).toEqual(a);
    expect(diffGenotypes(a, sampleRandomGenotype(space, new Rng(43))).equal).toBe(false);
    const byNode = new Map<string, number>();
    for (const e of space.edges) {
      if (a.choices[e.label] !== 'zero') byNode.set(`${e.cell}.${e.to}`, (byNode.get(`${e.cell}.${e.to}`) ?? 0) + 1);
    }
    expect([...byNode.values()]).toEqual(Array(12).fill(2));
  });

  it('over many draws every non-zero candidate and every edge appears', () => {
    const rng = new Rng(5);
    const ops = new Set<string>();
    const edges = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const g = sampleRandomGenotype(space, rng);
      for (const [label, op] of Object.entries(g.choices)) {
        if (op === 'zero') continue;
        ops.add(op);
        edges.add(label);
      }
    }
    expect([...ops].sort()).toEqual(['conv-3x3x3', 'identity', 'p3d-3x3x1']);
    expect(edges.size).toBe(space.edges.length);
  });
});

describe('diffGenotypes', () => {
  it('lists changed edges and macro fields', () => {
    const a = sampleRandomGenotype(space, new Rng(1));
    const label = 'decoder-normal.n1->n2';
    const other = a.choices[label] === 'identity' ? 'conv-3x3x3' : 'identity';
    const b = validateGenotype({ ...a, macro: { ...a.macro, baseChannels: 32 }, choices: { ...a.choices, [label]: other } });
    expect(diffGenotypes(a, b)).toEqual({
      equal: false,
      macro: [{ field: 'baseChannels', a: 16, b: 32 }],
      choices: [{ label, a: a.choices[label], b: other }],
    });
    expect(diffGenotypes(a, a)).toEqual({ equal: true, macro: [], choices: [] });
  });

  it('labels present in only one genotype (different node counts)', () => {
    const small = sampleRandomGenotype(createSearchSpace({ levels: 2, nodes: 1 }), new Rng(1));
    const d = diffGenotypes(small, sampleRandomGenotype(createSearchSpace({ levels: 2, nodes: 2 }), new Rng(1)));
    expect(d.macro).toEqual([{ field: 'nodes', a: 1, b: 2 }]);
    expect(d.choices.filter((c) => c.a === undefined).map((c) => c.label)).toEqual(
      ['encoder-normal', 'reduction', 'decoder-normal', 'expansion'].flatMap((c) => [`${c}.in0->n1`, `${c}.in1->n1`, `${c}.n0->n1`]),
    );
  });
});
