import { InvalidArgumentError, Rng } from '@voxnas/core';
import { runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { bootstrapCi } from './bootstrap.js';

describe('bootstrapCi', () => {
  it.each(['bca', 'percentile'] as const)(
    'covers the true mean at the nominal 95%% rate (%s; 400 seeded simulations, n = 40, binomial 3σ)',
    (method) => {
      const rng = new Rng(77).fork(method);
      const sims = 400;
      let covered = 0;
      for (let s = 0; s < sims; s++) {
        const x = Array.from({ length: 40 }, () => 2 + 0.5 * rng.normal());
        const ci = bootstrapCi(x, { rng, resamples: 1000, method });
        if (ci.lower <= 2 && 2 <= ci.upper) covered++;
      }
      // The bootstrap undercovers slightly at n = 40 (≈ 0.94); 3σ of a binomial(400, 0.95) ≈ 0.033.
      const sigma = Math.sqrt((0.95 * 0.05) / sims);
      expect(Math.abs(covered / sims - 0.95)).toBeLessThan(3 * sigma + 0.01);
    },
  );

  it('is reproducible: same seed same interval, different seed different interval', () => {
    const x = [0.81, 0.77, 0.9, 0.85, 0.79, 0.88, 0.84];
    const a = bootstrapCi(x, { rng: new Rng(1) });
    expect(bootstrapCi(x, { rng: new Rng(1) })).toEqual(a);
    expect(bootstrapCi(x, { rng: new Rng(2) }).lower).not.toBe(a.lower);
    expect(a.estimate).toBeCloseTo(5.84 / 7, 14);
    expect(a.lower).toBeLessThan(a.estimate);
    expect(a.upper).toBeGreaterThan(a.estimate);
  });

  it.each(['BCa', 'percentile'] as const)('agrees with scipy.stats.bootstrap (%s, skewed data) within Monte Carlo error', (m) => {
    const rng = new Rng(5);
    const x = Array.from({ length: 30 }, () => Math.exp(rng.normal()));
    const [lo, hi] = runPythonReference<[number, number]>(
      `import json, sys, numpy as np; from scipy import stats
a = json.load(sys.stdin)
r = stats.bootstrap((np.array(a['x']),), np.mean, n_resamples=40000, method=a['m'], random_state=1)
print(json.dumps([r.confidence_interval.low, r.confidence_interval.high]))`,
      { x, m },
    );
    const ci = bootstrapCi(x, { rng: new Rng(9), resamples: 40000, method: m === 'BCa' ? 'bca' : 'percentile' });
    const width = hi - lo;
    expect(Math.abs(ci.lower - lo)).toBeLessThan(0.03 * width);
    expect(Math.abs(ci.upper - hi)).toBeLessThan(0.03 * width);
  });

  it('median statistic and custom functions', () => {
    const x = [1, 2, 3, 4, 100];
    const med = bootstrapCi(x, { rng: new Rng(3), statistic: 'median', method: 'percentile', resamples: 2000 });
    expect(med.estimate).toBe(3);
    const max = bootstrapCi(x, { rng: new Rng(3), statistic: (s) => Math.max(...s), method: 'percentile' });
    expect(max.upper).toBe(100);
  });

  it('a constant sample gives a zero-width interval', () => {
    const ci = bootstrapCi([0.5, 0.5, 0.5, 0.5], { rng: new Rng(4), resamples: 200 });
    expect([ci.lower, ci.estimate, ci.upper]).toEqual([0.5, 0.5, 0.5]);
  });

  it('rejects bad input', () => {
    expect(() => bootstrapCi([1], { rng: new Rng(1) })).toThrow(InvalidArgumentError);
    expect(() => bootstrapCi([1, NaN], { rng: new Rng(1) })).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: bootstrapCi: values must be finite (drop NaN cases first), got NaN or Infinity]`);
    expect(() => bootstrapCi([1, 2], { rng: new Rng(1), confidence: 1 })).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: bootstrapCi: confidence must be in (0, 1), got 1]`);
  });
});
