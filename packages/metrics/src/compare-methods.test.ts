import { Rng, ShapeMismatchError } from '@voxnas/core';
import { runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { aggregateSeeds, compareMethods } from './compare-methods.js';

describe('aggregateSeeds', () => {
  it('averages over seeds per case and reports the seed-to-seed spread', () => {
    const agg = aggregateSeeds([
      [0.8, 0.7, 0.9],
      [0.82, NaN, 0.88],
    ]);
    expect(agg.perCase.map((v) => Number(v.toFixed(12)))).toEqual([0.81, 0.7, 0.89]);
    expect(agg.perSeedMean.map((v) => Number(v.toFixed(12)))).toEqual([0.8, 0.85]);
    expect(agg.seedStd).toBeCloseTo(Math.SQRT1_2 * 0.05, 12);
    expect([agg.seeds, agg.cases]).toEqual([2, 3]);
  });

  it('rejects seeds that scored different cases', () => {
    expect(() => aggregateSeeds([[1, 2], [1]])).toThrow(ShapeMismatchError);
    expect(() => aggregateSeeds([[1, 2], [1]])).toThrowErrorMatchingInlineSnapshot(`[ShapeMismatchError: aggregateSeeds: seed 1 has 1 cases, seed 0 has 2; expected every seed to score the same cases]`);
  });
});

describe('compareMethods', () => {
  // 3 seeds of a "searched" net and 2 of a U-Net on 18 cases; the searched net is ~0.02 better.
  const rng = new Rng(31);
  const caseDifficulty = Array.from({ length: 18 }, () => 0.75 + 0.08 * rng.normal());
  const searched = Array.from({ length: 3 }, () => caseDifficulty.map((d) => d + 0.02 + 0.02 * rng.normal()));
  const unet = Array.from({ length: 2 }, () => caseDifficulty.map((d) => d + 0.02 * rng.normal()));
  searched[0]![5] = NaN; // one failed case on one seed: that case uses the other seeds
  const cmp = compareMethods(searched, unet, {
    rng: new Rng(1).fork('compare'),
    names: ['searched', 'U-Net'],
    metric: 'Dice',
  });

  it('tests the per-case seed means with Wilcoxon (equal to scipy) and bootstraps the mean difference', () => {
    const p = runPythonReference<number>(
      `import json, sys, numpy as np; from scipy import stats
a, b = json.load(sys.stdin)
print(json.dumps(float(stats.wilcoxon(np.nanmean(np.array(a, dtype=float), 0), np.mean(b, 0)).pvalue)))`,
      [searched.map((r) => r.map((v) => (Number.isNaN(v) ? null : v))), unet],
    );
    expect(cmp.wilcoxon.pvalue).toBeCloseTo(p, 12);
    expect(cmp.wilcoxon.method).toBe('exact');
    expect(cmp.differences).toHaveLength(18);
    expect(cmp.ci.lower).toBeLessThan(cmp.meanDifference);
    expect(cmp.ci.upper).toBeGreaterThan(cmp.meanDifference);
    expect(cmp.meanDifference).toBeCloseTo(cmp.a.perCase.reduce((s, v) => s + v, 0) / 18 - cmp.b.perCase.reduce((s, v) => s + v, 0) / 18, 12);
  });

  it('states the result in one line', () => {
    const f = (x: number) => x.toFixed(3);
    expect(cmp.statement).toBe(
      `searched − U-Net = +${f(cmp.meanDifference)} Dice (95% CI [${f(cmp.ci.lower)}, ${f(cmp.ci.upper)}]; ` +
        `Wilcoxon p = ${cmp.wilcoxon.pvalue.toPrecision(2)}; n = 18 cases; seeds 3 vs 2)`,
    );
  });

  it('drops cases with no score for a method and rejects different case counts', () => {
    const c = compareMethods([[0.5, NaN, 0.7, 0.6]], [[0.4, 0.5, 0.6, 0.55]], { rng: new Rng(2), resamples: 500 });
    expect(c.droppedCases).toEqual([1]);
    expect(() => compareMethods([[1, 2, 3]], [[1, 2]], { rng: new Rng(2) })).toThrowErrorMatchingInlineSnapshot(`[ShapeMismatchError: compareMethods: method A scores 3 cases and method B 2; expected the same test cases]`);
  });
});
