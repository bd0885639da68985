import { haveReferences, runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { Rng } from '@voxnas/core';
import { resample } from './resample.js';
import { resampleLabels } from './resample-labels.js';
import { createVolume, spacingMm } from './volume.js';
import type { Volume } from './volume.js';

/**
 * Reference: for every class present, its one-hot map interpolated with scipy.ndimage.map_coordinates
 * (mode='nearest') one axis at a time with the requested order per axis (1 linear, 0 nearest) at the
 * resample grid (x + ½)·f − ½; then argmax with ties to the larger class. Returns the labels and the
 * margin between the best and second-best class, so float rounding at exact ties can be told apart.
 */
const SCIPY = `
import json, sys, numpy as np
from scipy.ndimage import map_coordinates
out = []
for c in json.load(sys.stdin):
    lab = np.array(c['data']).reshape(c['inShape'], order='F')
    classes = np.unique(lab)
    maps = []
    for k in classes:
        v = (lab == k).astype(np.float64)
        for a in range(3):
            shp = list(v.shape); shp[a] = c['outShape'][a]
            g = np.meshgrid(*[np.arange(s, dtype=np.float64) for s in shp], indexing='ij')
            g[a] = (g[a] + 0.5) * c['zoom'][a] - 0.5
            v = map_coordinates(v, np.stack(g, 0), order=c['orders'][a], mode='nearest')
        maps.append(v)
    m = np.stack(maps, 0)[::-1]          # larger class first: argmax ties go to it
    best = classes[::-1][np.argmax(m, 0)]
    s = np.sort(m, 0)
    margin = s[-1] - (s[-2] if len(classes) > 1 else 0)
    out.append({'labels': best.ravel(order='F').tolist(), 'margin': margin.ravel(order='F').tolist()})
print(json.dumps(out))
`;

/** Blobs of classes 2 and 5 and a thin tube of class 7 (two voxels across in x and y) on 0. */
function blobs(shape: [number, number, number], spacing: [number, number, number], seed: number): Volume<'uint8'> {
  const rng = new Rng(seed);
  const [nx, ny, nz] = shape;
  const d = new Uint8Array(nx * ny * nz);
  // two separate ellipsoids (semi-axes a fraction of the field of view), jittered by the seed
  const centres = [
    { k: 2, c: [0.3, 0.3, 0.5].map((f, a) => (f + rng.uniform(-0.04, 0.04)) * shape[a]!), r: 0.25 },
    { k: 5, c: [0.7, 0.32, 0.5].map((f, a) => (f + rng.uniform(-0.04, 0.04)) * shape[a]!), r: 0.2 },
  ];
  const tx = Math.floor(nx / 3);
  const ty = Math.floor((2 * ny) / 3);
  for (let z = 0, i = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        for (const b of centres) {
          const r2 = ((x - b.c[0]!) / nx) ** 2 + ((y - b.c[1]!) / ny) ** 2 + ((z - b.c[2]!) / nz) ** 2;
          if (r2 <= b.r ** 2) d[i] = b.k;
        }
        if ((x === tx || x === tx + 1) && (y === ty || y === ty + 1) && z > 1 && z < nz - 2) d[i] = 7;
      }
    }
  }
  // voxel axes y and z map to world −z and y (a permuted, flipped affine); spacing is still [sx, sy, sz]
  const affine = [spacing[0], 0, 0, -3, 0, 0, spacing[2], 4, 0, -spacing[1], 0, 10, 0, 0, 0, 1];
  return createVolume({ data: d, shape, affine, kind: 'label' });
}

