import { expectClose, haveReferences, maxAbsDiff, runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, applyAffine, multiplyAffine } from '@voxnas/core';
import { arr, randomVolume } from '../test/helpers.js';
import { resample, resampleGrid, resampleTo } from './resample.js';
import { spacingMm } from './volume.js';
import type { Volume } from './volume.js';

/**
 * Reference: scipy.ndimage.map_coordinates at M·(x, y, z) with M = inv(A_in)·A_out computed in numpy,
 * order=1 (images) or 0 (labels), mode='nearest' inside the input voxels' extent [-½, n-½] and `fill`
 * outside — voxnas's documented domain rule. Tolerance: 2e-5·(1 + |v|) for float32 output, exact for nearest.
 */
const SCIPY = `
import json, sys, numpy as np
from scipy.ndimage import map_coordinates
out = []
for c in json.load(sys.stdin):
    nx, ny, nz = c['inShape']; ch = c['channels']
    data = np.array(c['data'], dtype=np.float64).reshape((nx, ny, nz, ch), order='F')
    M = np.linalg.inv(np.array(c['inAffine']).reshape(4, 4)) @ np.array(c['outAffine']).reshape(4, 4)
    ox, oy, oz = c['outShape']
    g = np.stack(np.meshgrid(np.arange(ox), np.arange(oy), np.arange(oz), indexing='ij'), 0).reshape(3, -1)
    coords = M[:3, :3] @ g + M[:3, 3:4]
    inside = np.all((coords >= -0.5 - 1e-9) & (coords <= np.array([[nx], [ny], [nz]]) - 0.5 + 1e-9), axis=0)
    res = []
    for k in range(ch):
        v = map_coordinates(data[..., k], coords, order=c['order'], mode='nearest')
        v[~inside] = c['fill']
        res.append(v.reshape((ox, oy, oz)).ravel(order='F'))
    out.append(np.concatenate(res).tolist())
print(json.dumps(out))
`;

function caseOf(input: Volume, out: Volume, order: 0 | 1, fill = 0) {
  return {
    data: arr(input).length === input.data.length ? channelsLast(input) : [],
    inShape: input.shape,
    channels: input.channels,
    inAffine: Array.from(input.affine),
    outShape: out.shape,
    outAffine: Array.from(out.affine),
    order,
    fill,
  };
}

/** voxnas data is [c][z][y][x]; numpy reshape((nx,ny,nz,ch), order='F') wants x fastest then y, z, c — the same. */
function channelsLast(v: Volume): number[] {
  return arr(v);
}

const c = Math.cos(0.35);
const s = Math.sin(0.35);
const IN_AFFINE = [0, -1.5, 0, 10, 0, 0, 2, -20, 1.25, 0, 0, 30, 0, 0, 0, 1];
/** An oblique target grid covering part of the input and some outside. */
const OBLIQUE = [c * 1.1, -s * 1.1, 0, 2, s * 1.1, c * 1.1, 0, -22, 0, 0, 1.3, 21, 0, 0, 0, 1];

describe.runIf(haveReferences('numpy', 'scipy'))('resampling agrees with scipy.ndimage.map_coordinates', () => {
  const img = randomVolume({ shape: [7, 9, 11], affine: IN_AFFINE, seed: 3 });
  const img2 = randomVolume({ shape: [7, 9, 11], affine: IN_AFFINE, seed: 4, channels: 2, dtype: 'int16' });
  const lab = randomVolume({
    shape: [7, 9, 11],
    affine: IN_AFFINE,
    seed: 5,
    dtype: 'uint8',
    kind: 'label',
    max: 6,
  });
  const target = { shape: [9, 8, 10] as const, affine: Float64Array.from(OBLIQUE) };
  const results: [string, Volume, Volume, 0 | 1, number][] = [
    ['resampleTo oblique, float32, linear', img, resampleTo(img, target), 1, 0],
    [
      'resampleTo oblique, 2-channel int16, linear, fill -7',
      img2,
      resampleTo(img2, target, { fill: -7 }),
      1,
      -7,
    ],
    ['resampleTo oblique, uint8 label (nearest)', lab, resampleTo(lab, target), 0, 0],
    [
      'resampleTo oblique, image with nearest',
      img,
      resampleTo(img, target, { interpolation: 'nearest' }),
      0,
      0,
    ],
    ['resample to 1.3 mm, float32', img, resample(img, { spacingMm: 1.3 }), 1, 0],
    ['resample to 0.7/2.1/1.9 mm, 2 channels', img2, resample(img2, { spacingMm: [0.7, 2.1, 1.9] }), 1, 0],
    ['resample to shape, label', lab, resample(lab, { shape: [10, 5, 13] }), 0, 0],
    ['resample to shape, image', img, resample(img, { shape: [4, 13, 6] }), 1, 0],
  ];
  const refs = runPythonReference<number[][]>(
    SCIPY,
    results.map(([, input, out, order, fill]) => caseOf(input, out, order, fill)),
  );

  it.each(results.map((r, i) => [r[0], i] as const))('%s', (_name, i) => {
    const [, input, out, order] = results[i]!;
    const ref = refs[i]!;
    expect(out.data.length).toBe(ref.length);
    if (order === 0) expect(arr(out)).toEqual(ref);
    else expectClose(out.data, ref, { atol: 2e-5, rtol: 2e-5 });
    expect(out.kind).toBe(input.kind);
    expect(out.dtype).toBe(order === 0 ? input.dtype : 'float32');
    // the interesting part is not all fill
    expect(ref.filter((v) => v !== results[i]![4]).length).toBeGreaterThan(ref.length / 5);
  });
});

