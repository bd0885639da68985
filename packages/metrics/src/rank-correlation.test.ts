import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { haveReferences, runPythonReference } from '@voxnas/testing';
import { kendallTau, rankCorrelationCi, spearmanRho } from './rank-correlation.js';

// Fixed inputs covering the exact path (no ties, n ≤ 33), ties (asymptotic), n > 33 and perfect order.
const CASES: Array<[string, number[], number[]]> = [
  ['n=5 no ties', [1, 2, 3, 4, 5], [3, 1, 2, 5, 4]],
  ['n=9 proxy vs stand-alone', [0.11, 0.31, 0.05, 0.42, 0.27, 0.19, 0.38, 0.02, 0.25], [0.71, 0.83, 0.69, 0.8, 0.86, 0.7, 0.9, 0.64, 0.77]],
  ['n=10 ties in both', [1, 2, 2, 3, 4, 4, 4, 5, 6, 7], [2, 1, 3, 3, 5, 4, 6, 6, 8, 7]],
  ['n=40 no ties', Array.from({ length: 40 }, (_, i) => (i * 17) % 41), Array.from({ length: 40 }, (_, i) => (i * 23 + 5) % 43)],
  ['n=6 reversed', [1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]],
  ['n=4 one discordant pair', [1, 2, 3, 4], [1, 3, 2, 4]],
];

describe.runIf(haveReferences('numpy', 'scipy'))('rank correlations against scipy.stats', () => {
  const ref = runPythonReference<Array<{ tau: number; tp: number; rho: number; rp: number }>>(
    `
import json, sys
from scipy import stats
out = []
for x, y in json.load(sys.stdin):
    k = stats.kendalltau(x, y)
    s = stats.spearmanr(x, y)
    out.append({'tau': float(k.correlation), 'tp': float(k.pvalue), 'rho': float(s.correlation), 'rp': float(s.pvalue)})
print(json.dumps(out))
`,
    CASES.map(([, x, y]) => [x, y]),
  );

  it.each(CASES.map((c, i) => [c[0], i] as const))('%s', (_name, i) => {
    const [, x, y] = CASES[i]!;
    const k = kendallTau(x, y);
    const s = spearmanRho(x, y);
    expect(k.tau).toBeCloseTo(ref[i]!.tau, 12);
    expect(Math.abs(k.pvalue - ref[i]!.tp)).toBeLessThanOrEqual(1e-10 + 1e-9 * ref[i]!.tp);
    expect(s.rho).toBeCloseTo(ref[i]!.rho, 12);
    expect(Math.abs(s.pvalue - ref[i]!.rp)).toBeLessThanOrEqual(1e-10 + 1e-9 * ref[i]!.rp);
  });

  it('the bootstrap interval equals numpy percentiles of scipy τ over the same resampled pairs', () => {
    const [, x, y] = CASES[1]!;
    const B = 400;
    const ci = rankCorrelationCi(x, y, { rng: new Rng(7).fork('tau'), resamples: B });
    // The same index draws, replayed: ⌊float·n⌋ per pair, n per resample.
    const rng = new Rng(7).fork('tau');
    const indices = Array.from({ length: B }, () => x.map(() => Math.floor(rng.float() * x.length)));
    const expected = runPythonReference<{ lo: number; hi: number; n: number; est: number }>(
      `
import json, sys, math
import numpy as np
from scipy import stats
d = json.load(sys.stdin)
x = np.array(d['x']); y = np.array(d['y'])
vals = []
for idx in d['idx']:
    a, b = x[idx], y[idx]
    if len(set(a.tolist())) < 2 or len(set(b.tolist())) < 2: continue
    vals.append(stats.kendalltau(a, b).correlation)
print(json.dumps({'lo': float(np.percentile(vals, 2.5)), 'hi': float(np.percentile(vals, 97.5)), 'n': len(vals), 'est': float(stats.kendalltau(x, y).correlation)}))
`,
      { x, y, idx: indices },
    );
    expect(ci.resamples).toBe(expected.n);
    expect(ci.estimate).toBeCloseTo(expected.est, 12);
    expect(ci.lower).toBeCloseTo(expected.lo, 12);
    expect(ci.upper).toBeCloseTo(expected.hi, 12);
    expect(ci.lower).toBeLessThanOrEqual(ci.estimate);
    expect(ci.upper).toBeGreaterThanOrEqual(ci.estimate);
  });

  it('constant samples give NaN, bad input a typed error', () => {
    expect(kendallTau([1, 1, 1], [1, 2, 3]).tau).toBeNaN();
    expect(spearmanRho([1, 2, 3], [4, 4, 4]).rho).toBeNaN();
    expect(() => kendallTau([1, 2], [1])).toThrow(InvalidArgumentError);
    expect(() => spearmanRho([1, Number.NaN], [1, 2])).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: spearmanRho: values must be finite, got NaN or Infinity]`);
    expect(() => rankCorrelationCi([1, 2, 3], [1, 2, 3], { rng: new Rng(1), statistic: 'pearson' as 'kendall' })).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: rankCorrelationCi: statistic must be 'kendall' or 'spearman', got 'pearson']`);
  });
});
