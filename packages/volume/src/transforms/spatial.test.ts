import { runPythonReference } from '@voxnas/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { createVolume, spacingMm } from '../volume.js';
import { transformContract } from '../../test/transform-contract.js';
import { testAffine, testSubject, toPy } from '../../test/transform-fixtures.js';
import { invert } from './replay.js';
import { randomSpatial, spatial } from './spatial.js';
import { compose, createSubject } from './subject.js';

// Independent statement of the documented map: in = c_in + L⁻¹ R S⁻¹ L (o − c_out), then
// scipy.ndimage.map_coordinates (order 1, grid-constant = corners outside count as 0; order 0 for labels).
const SCIPY_WARP = `
import sys, json, numpy as np
from scipy.ndimage import map_coordinates
def one(a):
  A = np.array(a['affine']).reshape(4, 4); L = A[:3, :3]
  ax, ay, az = a['rot']
  Rx = np.array([[1,0,0],[0,np.cos(ax),-np.sin(ax)],[0,np.sin(ax),np.cos(ax)]])
  Ry = np.array([[np.cos(ay),0,np.sin(ay)],[0,1,0],[-np.sin(ay),0,np.cos(ay)]])
  Rz = np.array([[np.cos(az),-np.sin(az),0],[np.sin(az),np.cos(az),0],[0,0,1]])
  M = np.linalg.inv(L) @ Rz @ Ry @ Rx @ np.diag(1/np.array(a['scale'])) @ L
  ox, oy, oz = a['out']
  g = np.stack(np.meshgrid(np.arange(ox), np.arange(oy), np.arange(oz), indexing='ij'), 0).reshape(3, -1).astype(float)
  c_out = (np.array(a['out']) - 1) / 2
  p = M @ (g - c_out[:, None]) + np.array(a['centre'])[:, None]
  res = {}
  for key, order in (('image', 1), ('label', 0)):
      nx, ny, nz = a[key]['shape']
      vol = np.array(a[key]['data'], dtype=float).reshape(nz, ny, nx).transpose(2, 1, 0)
      v = map_coordinates(vol, p, order=order, mode='grid-constant', cval=0.0, prefilter=False)
      res[key] = v.reshape(ox, oy, oz).transpose(2, 1, 0).ravel().tolist()
  return res
print(json.dumps([one(a) for a in json.load(sys.stdin)]))
`;

const WARPS = [
  { rot: [0, 0, 0.3], scale: [1, 1, 1], out: [9, 7, 5], centre: [4, 3, 2] },
  { rot: [0.2, -0.1, 0.25], scale: [1.2, 1.2, 1.2], out: [7, 6, 5], centre: [4.2, 3.1, 2.4] },
  { rot: [0.1, 0.3, -0.2], scale: [0.9, 1.1, 1.3], out: [5, 8, 3], centre: [3, 3.5, 1.5] },
];

function smoothSubject(shape: [number, number, number]) {
  const n = shape[0] * shape[1] * shape[2];
  const img = new Float32Array(n);
  const lab = new Uint8Array(n);
  let i = 0;
  for (let z = 0; z < shape[2]; z++)
    for (let y = 0; y < shape[1]; y++)
      for (let x = 0; x < shape[0]; x++, i++) {
        img[i] = Math.sin(x / 3) + Math.cos(y / 4) + z / 5;
        lab[i] = (x - 7) ** 2 + (y - 6) ** 2 + (z - 4) ** 2 < 16 ? 2 : x < 4 ? 1 : 0;
      }
  const affine = testAffine();
  return createSubject({
    image: createVolume({ data: img, shape, affine }),
    label: createVolume({ data: lab, shape, affine, kind: 'label' }),
  });
}

