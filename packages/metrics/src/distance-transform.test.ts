import { InvalidArgumentError, Rng, ShapeMismatchError } from '@voxnas/core';
import { expectClose, runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { distanceTransformEdt, type Shape3, type Spacing3 } from './distance-transform.js';

function bruteForce(f: Uint8Array, shape: Shape3, s: Spacing3): Float64Array {
  const [nx, ny, nz] = shape;
  const pts: [number, number, number][] = [];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (f[i + j * nx + k * nx * ny]) pts.push([i, j, k]);
  const out = new Float64Array(nx * ny * nz);
  for (let k = 0, p = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, p++) {
        let best = Infinity;
        for (const [a, b, c] of pts) best = Math.min(best, Math.hypot((i - a) * s[0], (j - b) * s[1], (k - c) * s[2]));
        out[p] = best;
      }
  return out;
}

function randomFeatures(rng: Rng, n: number, p: number): Uint8Array {
  const f = new Uint8Array(n);
  for (let i = 0; i < n; i++) f[i] = rng.float() < p ? 1 : 0;
  return f;
}

describe('distanceTransformEdt', () => {
  it.each([
    { shape: [7, 5, 9] as Shape3, spacing: [1, 1, 1] as Spacing3, p: 0.05 },
    { shape: [9, 6, 5] as Shape3, spacing: [0.7, 1.3, 2.9] as Spacing3, p: 0.02 },
    { shape: [1, 11, 4] as Shape3, spacing: [2, 0.5, 1.5] as Spacing3, p: 0.1 },
    { shape: [13, 1, 1] as Shape3, spacing: [0.3, 1, 1] as Spacing3, p: 0.15 },
    { shape: [5, 7, 3] as Shape3, spacing: [3.1, 0.9, 1.1] as Spacing3, p: 0.003 },
  ])('equals brute force: shape=$shape spacing=$spacing density=$p', ({ shape, spacing, p }) => {
    const rng = new Rng(shape[0] * 100 + shape[1]);
    const n = shape[0] * shape[1] * shape[2];
    const f = randomFeatures(rng, n, p);
    f[rng.int(0, n)] = 1;
    const d = distanceTransformEdt(f, { shape, spacingMm: spacing });
    expectClose(d, bruteForce(f, shape, spacing), { atol: 1e-9, rtol: 1e-12 });
  });

  it('is Infinity everywhere without features, 0 on features, and squared on request', () => {
    const shape: Shape3 = [4, 3, 5];
    expect(Array.from(distanceTransformEdt(new Uint8Array(60), { shape })).every((x) => x === Infinity)).toBe(true);
    const f = new Uint8Array(60);
    f[7] = 1;
    const d2 = distanceTransformEdt(f, { shape, spacingMm: [1, 2, 3], squared: true });
    expect(d2[7]).toBe(0);
    // voxel (3, 2, 4) from (3, 1, 0): dy = 1·2, dz = 4·3 → 4 + 144
    expect(d2[3 + 2 * 4 + 4 * 12]).toBe(148);
  });

  it('matches scipy.ndimage.distance_transform_edt(features == 0, sampling) on a 15×12×9 grid', () => {
    const shape: Shape3 = [15, 12, 9];
    const spacing: Spacing3 = [0.8, 1.25, 2.5];
    const f = randomFeatures(new Rng(11), 15 * 12 * 9, 0.01);
    const ref = runPythonReference<number[]>(
      `
import json, sys, numpy as np
from scipy import ndimage
a = json.load(sys.stdin)
f = np.array(a['f'], dtype=np.uint8).reshape(a['shape'][::-1])  # (z, y, x)
d = ndimage.distance_transform_edt(f == 0, sampling=a['spacing'][::-1])
print(json.dumps(d.ravel().tolist()))
`,
      { f: Array.from(f), shape, spacing },
    );
    expectClose(distanceTransformEdt(f, { shape, spacingMm: spacing }), ref, { atol: 1e-9, rtol: 1e-9 });
  });

  it('rejects bad shapes, spacings and lengths with typed errors', () => {
    expect(() => distanceTransformEdt(new Uint8Array(6), { shape: [1, 2, 3], spacingMm: [1, 0, 1] })).toThrow(
      InvalidArgumentError,
    );
    expect(() => distanceTransformEdt(new Uint8Array(6), { shape: [1, 2, 3], spacingMm: [1, 0, 1] }))
      .toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: distanceTransformEdt: spacingMm must be 3 finite positive numbers [sx, sy, sz], got [1, 0, 1]]`);
    expect(() => distanceTransformEdt(new Uint8Array(5), { shape: [1, 2, 3] })).toThrow(ShapeMismatchError);
    expect(() => distanceTransformEdt(new Uint8Array(5), { shape: [1, 2, 3] })).toThrowErrorMatchingInlineSnapshot(`[ShapeMismatchError: distanceTransformEdt: features has 5 elements, expected 6 for shape [1, 2, 3]]`);
    expect(() => distanceTransformEdt(new Uint8Array(5), { shape: [1, 2.5, 3] })).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: distanceTransformEdt: shape must be 3 positive integers [nx, ny, nz], got [1, 2.5, 3]]`);
  });
});
