import { createSearchSpace } from '@voxnas/supernet';
import { describe, expect, it } from 'vitest';
import { alphaStats, detectCollapse, parameterFreeOperators } from './diagnostics.js';

const space = createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2 });

function alphas(fill: (candidates: readonly string[]) => number[]) {
  return Object.fromEntries(space.edges.map((e) => [e.label, fill(e.candidates)]));
}

describe('alphaStats', () => {
  it('uniform α has entropy 1 and probabilities 1/K', () => {
    const stats = alphaStats(space, alphas((c) => c.map(() => 0)));
    for (const s of stats) {
      expect(s.entropy).toBeCloseTo(1, 12);
      for (const p of s.probs) expect(p).toBeCloseTo(1 / s.candidates.length, 12);
    }
  });

  it('matches a hand computation for one edge', () => {
    const stats = alphaStats(space, alphas((c) => c.map((_, i) => (i === 2 ? Math.log(3) : 0))));
    const s = stats[0]!;
    const k = s.candidates.length;
    const p = [1 / (k + 2), 3 / (k + 2)];
    expect(s.probs[0]).toBeCloseTo(p[0]!, 12);
    expect(s.probs[2]).toBeCloseTo(p[1]!, 12);
    const h = -((k - 1) * p[0]! * Math.log(p[0]!) + p[1]! * Math.log(p[1]!));
    expect(s.entropy).toBeCloseTo(h / Math.log(k), 12);
    expect(s.argmax).toBe(s.candidates[2]);
  });

  it('rejects a missing or mis-sized edge', () => {
    expect(() => alphaStats(space, {})).toThrow(`alphaStats: alphas["${space.edges[0]!.label}"] is missing`);
    const bad = alphas((c) => c.map(() => 0));
    bad[space.edges[1]!.label] = [0];
    expect(() => alphaStats(space, bad)).toThrow(/has 1 values, expected/);
  });
});

describe('parameterFreeOperators', () => {
  it('is decided by the cost model: zero and identity, not convolutions', () => {
    const free = parameterFreeOperators(space);
    expect(free.has('zero')).toBe(true);
    expect(free.has('identity')).toBe(true);
    expect(free.has('conv-3x3x3')).toBe(false);
  });
});

describe('detectCollapse', () => {
  const free = parameterFreeOperators(space);
  const at = (step: number, fill: (c: readonly string[]) => number[]) => ({ step, stats: alphaStats(space, alphas(fill)) });

  it('flags parameter-free dominance', () => {
    const h = [at(10, (c) => c.map((n) => (free.has(n) ? 5 : 0)))];
    expect(detectCollapse(h, free).map((w) => w.code)).toEqual(['parameter-free-dominance']);
  });

  it('flags flat entropy but not a learning search', () => {
    const flat = [1, 2, 3].map((s) => at(s, (c) => c.map(() => 0)));
    expect(detectCollapse(flat, free).map((w) => w.code)).toEqual(['entropy-flat']);
    const learning = [0, 1, 2].map((s) => at(s, (c) => c.map((n) => (n === 'conv-3x3x3' ? s : 0))));
    expect(detectCollapse(learning, free)).toEqual([]);
  });

  it('flags an early collapse of the entropy', () => {
    const h = [0, 1, 2, 3].map((s) => at(s, (c) => c.map((n) => (n === 'conv-3x3x3' ? 30 : 0))));
    const codes = detectCollapse(h, free).map((w) => w.code);
    expect(codes).toContain('entropy-collapsed');
    expect(codes).not.toContain('entropy-flat');
  });

  it('flags α near uniform in the second half of the architecture phase only', () => {
    // The phantom search of the issue: mean entropy 0.982 at step 199 of 200 after a 60-step warm-up.
    const nearUniform = (step: number) => at(step, (c) => c.map((n) => (n === 'conv-3x3x3' ? 0.35 : 0)));
    const opts = { totalSteps: 200, warmupSteps: 60 };
    const h = [nearUniform(99), nearUniform(149), nearUniform(199)];
    expect(detectCollapse(h.slice(0, 1), free, opts).map((w) => w.code)).not.toContain('alpha-near-uniform');
    const late = detectCollapse(h, free, opts).filter((w) => w.code === 'alpha-near-uniform');
    expect(late).toHaveLength(1);
    expect(late[0]!.message).toMatchInlineSnapshot(`"α is still near uniform at step 200 of 200: mean edge entropy 0.994 (limit 0.95), mean top probability 0.221 against 0.167 for uniform — the derived genotype is close to a random draw; raise search.archLr (e.g. ×10), lower search.tauStart, or search for more steps"`);
    const decided = [at(199, (c) => c.map((n) => (n === 'conv-3x3x3' ? 3 : 0)))];
    expect(detectCollapse(decided, free, opts).map((w) => w.code)).not.toContain('alpha-near-uniform');
  });
});