describe('randomSpatial', () => {
  transformContract(
    () => randomSpatial({ outShape: [7, 6, 5], elastic: { sigmaMm: 2, controlPoints: 4 }, translationMm: 2 }),
    {
      spatial: true,
    },
  );

  let refs: { image: number[]; label: number[] }[] = [];
  beforeAll(() => {
    const s = testSubject([9, 7, 5]);
    refs = runPythonReference(
      SCIPY_WARP,
      WARPS.map((w) => ({
        affine: Array.from(testAffine()),
        ...w,
        image: toPy(s.volumes.image!, 1),
        label: toPy(s.volumes.label!),
      })),
    );
  });

  it.each(WARPS.map((w, i) => ({ ...w, i })))(
    'rotation $rot scale $scale out $out matches scipy map_coordinates',
    ({ rot, scale, out, centre, i }) => {
      const s = testSubject([9, 7, 5]);
      const t = spatial({
        rotationRad: rot as [number, number, number],
        scale: scale as [number, number, number],
        outShape: out as [number, number, number],
        centreVoxel: centre as [number, number, number],
      });
      const r = compose([t])(s, new Rng(0));
      const ref = refs[i]!;
      const img = toPy(r.volumes.image!, 1).data;
      for (let i = 0; i < img.length; i++) expect(Math.abs(img[i]! - ref.image[i]!)).toBeLessThan(1e-4);
      expect(toPy(r.volumes.label!).data).toEqual(ref.label);
      // Geometry: the input grid translated to the output window.
      const a = r.volumes.image!.affine;
      expect(spacingMm(r.volumes.image!)).toEqual(spacingMm(s.volumes.image!));
      const corner = centre.map((c, i) => c - (out[i]! - 1) / 2);
      const A = testAffine();
      for (let i = 0; i < 3; i++) {
        expect(a[i * 4 + 3]).toBeCloseTo(
          A[i * 4 + 3]! + A[i * 4]! * corner[0]! + A[i * 4 + 1]! * corner[1]! + A[i * 4 + 2]! * corner[2]!,
          10,
        );
      }
    },
  );

  it('identity params with an integer window is an exact crop', () => {
    const s = testSubject([9, 7, 5]);
    const r = compose([spatial({ outShape: [3, 4, 2], centreVoxel: [3, 2.5, 1.5] })])(s, new Rng(0));
    const [nx, ny] = [9, 7];
    const src = s.volumes.image!.data;
    let i = 0;
    for (let z = 0; z < 2; z++)
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 3; x++, i++)
          expect(r.volumes.image!.data[i]).toBe(src[2 + x + (1 + y) * nx + (1 + z) * nx * ny]);
  });

  it('an elastic field with equal control displacements is a pure translation (B-spline partition of unity)', () => {
    const s = smoothSubject([13, 11, 9]);
    const d = [1.5, -0.8, 2.2]; // mm
    const g = 4 ** 3;
    const displacementMm = [...Array(g).fill(d[0]), ...Array(g).fill(d[1]), ...Array(g).fill(d[2])];
    const el = compose([spatial({ elastic: { grid: [4, 4, 4], displacementMm } })])(s, new Rng(0));
    // Same shift expressed as a moved centre (L⁻¹ d in voxels).
    const A = testAffine();
    const t = 0.3,
      sp = [1.2, 0.9, 2.0];
    const Li = [
      [Math.cos(t) / sp[0]!, Math.sin(t) / sp[0]!, 0],
      [-Math.sin(t) / sp[1]!, Math.cos(t) / sp[1]!, 0],
      [0, 0, 1 / sp[2]!],
    ];
    expect(A[0]).toBeCloseTo(Math.cos(t) * 1.2, 12);
    const dv = Li.map((row) => row[0]! * d[0]! + row[1]! * d[1]! + row[2]! * d[2]!);
    const centre = [6 + dv[0]!, 5 + dv[1]!, 4 + dv[2]!] as [number, number, number];
    const tr = compose([spatial({ centreVoxel: centre })])(s, new Rng(0));
    const a = el.volumes.image!.data,
      b = tr.volumes.image!.data;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-4);
  });

  it('invert restores a smooth image and its labels (rotation + scale + elastic)', () => {
    const s = smoothSubject([15, 13, 9]);
    const t = randomSpatial({
      rotationDeg: [8, 8, 8],
      scale: [0.95, 1.05],
      elastic: { sigmaMm: 0.6, controlPoints: 5 },
    });
    const out = compose([t])(s, new Rng(21));
    const back = invert(out);
    expect(back.volumes.image!.shape).toEqual(s.volumes.image!.shape);
    expect(Array.from(back.volumes.image!.affine)).toEqual(Array.from(s.volumes.image!.affine));
    // Interior voxels (2 from the border) must come back: image within 0.08, labels ≥ 95 % equal.
    const [nx, ny, nz] = s.volumes.image!.shape;
    let err = 0,
      cnt = 0,
      same = 0;
    for (let z = 2; z < nz - 2; z++)
      for (let y = 2; y < ny - 2; y++)
        for (let x = 2; x < nx - 2; x++) {
          const i = x + y * nx + z * nx * ny;
          err = Math.max(err, Math.abs(back.volumes.image!.data[i]! - s.volumes.image!.data[i]!));
          cnt++;
          if (back.volumes.label!.data[i] === s.volumes.label!.data[i]) same++;
        }
    expect(err).toBeLessThan(0.08);
    expect(same / cnt).toBeGreaterThan(0.95);
  });

  it('rejects bad options', () => {
    expect(() => randomSpatial({ scale: [0, 1] })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: randomSpatial: scale range [0, 1] must satisfy 0 < lo ≤ hi]`,
    );
    expect(() => randomSpatial({ elastic: { controlPoints: 3 } })).toThrow(InvalidArgumentError);
  });
});
