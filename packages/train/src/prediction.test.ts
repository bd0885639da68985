import { writePrediction } from './node/write-prediction.js';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { Rng, multiplyAffine } from '@voxnas/core';
import { GeometryError, createVolume, crop, orientationCode, reorient, resample, type Volume } from '@voxnas/volume';
import { expectNoLeaks, runPythonReference, withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { checkSameGrid, mapLabelsToGrid, predictCase } from './prediction.js';

const SHAPE = [9, 7, 6] as const;
// Oblique, anisotropic, with an axis flip: nothing lines up by accident.
const AFFINE = [0.9, 0.1, 0, -20, -0.05, 0, 1.4, 5, 0, -1.1, 0.2, 12, 0, 0, 0, 1];

function labelVolume(seed: number): Volume<'uint8'> {
  const rng = new Rng(seed);
  const data = Uint8Array.from({ length: SHAPE[0] * SHAPE[1] * SHAPE[2] }, () => rng.int(0, 4));
  return createVolume({ data, shape: SHAPE, affine: AFFINE, kind: 'label' });
}

// scipy.ndimage.affine_transform(order=0, mode='grid-constant'): each output voxel takes the input voxel
// nearest to M·[i,j,k,1], or 0 when that voxel is outside the input.
const SCIPY_NEAREST = `
import json, sys, numpy as np
from scipy.ndimage import affine_transform
d = json.load(sys.stdin)
src = np.array(d['data'], dtype=np.float64).reshape(d['srcShape'], order='F')
A_src = np.array(d['srcAffine']).reshape(4, 4); A_tgt = np.array(d['tgtAffine']).reshape(4, 4)
M = np.linalg.inv(A_src) @ A_tgt
out = affine_transform(src, M[:3, :3], offset=M[:3, 3], output_shape=tuple(d['tgtShape']), order=0, mode='grid-constant', cval=0)
print(json.dumps(out.reshape(-1, order='F').astype(int).tolist()))
`;

describe('mapLabelsToGrid', () => {
  it.each([
    ['resampled 1.37× with an offset', [7, 6, 5], [1.37, 0, 0, 0.21, 0, 1.37, 0, -0.33, 0, 0, 1.37, 0.4, 0, 0, 0, 1]],
    ['finer and flipped along y', [12, 10, 8], [0.71, 0, 0, 0.13, 0, -0.66, 0, 6.2, 0, 0, 0.77, -0.29, 0, 0, 0, 1]],
    ['rotated about z', [10, 9, 6], [0.8, -0.6, 0, 2.13, 0.6, 0.8, 0, -1.27, 0, 0, 1.05, 0.17, 0, 0, 0, 1]],
  ] as Array<[string, [number, number, number], number[]]>)('matches scipy affine_transform(order=0): %s', (_t, shape, voxelMap) => {
    const labels = labelVolume(1);
    // The target grid is defined relative to the source grid: A_tgt = A_src · voxelMap.
    const grid = { shape, affine: multiplyAffine(AFFINE, voxelMap) };
    const ours = mapLabelsToGrid(labels, grid);
    const ref = runPythonReference<number[]>(SCIPY_NEAREST, {
      data: Array.from(labels.data),
      srcShape: SHAPE,
      srcAffine: AFFINE,
      tgtShape: shape,
      tgtAffine: Array.from(grid.affine),
    });
    expect(Array.from(ours.data)).toEqual(ref);
    expect(ours.dtype).toBe('uint8');
    expect(ours.kind).toBe('label');
    expect(ours.shape).toEqual(shape);
  });

  it('is the identity on the same grid', () => {
    const labels = labelVolume(2);
    expect(mapLabelsToGrid(labels, labels).data).toEqual(labels.data);
  });
});

describe('predictCase', () => {
  it('undoes a flip + crop preprocessing and writes NIfTI on the input grid (read back with nibabel)', async () => {
    const truth = labelVolume(3);
    const image = createVolume({ data: Float32Array.from(truth.data), shape: SHAPE, affine: AFFINE });
    // Preprocess: flip x, then crop to x ∈ [1, 7), y ∈ [2, 7), z ∈ [0, 5) of the flipped volume.
    const [nx, ny] = SHAPE;
    const crop = { x0: 1, y0: 2, z0: 0, sx: 6, sy: 5, sz: 5 };
    const preprocess = (v: Volume): Volume => {
      const out = new Float32Array(crop.sx * crop.sy * crop.sz);
      for (let z = 0, o = 0; z < crop.sz; z++)
        for (let y = 0; y < crop.sy; y++)
          for (let x = 0; x < crop.sx; x++, o++) {
            const fx = crop.x0 + x; // index in the flipped volume
            out[o] = v.data[nx - 1 - fx + nx * (crop.y0 + y + ny * (crop.z0 + z))]!;
          }
      // output voxel (x, y, z) = input voxel (nx − 1 − (x0 + x), y0 + y, z0 + z)
      const m = [-1, 0, 0, nx - 1 - crop.x0, 0, 1, 0, crop.y0, 0, 0, 1, crop.z0, 0, 0, 0, 1];
      return createVolume({ data: out, shape: [crop.sx, crop.sy, crop.sz], affine: multiplyAffine(v.affine, m) });
    };
    // "Network": one-hot of the voxel value, as logits.
    const predict = (x: tf.Tensor5D) =>
      tf.tidy(() => tf.mul(tf.oneHot(tf.cast(tf.squeeze(x, [4]), 'int32'), 4), 10) as tf.Tensor5D);
    await withTempDir(async (dir) => {
      const path = join(dir, 'case.nii.gz');
      const labels = await expectNoLeaks(() => predictCase(image, predict, { preprocess, windowSize: [4, 3, 3], overlap: 0.5 }).then((l) => writePrediction(l, { reference: image, path })));
      const expected = new Uint8Array(truth.data.length);
      for (let z = 0; z < SHAPE[2]; z++)
        for (let y = 0; y < SHAPE[1]; y++)
          for (let x = 0; x < SHAPE[0]; x++) {
            const fx = nx - 1 - x;
            const inside = fx >= crop.x0 && fx < crop.x0 + crop.sx && y >= crop.y0 && y < crop.y0 + crop.sy && z < crop.sz;
            const i = x + nx * (y + ny * z);
            expected[i] = inside ? truth.data[i]! : 0;
          }
      expect(labels.data).toEqual(expected);
      const nib = runPythonReference<{ data: number[]; affine: number[]; shape: number[] }>(
        `
import json, sys, nibabel as nib, numpy as np
img = nib.load(json.load(sys.stdin))
print(json.dumps({'data': np.asarray(img.dataobj).reshape(-1, order='F').astype(int).tolist(),
                  'affine': img.affine.reshape(-1).tolist(), 'shape': list(img.shape)}))
`,
        path,
      );
      expect(nib.shape).toEqual([...SHAPE]);
      expect(nib.data).toEqual(Array.from(expected));
      nib.affine.forEach((a, i) => expect(Math.abs(a - AFFINE[i]!)).toBeLessThan(1e-5));
    });
  });
});

describe('predictCase with @voxnas/volume preprocessing', () => {
  it('undoes reorient(RAS) → resample(½ spacing) → crop exactly', async () => {
    const shape = [9, 8, 7] as const;
    const affine = [-1.5, 0, 0, 30, 0, -1.2, 0, 20, 0, 0, 2, -10, 0, 0, 0, 1]; // LPS
    const rng = new Rng(11);
    const truth = Uint8Array.from({ length: 9 * 8 * 7 }, () => rng.int(0, 3));
    // The image holds the class as intensity; kind 'label' so resampling is nearest, like a label map.
    const image = createVolume({ data: Float32Array.from(truth), shape, affine, kind: 'label' });
    expect(orientationCode(image)).toBe('LPS');
    const box = { start: [3, 2, 1] as const, end: [15, 13, 12] as const };
    const preprocess = (v: Volume) => crop(resample(reorient(v, 'RAS'), { spacingMm: [0.75, 0.6, 1] }), box);
    const predict = (x: tf.Tensor5D) =>
      tf.tidy(() => tf.mul(tf.oneHot(tf.cast(tf.squeeze(x, [4]), 'int32'), 3), 10) as tf.Tensor5D);
    const labels = await expectNoLeaks(() => predictCase(image, predict, { preprocess, windowSize: [6, 5, 4], overlap: 0.5 }));
    // Original voxel (i, j, k) lands on preprocessed voxel (2(8−i)+1, 2(7−j)+1, 2k+1) − box.start
    // (x and y flipped to RAS, each voxel split in two, nearest rounds the centre's .5 up).
    let inside = 0;
    for (let k = 0; k < 7; k++)
      for (let j = 0; j < 8; j++)
        for (let i = 0; i < 9; i++) {
          const p = [2 * (8 - i) + 1, 2 * (7 - j) + 1, 2 * k + 1];
          const isIn = p.every((c, a) => c >= box.start[a]! && c < box.end[a]!);
          const v = i + 9 * (j + 8 * k);
          expect(labels.data[v]).toBe(isIn ? truth[v] : 0);
          if (isIn) inside++;
        }
    expect(inside).toBeGreaterThan(100);
    expect(Array.from(labels.affine)).toEqual(affine);
  });
});

describe('checkSameGrid', () => {
  it('names the mismatch', () => {
    const a = labelVolume(4);
    expect(() => checkSameGrid({ shape: [9, 7, 5], affine: AFFINE }, a)).toThrowErrorMatchingInlineSnapshot(`[GeometryError: checkSameGrid: shape is [9, 7, 5], expected the input's [9, 7, 6]]`);
    const shifted = AFFINE.slice();
    shifted[3] = -19.9;
    expect(() => checkSameGrid({ shape: SHAPE, affine: shifted }, a, { where: 'pred.nii' })).toThrow(GeometryError);
    expect(() => checkSameGrid({ shape: SHAPE, affine: shifted }, a, { where: 'pred.nii' })).toThrowErrorMatchingInlineSnapshot(`[GeometryError: pred.nii: affine[0][3] is -19.9, expected the input's -20 (±0.001 mm)]`);
  });
});
