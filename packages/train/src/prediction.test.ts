import { writePrediction, writeProbabilities } from './node/write-prediction.js';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { Rng, multiplyAffine } from '@voxnas/core';
import { GeometryError, createVolume, crop, orientationCode, reorient, resample, type Volume } from '@voxnas/volume';
import { expectNoLeaks, runPythonReference, withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { checkSameGrid, mapLabelsToGrid, predictCase, predictCaseWithProbabilities, predictCaseWithProbabilitiesHost } from './prediction.js';

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
  it('undoes reorient(RAS) → resample(½ spacing) → crop exactly (a voxel half inside the crop keeps its prediction)', async () => {
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
          // its two halves along each axis: preprocessed voxels p − 1 and p; probabilities are resampled
          // linearly, so a voxel counts as inside when its centre lies within the cropped grid's extent
          const p = [2 * (8 - i) + 1, 2 * (7 - j) + 1, 2 * k + 1];
          const isIn = p.every((c, a) => c >= box.start[a]! && c - 1 < box.end[a]!);
          const v = i + 9 * (j + 8 * k);
          expect(labels.data[v]).toBe(isIn ? truth[v] : 0);
          if (isIn) inside++;
        }
    expect(inside).toBeGreaterThan(100);
    expect(Array.from(labels.affine)).toEqual(affine);
  });
});

/**
 * Reference: the network's softmax on the preprocessed grid (a pointwise "network" with known logits
 * w_k·x + b_k, so sliding-window blending is exact), mapped onto the input grid with
 * scipy.ndimage.map_coordinates(order=1, mode='nearest') at M = inv(A_pre)·A_in, background (class 0
 * probability 1) where the point is outside the preprocessed voxels' extent; the file read with nibabel.
 */
const SCIPY_PROBABILITIES = `
import json, sys, numpy as np, nibabel as nib
from scipy.ndimage import map_coordinates
d = json.load(sys.stdin)
x = np.array(d['pre'], dtype=np.float64).reshape(d['preShape'], order='F')
logits = np.stack([w * x + b for w, b in zip(d['w'], d['b'])], 0)
p = np.exp(logits - logits.max(0)); p /= p.sum(0)
M = np.linalg.inv(np.array(d['preAffine']).reshape(4, 4)) @ np.array(d['inAffine']).reshape(4, 4)
g = np.stack([a.ravel(order='F') for a in np.meshgrid(*[np.arange(n) for n in d['inShape']], indexing='ij')], 0).astype(np.float64)
c = M[:3, :3] @ g + M[:3, 3:4]
inside = np.all((c >= -0.5 - 1e-9) & (c <= np.array(d['preShape'])[:, None] - 0.5 + 1e-9), 0)
out = []
for k in range(len(d['w'])):
    v = map_coordinates(p[k], c, order=1, mode='nearest'); v[~inside] = 1.0 if k == 0 else 0.0
    out.append(v)
img = nib.load(d['path'])
print(json.dumps({'expected': np.concatenate(out).tolist(), 'file': np.asarray(img.dataobj, dtype=np.float64).reshape(-1, order='F').tolist(),
                  'shape': list(img.shape), 'affine': img.affine.reshape(-1).tolist(), 'dtype': str(img.get_data_dtype())}))
`;

describe('predictCaseWithProbabilities + writeProbabilities', () => {
  it('a cropped and resampled case lands on the original grid; the written probabilities equal scipy resampling of the known network output', async () => {
    const shape = [11, 9, 7] as const;
    const affine = [0, 0.8, 0.1, -12, -0.9, 0, 0, 15, 0, 0.05, 2.5, 3, 0, 0, 0, 1]; // oblique, anisotropic
    const rng = new Rng(21);
    const image = createVolume({ data: Float32Array.from({ length: 11 * 9 * 7 }, () => rng.normal()), shape, affine });
    const box = { start: [2, 1, 1] as const, end: [10, 8, 6] as const };
    const preprocess = (v: Volume) => resample(crop(v, box), { spacingMm: [0.55, 0.7, 1.3], interpolation: 'cubic' });
    const pre = preprocess(image);
    const w = [0.5, -1.2, 2];
    const b = [0.3, 0.1, -0.4];
    const predict = (x: tf.Tensor5D) =>
      tf.tidy(() => tf.concat(w.map((wk, k) => tf.add(tf.mul(x, wk), b[k]!)), 4) as tf.Tensor5D);
    await withTempDir(async (dir) => {
      const path = join(dir, 'case_probabilities.nii.gz');
      const { labels, probabilities } = await expectNoLeaks(() => predictCaseWithProbabilities(image, predict, { preprocess, windowSize: [8, 6, 4], overlap: 0.5 }));
      await writeProbabilities(probabilities, { reference: image, path });
      const ref = runPythonReference<{ expected: number[]; file: number[]; shape: number[]; affine: number[]; dtype: string }>(SCIPY_PROBABILITIES, {
        pre: Array.from(pre.data),
        preShape: pre.shape,
        preAffine: Array.from(pre.affine),
        inShape: shape,
        inAffine: affine,
        w,
        b,
        path,
      });
      expect(ref.shape).toEqual([...shape, 3]);
      expect(ref.dtype).toBe('float32');
      ref.affine.forEach((a, i) => expect(Math.abs(a - affine[i]!)).toBeLessThan(1e-5));
      expect(labels.shape).toEqual(shape);
      expect(Array.from(labels.affine)).toEqual(affine);
      for (let i = 0; i < ref.expected.length; i++) {
        if (Math.abs(ref.file[i]! - ref.expected[i]!) > 1e-5) throw new Error(`probability ${i}: file ${ref.file[i]} vs scipy ${ref.expected[i]}`);
      }
      // the labels are the argmax of those probabilities; some voxels fall outside the crop (background)
      const n = 11 * 9 * 7;
      let outside = 0;
      for (let v = 0; v < n; v++) {
        const p = [0, 1, 2].map((k) => ref.expected[k * n + v]!);
        expect(labels.data[v]).toBe(p.indexOf(Math.max(...p)));
        if (p[0] === 1) outside++;
      }
      expect(outside).toBeGreaterThan(n / 4);
      expect(outside).toBeLessThan(n - 100);

      // The same network run outside tfjs (windows as NDHWC float32 arrays): the same scipy values.
      const host = async (data: Float32Array, s: readonly [number, number, number, number, number]) => {
        const out = new Float32Array(data.length * w.length);
        for (let v = 0; v < data.length; v++) for (let k = 0; k < w.length; k++) out[v * w.length + k] = data[v]! * w[k]! + b[k]!;
        return { data: out, shape: [s[0], s[1], s[2], s[3], w.length] };
      };
      const viaHost = await predictCaseWithProbabilitiesHost(image, host, { preprocess, windowSize: [8, 6, 4], overlap: 0.5 });
      expect(Array.from(viaHost.labels.affine)).toEqual(affine);
      for (let i = 0; i < ref.expected.length; i++) {
        if (Math.abs(viaHost.probabilities.data[i]! - ref.expected[i]!) > 1e-5) throw new Error(`host probability ${i}: ${viaHost.probabilities.data[i]} vs scipy ${ref.expected[i]}`);
      }
      expect(Array.from(viaHost.labels.data)).toEqual(Array.from(labels.data));
    });
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