describe('resample geometry', () => {
  it('resample keeps the field of view: voxel edges and centre stay in place; spacing becomes the request', () => {
    const v = randomVolume({ shape: [7, 9, 11], affine: IN_AFFINE });
    const r = resample(v, { spacingMm: [0.5, 1, 0.75] });
    expect(r.shape).toEqual([18, 14, 29]); // round(7·1.25/0.5), round(9·1.5/1), round(11·2/0.75)
    expectClose(spacingMm(r), [0.5, 1, 0.75], { atol: 1e-12, rtol: 0 });
    // the corner of voxel (-½,-½,-½) is the same world point
    expectClose(applyAffine(r.affine, [-0.5, -0.5, -0.5]), applyAffine(v.affine, [-0.5, -0.5, -0.5]), {
      atol: 1e-12,
      rtol: 0,
    });
    const sh = resample(v, { shape: [14, 3, 11] });
    expectClose(applyAffine(sh.affine, [13.5, 2.5, 10.5]), applyAffine(v.affine, [6.5, 8.5, 10.5]), {
      atol: 1e-12,
      rtol: 0,
    });
  });

  it('a world point keeps its value: x3 upsampling puts output voxel 3k+1 on input voxel k (linear, exact)', () => {
    const v = randomVolume({ shape: [5, 6, 7], affine: IN_AFFINE, seed: 9 });
    const up = resample(v, { shape: [15, 18, 21] });
    for (let z = 0; z < 7; z++) {
      for (let y = 0; y < 6; y++) {
        for (let x = 0; x < 5; x++) {
          expect(up.data[(3 * z + 1) * 15 * 18 + (3 * y + 1) * 15 + 3 * x + 1]).toBe(
            v.data[z * 30 + y * 5 + x],
          );
          expectClose(
            applyAffine(up.affine, [3 * x + 1, 3 * y + 1, 3 * z + 1]),
            applyAffine(v.affine, [x, y, z]),
            { atol: 1e-12, rtol: 0 },
          );
        }
      }
    }
  });

  it('resampleTo its own grid is the identity, and takes the target affine exactly', () => {
    const v = randomVolume({ shape: [5, 6, 7], affine: OBLIQUE, dtype: 'int32', channels: 2 });
    const same = resampleTo(v, v, { interpolation: 'nearest' });
    expect(arr(same)).toEqual(arr(v));
    const lin = resampleTo(v, v);
    expect(arr(lin)).toEqual(arr(v));
    const t = { shape: [3, 3, 3] as const, affine: Float64Array.from(IN_AFFINE) };
    expect(Array.from(resampleTo(v, t).affine)).toEqual(IN_AFFINE);
  });

  it('an integer shift grid copies voxels exactly, fills outside', () => {
    const v = randomVolume({ shape: [5, 6, 7], affine: IN_AFFINE, dtype: 'int16' });
    const M = Float64Array.from([1, 0, 0, 2, 0, 1, 0, -1, 0, 0, 1, 0, 0, 0, 0, 1]);
    const r = resampleGrid(v, { M, shape: [5, 6, 7], interpolation: 'nearest', fill: 99 });
    expect(r.data[0]).toBe(99); // y = -1 is outside
    expect(r.data[5]).toBe(v.data[2]); // (0,1,0) ← (2,0,0)
    expect(Array.from(r.affine)).toEqual(Array.from(multiplyAffine(v.affine, M)));
  });

  it('labels are never interpolated', () => {
    const lab = randomVolume({ shape: [3, 4, 5], dtype: 'uint8', kind: 'label' });
    expect(() => resample(lab, { spacingMm: 2, interpolation: 'linear' })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: resampleGrid: interpolation 'linear' on a label volume, expected 'nearest' (labels are never interpolated)]`,
    );
    expect(resample(lab, { spacingMm: 0.5 }).dtype).toBe('uint8');
  });

  it.each([
    ['neither spacing nor shape', {}],
    ['both', { spacingMm: 1, shape: [2, 2, 2] }],
    ['zero spacing', { spacingMm: 0 }],
    ['bad shape', { shape: [2, 0, 2] }],
    ['NaN fill', { spacingMm: 1, fill: Number.NaN }],
    ['unknown interpolation', { spacingMm: 1, interpolation: 'quintic' }],
    ['bad axisInterpolation', { spacingMm: 1, axisInterpolation: ['cubic', 'linear'] }],
  ])('rejects %s', (_n, opts) => {
    expect(() => resample(randomVolume({ shape: [3, 4, 5] }), opts as never)).toThrow(InvalidArgumentError);
  });
});

/**
 * Cubic B-spline and per-axis interpolation (images). Reference: scipy.ndimage.map_coordinates with
 * mode='nearest' at the resample grid (x + ½)·f − ½; all axes cubic in one 3-D call (order=3), mixed
 * orders as one 1-D map per axis in turn (x, y, z; tensor-product interpolation is separable).
 * Tolerance 1e-4·(1 + |v|): voxnas keeps float32 between axes.
 */
const SCIPY_AXES = `
import json, sys, numpy as np
from scipy.ndimage import map_coordinates
out = []
for c in json.load(sys.stdin):
    nx, ny, nz = c['inShape']; ch = c['channels']
    data = np.array(c['data'], dtype=np.float64).reshape((nx, ny, nz, ch), order='F')
    res = []
    for k in range(ch):
        v = data[..., k]
        if c['mode'] == 'cubic3d':
            g = np.meshgrid(*[(np.arange(o) + 0.5) * f - 0.5 for o, f in zip(c['outShape'], c['zoom'])], indexing='ij')
            v = map_coordinates(v, np.stack(g, 0), order=3, mode='nearest')
        else:
            for a in range(3):
                shp = list(v.shape); shp[a] = c['outShape'][a]
                g = np.meshgrid(*[np.arange(s, dtype=np.float64) for s in shp], indexing='ij')
                g[a] = (g[a] + 0.5) * c['zoom'][a] - 0.5
                v = map_coordinates(v, np.stack(g, 0), order=c['orders'][a], mode='nearest')
        res.append(v.ravel(order='F'))
    out.append(np.concatenate(res).tolist())
print(json.dumps(out))
`;

describe.runIf(haveReferences('numpy', 'scipy'))('resample with cubic and per-axis interpolation agrees with scipy', () => {
  const img = randomVolume({ shape: [9, 7, 11], affine: IN_AFFINE, seed: 11, channels: 2 });
  const zoomOf = (r: Volume) => [0, 1, 2].map((a) => img.shape[a]! / r.shape[a]!);
  const cases: [string, Volume, string, number[]][] = [];
  const add = (name: string, r: Volume, mode: string, orders: number[]) => cases.push([name, r, mode, orders]);
  add('cubic, to 0.8/2.3/1.1 mm', resample(img, { spacingMm: [0.8, 2.3, 1.1], interpolation: 'cubic' }), 'cubic3d', [3, 3, 3]);
  add('cubic, to shape [5, 12, 4]', resample(img, { shape: [5, 12, 4], interpolation: 'cubic' }), 'cubic3d', [3, 3, 3]);
  add(
    'cubic in-plane, nearest along z (anisotropic)',
    resample(img, { spacingMm: [0.9, 1.7, 0.6], axisInterpolation: ['cubic', 'cubic', 'nearest'] }),
    'axes',
    [3, 3, 0],
  );
  add('linear, cubic, nearest', resample(img, { shape: [13, 5, 8], axisInterpolation: ['linear', 'cubic', 'nearest'] }), 'axes', [1, 3, 0]);
  const refs = runPythonReference<number[][]>(
    SCIPY_AXES,
    cases.map(([, r, mode, orders]) => {
      const shape = r.shape;
      // spacingMm targets: zoom is new/old spacing exactly, not the shape ratio
      const old = spacingMm(img);
      const zoom = [0, 1, 2].map((a) => spacingMm(r)[a]! / old[a]!);
      return { data: arr(img), inShape: img.shape, channels: 2, outShape: shape, zoom, mode, orders };
    }),
  );

  it.each(cases.map((c, i) => [c[0], i] as const))('%s', (_n, i) => {
    const [, r] = cases[i]!;
    expect(r.dtype).toBe('float32');
    expect(r.channels).toBe(2);
    expect(zoomOf(r).length).toBe(3);
    expectClose(r.data, refs[i]!, { atol: 1e-4, rtol: 1e-4 });
    // not what trilinear gives: the test can tell the interpolations apart
    const lin = resample(img, { shape: r.shape });
    expect(maxAbsDiff(lin.data, r.data)).toBeGreaterThan(0.1);
  });

  it('cubic reproduces a constant exactly enough and keeps the affine rule A·M', () => {
    const c = randomVolume({ shape: [6, 5, 7], affine: IN_AFFINE, seed: 2 });
    const flat = { ...c, data: new Float32Array(c.data.length).fill(3.25) } as Volume;
    const r = resample(flat, { spacingMm: [0.6, 0.9, 1.9], interpolation: 'cubic' });
    expect(Math.max(...Array.from(r.data as Float32Array, (v) => Math.abs(v - 3.25)))).toBeLessThan(1e-5);
    expect(Array.from(r.affine)).toEqual(Array.from(resample(c, { spacingMm: [0.6, 0.9, 1.9] }).affine));
  });

  it('refuses cubic or per-axis interpolation on labels', () => {
    const lab = randomVolume({ shape: [3, 4, 5], dtype: 'uint8', kind: 'label' });
    expect(() => resample(lab, { spacingMm: 2, interpolation: 'cubic' })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: resample: interpolation 'cubic' on a label volume, expected 'nearest' (use resampleLabels for per-class linear interpolation)]`,
    );
  });
});
