import { InvalidArgumentError, Rng, ShapeMismatchError } from '@voxnas/core';
import { expectClose, haveReferences, runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import type { Shape3, Spacing3 } from './distance-transform.js';
import { perturbMask, randomBlobMask } from '../test/fixtures.js';
import { extractSurface, surfaceDistances, type Connectivity } from './surface.js';

const PY = String.raw`
import json, sys
import numpy as np
from scipy import ndimage
out = []
for c in json.load(sys.stdin):
    shp = c['shape'][::-1]
    a = np.array(c['a'], dtype=bool).reshape(shp); b = np.array(c['b'], dtype=bool).reshape(shp)
    st = ndimage.generate_binary_structure(3, {6: 1, 18: 2, 26: 3}[c['conn']])
    sa = a & ~ndimage.binary_erosion(a, structure=st, border_value=0)
    sb = b & ~ndimage.binary_erosion(b, structure=st, border_value=0)
    samp = c['spacing'][::-1]
    out.append(dict(
        surfA=np.flatnonzero(sa.ravel()).tolist(), surfB=np.flatnonzero(sb.ravel()).tolist(),
        aToB=ndimage.distance_transform_edt(~sb, sampling=samp).ravel()[np.flatnonzero(sa.ravel())].tolist(),
        bToA=ndimage.distance_transform_edt(~sa, sampling=samp).ravel()[np.flatnonzero(sb.ravel())].tolist()))
print(json.dumps(out))
`;

const CASES: { shape: Shape3; spacing: Spacing3; conn: Connectivity }[] = [
  { shape: [11, 9, 7], spacing: [1, 1, 1], conn: 6 },
  { shape: [13, 6, 9], spacing: [0.6, 1.4, 3], conn: 18 },
  { shape: [7, 12, 10], spacing: [2.2, 0.9, 1.3], conn: 26 },
  { shape: [16, 1, 5], spacing: [1, 1, 1], conn: 6 }, // a single y slice: everything is surface
];

describe.runIf(haveReferences('numpy', 'scipy'))('extractSurface and surfaceDistances vs scipy (binary_erosion, distance_transform_edt)', () => {
  const inputs = CASES.map((c, i) => {
    const rng = new Rng(100 + i);
    const b = randomBlobMask(rng, c.shape, { noise: 0.03 });
    return { ...c, a: perturbMask(rng, b, c.shape), b };
  });
  const ref = runPythonReference<{ surfA: number[]; surfB: number[]; aToB: number[]; bToA: number[] }[]>(
    PY,
    inputs.map((c) => ({ ...c, a: Array.from(c.a), b: Array.from(c.b) })),
  );

  it.each(inputs.map((c, i) => ({ ...c, i })))('shape=$shape spacing=$spacing connectivity=$conn', (c) => {
    const want = ref[c.i]!;
    expect(Array.from(extractSurface(c.a, { shape: c.shape, connectivity: c.conn }))).toEqual(want.surfA);
    const d = surfaceDistances(c.a, c.b, { shape: c.shape, spacingMm: c.spacing, connectivity: c.conn });
    expect(Array.from(d.surfaceA)).toEqual(want.surfA);
    expect(Array.from(d.surfaceB)).toEqual(want.surfB);
    expectClose(d.aToB, want.aToB, { atol: 1e-12, rtol: 1e-12 });
    expectClose(d.bToA, want.bToA, { atol: 1e-12, rtol: 1e-12 });
  });
});

describe('surface definitions', () => {
  it('a filled 3×3×3 cube has 26 surface voxels (6-connectivity); a 5×5×5 cube has 98', () => {
    expect(extractSurface(new Uint8Array(27).fill(1), { shape: [3, 3, 3] }).length).toBe(26);
    expect(extractSurface(new Uint8Array(125).fill(1), { shape: [5, 5, 5] }).length).toBe(98);
  });

  it('26-connectivity thickens the surface of a diagonal-rich shape', () => {
    const shape: Shape3 = [9, 9, 9];
    const m = new Uint8Array(729);
    for (let k = 0; k < 9; k++)
      for (let j = 0; j < 9; j++) for (let i = 0; i < 9; i++) if ((i - 4) ** 2 + (j - 4) ** 2 + (k - 4) ** 2 <= 12) m[i + 9 * j + 81 * k] = 1;
    const s6 = extractSurface(m, { shape, connectivity: 6 }).length;
    const s26 = extractSurface(m, { shape, connectivity: 26 }).length;
    expect(s26).toBeGreaterThan(s6);
  });

  it('distances are in mm along the anisotropic axes (doc example)', () => {
    const a = new Uint8Array(7 * 6 * 5);
    a[2 + 3 * 7 + 2 * 42] = 1;
    const b = new Uint8Array(7 * 6 * 5);
    b[5 + 3 * 7 + 2 * 42] = 1;
    const d = surfaceDistances(a, b, { shape: [7, 6, 5], spacingMm: [0.5, 1, 1] });
    expect(Array.from(d.aToB)).toEqual([1.5]);
    expect(Array.from(d.bToA)).toEqual([1.5]);
  });

  it('an empty mask gives empty distance arrays but keeps the other surface', () => {
    const a = new Uint8Array(60).fill(1, 20, 30);
    const d = surfaceDistances(a, new Uint8Array(60), { shape: [5, 4, 3] });
    expect([d.aToB.length, d.bToA.length, d.surfaceA.length, d.surfaceB.length]).toEqual([0, 0, 10, 0]);
  });

  it('rejects bad connectivity and mismatched lengths', () => {
    expect(() => extractSurface(new Uint8Array(8), { shape: [2, 2, 2], connectivity: 4 as Connectivity })).toThrow(
      InvalidArgumentError,
    );
    expect(() => surfaceDistances(new Uint8Array(8), new Uint8Array(7), { shape: [2, 2, 2] })).toThrow(ShapeMismatchError);
    expect(() =>
      surfaceDistances(new Uint8Array(8), new Uint8Array(7), { shape: [2, 2, 2] }),
    ).toThrowErrorMatchingInlineSnapshot(`[ShapeMismatchError: surfaceDistances: mask b has 7 elements, expected 8 for shape [2, 2, 2]]`);
  });
});