function counts(v: Volume): Map<number, number> {
  const m = new Map<number, number>();
  for (const x of v.data) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

describe.runIf(haveReferences('numpy', 'scipy'))('resampleLabels (one-hot linear + argmax) agrees with scipy', () => {
  const iso = blobs([15, 14, 13], [1, 1, 1], 1);
  const aniso = blobs([16, 15, 7], [0.7, 0.7, 5], 2);
  const cases: [string, Volume, Volume, number[]][] = [
    ['isotropic 1 mm → 0.7 mm (upsampling)', iso, resampleLabels(iso, { spacingMm: 0.7 }), [1, 1, 1]],
    ['isotropic 1 mm → 1.3/1.6/1.15 mm (downsampling)', iso, resampleLabels(iso, { spacingMm: [1.3, 1.6, 1.15] }), [1, 1, 1]],
    ['to shape [11, 17, 9]', iso, resampleLabels(iso, { shape: [11, 17, 9] }), [1, 1, 1]],
    [
      '0.7×0.7×5 mm → 1×1×3 mm, z by nearest',
      aniso,
      resampleLabels(aniso, { spacingMm: [1, 1, 3], axisInterpolation: ['linear', 'linear', 'nearest'] }),
      [1, 1, 0],
    ],
    ['0.7×0.7×5 mm → 0.9×0.9×2.2 mm, all linear', aniso, resampleLabels(aniso, { spacingMm: [0.9, 0.9, 2.2] }), [1, 1, 1]],
  ];
  const refs = runPythonReference<{ labels: number[]; margin: number[] }[]>(
    SCIPY,
    cases.map(([, input, out, orders]) => ({
      data: Array.from(input.data),
      inShape: input.shape,
      outShape: out.shape,
      zoom: [0, 1, 2].map((a) => spacingMm(out)[a]! / spacingMm(input)[a]!),
      orders,
    })),
  );

  it.each(cases.map((c, i) => [c[0], i] as const))('%s', (_n, i) => {
    const [, input, out] = cases[i]!;
    const ref = refs[i]!;
    expect(out.dtype).toBe('uint8');
    expect(out.kind).toBe('label');
    expect(out.shape).toEqual(resample(input, { ...(i === 2 ? { shape: out.shape } : { spacingMm: spacingMm(out) }) }).shape);
    let compared = 0;
    let ties = 0;
    for (let v = 0; v < ref.labels.length; v++) {
      if (ref.margin[v]! > 1e-9) {
        compared++;
        if (out.data[v] !== ref.labels[v]) throw new Error(`voxel ${v}: got ${out.data[v]}, scipy ${ref.labels[v]} (margin ${ref.margin[v]})`);
      } else ties++;
    }
    expect(compared).toBeGreaterThan(0.9 * ref.labels.length);
    expect(ties).toBeLessThan(0.1 * ref.labels.length);
    // no new label values
    const before = new Set(input.data);
    for (const k of counts(out).keys()) expect(before.has(k)).toBe(true);
  });

  it('structure volumes (mm³) are preserved within 15% for blobs, and the two-voxel tube survives', () => {
    for (const [name, input, out] of cases) {
      const vIn = spacingMm(input).reduce((a, b) => a * b, 1);
      const vOut = spacingMm(out).reduce((a, b) => a * b, 1);
      const a = counts(input);
      const b = counts(out);
      for (const k of [2, 5]) {
        expect(a.get(k)!, `${name}: class ${k} in the input`).toBeGreaterThan(20);
        const rel = Math.abs((b.get(k) ?? 0) * vOut - a.get(k)! * vIn) / (a.get(k)! * vIn);
        expect(rel, `${name}: class ${k} volume change ${rel}`).toBeLessThan(0.15);
      }
      expect(b.get(7) ?? 0, `${name}: tube voxels`).toBeGreaterThan(0);
    }
  });

  it('rejects images, several channels and bad per-axis interpolation', () => {
    const img = createVolume({ data: new Float32Array(8), shape: [2, 2, 2] });
    expect(() => resampleLabels(img, { spacingMm: 1 })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: resampleLabels: volume is an image, expected kind 'label' (use resample for images)]`,
    );
    const lab = createVolume({ data: new Uint8Array(8), shape: [2, 2, 2], kind: 'label' });
    expect(() => resampleLabels(lab, { spacingMm: 1, axisInterpolation: ['cubic', 'linear', 'linear'] as never })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: resampleLabels: axisInterpolation must be 3 of 'linear', 'nearest', got ["cubic","linear","linear"]]`,
    );
    const two = createVolume({ data: new Uint8Array(16), shape: [2, 2, 2], channels: 2, kind: 'label' });
    expect(() => resampleLabels(two, { spacingMm: 1 })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: resampleLabels: label volume has 2 channels, expected 1]`,
    );
  });
});
