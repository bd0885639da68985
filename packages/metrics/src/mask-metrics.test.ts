import { InvalidArgumentError, Rng } from '@voxnas/core';
import { haveReferences, runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import type { Shape3, Spacing3 } from './distance-transform.js';
import { EmptyMaskError } from './errors.js';
import { perturbMask, randomBlobMask } from '../test/fixtures.js';
import { SCIPY_MASK_METRICS } from '../test/scipy-reference.js';
import { percentile } from './internal/percentile.js';
import { computeMaskMetrics, METRIC_NAMES, type MaskMetrics } from './mask-metrics.js';
import type { Connectivity } from './surface.js';

interface Case {
  shape: Shape3;
  spacing: Spacing3;
  connectivity: Connectivity;
  percentile: number;
  tol: number;
  seed: number;
}

const CASES: Case[] = [
  { shape: [13, 11, 9], spacing: [1, 1, 1], connectivity: 6, percentile: 95, tol: 1, seed: 1 },
  { shape: [15, 9, 7], spacing: [0.7, 1.2, 2.5], connectivity: 6, percentile: 95, tol: 1.5, seed: 2 },
  { shape: [11, 14, 6], spacing: [1.1, 0.6, 3], connectivity: 18, percentile: 90, tol: 2, seed: 3 },
  { shape: [9, 12, 13], spacing: [2, 1, 0.5], connectivity: 26, percentile: 99, tol: 0.5, seed: 4 },
  { shape: [16, 5, 11], spacing: [0.45, 0.45, 3.3], connectivity: 6, percentile: 50, tol: 1, seed: 5 },
];

describe.runIf(haveReferences('numpy', 'scipy'))('computeMaskMetrics vs scipy', () => {
  const inputs = CASES.map((c) => {
    const rng = new Rng(c.seed);
    const r = randomBlobMask(rng, c.shape);
    // Odd seeds: an unrelated mask; even seeds: a shifted, noisy copy (a realistic prediction).
    const p = c.seed % 2 ? randomBlobMask(rng, c.shape) : perturbMask(rng, r, c.shape);
    return { ...c, p, r };
  });
  const ref = runPythonReference<Record<string, number | null>[]>(SCIPY_MASK_METRICS, {
    cases: inputs.map((c) => ({ ...c, p: Array.from(c.p), r: Array.from(c.r) })),
  });

  it.each(inputs.map((c, i) => ({ ...c, i })))(
    'shape=$shape spacing=$spacing connectivity=$connectivity percentile=$percentile τ=$tol mm',
    (c) => {
      const i = c.i;
      const got = computeMaskMetrics(c.p, c.r, {
        shape: c.shape,
        spacingMm: c.spacing,
        connectivity: c.connectivity,
        percentile: c.percentile,
        nsdToleranceMm: c.tol,
      });
      const want = ref[i]!;
      expect(got.counts).toEqual({ tp: want.tp, fp: want.fp, fn: want.fn, tn: want.tn });
      expect(got.surfaceVoxels).toEqual({ prediction: want.surfP, reference: want.surfR });
      for (const m of METRIC_NAMES) expect(got.metrics[m], m).toBeCloseTo(want[m]!, 10);
      expect(got.empty).toBe('none');
    },
  );
});

describe('computeMaskMetrics', () => {
  const shape: Shape3 = [7, 6, 5];
  const spacingMm: Spacing3 = [1, 2, 3];
  const blob = () => {
    const m = new Uint8Array(210);
    m[2 + 3 * 7 + 2 * 42] = 1;
    m[3 + 3 * 7 + 2 * 42] = 1;
    return m;
  };
  const empty = () => new Uint8Array(210);
  const values = (r: MaskMetrics) => METRIC_NAMES.map((m) => r.metrics[m]);
  const worst = Math.hypot(7, 12, 15);

  it('identical masks score perfectly', () => {
    expect(values(computeMaskMetrics(blob(), blob(), { shape, spacingMm }))).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 1]);
  });

  it.each([
    ['both empty, default nan', empty(), empty(), {}, [NaN, NaN, NaN, NaN, 1, NaN, NaN, NaN, NaN, NaN], 'both'],
    ['both empty, perfect', empty(), empty(), { bothEmpty: 'perfect' }, [1, 1, 1, 1, 1, 1, 0, 0, 0, 1], 'both'],
    ['empty prediction, default worst', empty(), blob(), {}, [0, 0, 0, 0, 1, 0, worst, worst, worst, 0], 'prediction'],
    ['empty reference, worst 99', blob(), empty(), { worstDistanceMm: 99 }, [0, 0, 0, 0, 208 / 210, 0, 99, 99, 99, 0], 'reference'],
    ['empty reference, nan', blob(), empty(), { oneEmpty: 'nan' }, [0, 0, 0, NaN, 208 / 210, 0, NaN, NaN, NaN, NaN], 'reference'],
    ['empty prediction, nan', empty(), blob(), { oneEmpty: 'nan' }, [0, 0, NaN, 0, 1, 0, NaN, NaN, NaN, NaN], 'prediction'],
  ] as const)('%s', (_t, p, r, empty, expected, which) => {
    const res = computeMaskMetrics(p, r, { shape, spacingMm, empty });
    expect(values(res)).toEqual(expected);
    expect(res.empty).toBe(which);
  });

  it('empty policy error throws EmptyMaskError naming the case', () => {
    expect(() => computeMaskMetrics(empty(), empty(), { shape, empty: { bothEmpty: 'error' } })).toThrow(EmptyMaskError);
    expect(() =>
      computeMaskMetrics(empty(), empty(), { shape, empty: { bothEmpty: 'error' } }),
    ).toThrowErrorMatchingInlineSnapshot(`[EmptyMaskError: computeMaskMetrics: prediction and reference are empty, so the metrics are undefined; expected non-empty masks because the empty policy says bothEmpty: 'error' (use 'nan', or 'perfect', to score it)]`);
    expect(() =>
      computeMaskMetrics(blob(), empty(), { shape, empty: { oneEmpty: 'error' } }),
    ).toThrowErrorMatchingInlineSnapshot(`[EmptyMaskError: computeMaskMetrics: reference is empty, so the metrics are undefined; expected non-empty masks because the empty policy says oneEmpty: 'error' (use 'nan', or 'worst', to score it)]`);
    expect(new EmptyMaskError('x').code).toBe('E_EMPTY_MASK');
  });

  it('rejects bad options', () => {
    expect(() => computeMaskMetrics(blob(), blob(), { shape, percentile: 101 })).toThrow(InvalidArgumentError);
    expect(() => computeMaskMetrics(blob(), blob(), { shape, percentile: 101 })).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: computeMaskMetrics: percentile must be in [0, 100], got 101]`);
    expect(() =>
      computeMaskMetrics(blob(), blob(), { shape, connectivity: 8 as Connectivity }),
    ).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: computeMaskMetrics: connectivity must be 6, 18 or 26, got 8]`);
    expect(() =>
      computeMaskMetrics(blob(), new Uint8Array(3), { shape }),
    ).toThrowErrorMatchingInlineSnapshot(`[ShapeMismatchError: computeMaskMetrics: prediction has 210 and reference 3 elements, expected 210 for shape [7, 6, 5]]`);
  });

  it('skipSurface leaves the surface metrics NaN', () => {
    const r = computeMaskMetrics(blob(), blob(), { shape, skipSurface: true });
    expect([r.metrics.dice, r.metrics.hausdorff, r.metrics.nsd]).toEqual([1, NaN, NaN]);
  });
});

describe('percentile', () => {
  it('matches numpy linear interpolation', () => {
    const x = [5, 1, 9, 3, 7, 2];
    const want = runPythonReference<number[]>(
      `import json, numpy as np; print(json.dumps([float(np.percentile([5,1,9,3,7,2], q)) for q in [0, 10, 50, 95, 100]]))`,
    );
    expect([0, 10, 50, 95, 100].map((q) => percentile(x, q))).toEqual(want);
    expect(percentile([], 50)).toBeNaN();
  });
});
