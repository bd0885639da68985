import { expectClose, runPythonReference } from '@voxnas/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeMismatchError, Rng } from '@voxnas/core';
import { createVolume } from '../volume.js';
import { createPatchAggregator, gaussianImportanceMap } from './aggregator.js';
import { extractPatch, gridPatchStarts, windowStarts } from './grid.js';

const NP_PATCH = `
import sys, json, numpy as np
res = []
for a in json.load(sys.stdin):
    nx, ny, nz = a['shape']; px, py, pz = a['patch']; sx, sy, sz = a['start']
    arr = np.array(a['data']).reshape(nz, ny, nx)
    pad = 10
    p = np.pad(arr, pad)
    res.append(p[sz+pad:sz+pad+pz, sy+pad:sy+pad+py, sx+pad:sx+pad+px].ravel().tolist())
print(json.dumps(res))
`;
const STARTS = [
  [2, 1, 0],
  [-2, 3, -1],
  [8, 7, 5],
];

function volume(shape: [number, number, number], channels = 1) {
  const rng = new Rng(4);
  const data = Float32Array.from({ length: shape[0] * shape[1] * shape[2] * channels }, () => rng.normal());
  const affine = Float64Array.from([0, 0, 1.5, 3, -1, 0, 0, 2, 0, 0.8, 0, -4, 0, 0, 0, 1]);
  return createVolume({ data, shape, channels, affine });
}

describe('grid sampler and Gaussian aggregator', () => {
  it.each([
    { shape: [11, 9, 7], patch: [5, 4, 3], overlap: 0.5 },
    { shape: [13, 6, 5], patch: [6, 6, 3], overlap: 0.25 },
    { shape: [7, 9, 5], patch: [9, 4, 2], overlap: 0.5 },
  ])(
    'shape $shape patch $patch overlap $overlap: patches cover and aggregation reproduces the volume exactly',
    ({ shape, patch, overlap }) => {
      const v = volume(shape as [number, number, number], 2);
      const starts = gridPatchStarts({ shape, patchShape: patch, overlap });
      const agg = createPatchAggregator({ shape, patchShape: patch, channels: 2 });
      for (const s of starts) {
        for (let a = 0; a < 3; a++)
          if (patch[a]! < shape[a]!) expect(s[a]! + patch[a]!).toBeLessThanOrEqual(shape[a]!);
        agg.add(s, extractPatch(v, { start: s, patchShape: patch }).data);
      }
      expect(Array.from(agg.result())).toEqual(Array.from(v.data));
      // Step never exceeds p·(1 − overlap) on axes where the patch fits.
      for (let a = 0; a < 3; a++) {
        const xs = [...new Set(starts.map((s) => s[a]!))].sort((p, q) => p - q);
        for (let i = 1; i < xs.length; i++)
          expect(xs[i]! - xs[i - 1]!).toBeLessThanOrEqual(Math.max(1, Math.floor(patch[a]! * (1 - overlap))));
      }
    },
  );

  it('blending weighs patch centres more than borders', () => {
    const agg = createPatchAggregator({ shape: [9, 1, 1], patchShape: [5, 1, 1] });
    agg.add([0, 0, 0], [0, 0, 0, 0, 0]);
    agg.add([2, 0, 0], [1, 1, 1, 1, 1]);
    const r = agg.result();
    expect(r[2]! < 0.5).toBe(true); // centre of the first (0) beats the border of the second (1)
    expect(r[4]! > 0.5).toBe(true);
    const w = gaussianImportanceMap([5, 1, 1]);
    expect(w[2]).toBe(1);
    expect(w[0]! < w[1]!).toBe(true);
  });

  let refs: number[][] = [];
  beforeAll(() => {
    const v = volume([11, 9, 7]);
    refs = runPythonReference(
      NP_PATCH,
      STARTS.map((start) => ({ data: Array.from(v.data), shape: v.shape, patch: [5, 4, 3], start })),
    );
  });

  it.each(STARTS.map((start, i) => [start, i] as const))(
    'extractPatch start=%j matches numpy slicing of a zero-padded array; affine moves to the corner',
    (start, i) => {
      const v = volume([11, 9, 7]);
      const patch = [5, 4, 3];
      const p = extractPatch(v, { start, patchShape: patch });
      const ref = refs[i]!;
      expect(Array.from(p.data)).toEqual(ref.map((x) => Math.fround(x)));
      const a = v.affine;
      for (let i = 0; i < 3; i++)
        expect(p.affine[i * 4 + 3]).toBeCloseTo(
          a[i * 4 + 3]! + a[i * 4]! * start[0]! + a[i * 4 + 1]! * start[1]! + a[i * 4 + 2]! * start[2]!,
          12,
        );
    },
  );

  it('rejects a wrongly sized patch', () => {
    const agg = createPatchAggregator({ shape: [5, 5, 5], patchShape: [3, 3, 3], channels: 2 });
    expect(() => agg.add([0, 0, 0], new Float32Array(27))).toThrow(ShapeMismatchError);
    expect(() => agg.add([0, 0, 0], new Float32Array(27))).toThrowErrorMatchingInlineSnapshot(
      `[ShapeMismatchError: PatchAggregator.add: patch has 27 values, expected 54 (2 × [3, 3, 3])]`,
    );
  });
});

describe('windowStarts', () => {
  it.each([
    [10, 4, 0.5, [0, 2, 4, 6]],
    [11, 4, 0.5, [0, 2, 4, 6, 7]],
    [11, 4, 0, [0, 4, 7]],
    [3, 4, 0.5, [0]],
    [5, 5, 0.9, [0]],
    [6, 5, 0.99, [0, 1]],
  ])('size=%d window=%d overlap=%d', (size, window, overlap, expected) => {
    expect(windowStarts(size, window, overlap)).toEqual(expected);
  });

  it('rejects a bad size, window or overlap', () => {
    expect(() => windowStarts(0, 4, 0.5)).toThrow(InvalidArgumentError);
    expect(() => windowStarts(10, 4, 1)).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: windowStarts: overlap is 1, expected a number in [0, 1)]`);
  });
});

describe('gaussianImportanceMap', () => {
  it.each([[[5, 7, 3]], [[9, 3, 5]]] as Array<[[number, number, number]]>)(
    'window=%j matches scipy.ndimage.gaussian_filter of a centred delta (nnU-Net)',
    (w) => {
      const ref = runPythonReference<number[]>(
        `
import json, sys, numpy as np
from scipy.ndimage import gaussian_filter
w = json.load(sys.stdin)            # [x, y, z]
shape = (w[2], w[1], w[0])          # z, y, x so that C order is x fastest
tmp = np.zeros(shape); tmp[tuple(s // 2 for s in shape)] = 1
g = gaussian_filter(tmp, [s / 8 for s in shape], 0, mode='constant', cval=0)
g = g / g.max()
print(json.dumps(g.reshape(-1).tolist()))
`,
        w,
      );
      expectClose(gaussianImportanceMap(w), ref, { atol: 1e-12, rtol: 1e-9 });
    },
  );
});
