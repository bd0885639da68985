import { runPythonReference } from '@voxnas/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@voxnas/core';
import { transformContract } from '../../test/transform-contract.js';
import { testSubject, toPy } from '../../test/transform-fixtures.js';
import { lowResolution, randomLowResolution } from './low-resolution.js';
import { compose } from './subject.js';

// scipy zoom (order 1, grid_mode=True, mode='nearest') uses the aligned-centre, clamped-border convention
// (checked equal to torch trilinear align_corners=False); sizes round half up like Math.round.
const SCIPY_LOWRES = `
import sys, json, math, numpy as np
from scipy.ndimage import zoom
res = []
for a in json.load(sys.stdin):
    nx, ny, nz = a['shape']
    x = np.array(a['data'], dtype=np.float64).reshape(nz, ny, nx)
    low = [max(1, math.floor(n / f + 0.5)) for n, f in zip(x.shape, a['factor'][::-1])]
    y = zoom(x, [l / n for l, n in zip(low, x.shape)], order=1, grid_mode=True, mode='nearest')
    assert list(y.shape) == low
    z = zoom(y, [n / l for l, n in zip(low, x.shape)], order=1, grid_mode=True, mode='nearest')
    res.append(z.ravel().tolist())
print(json.dumps(res))
`;
const FACTORS = [
  [2, 2, 2],
  [1.5, 3, 1],
];
let refs: number[][] = [];
beforeAll(() => {
  const s = testSubject();
  refs = runPythonReference(
    SCIPY_LOWRES,
    FACTORS.map((factor) => ({ ...toPy(s.volumes.image!, 0), factor })),
  );
});

describe('randomLowResolution', () => {
  transformContract(() => randomLowResolution(), { spatial: false });

  it.each(FACTORS.map((factor, i) => [factor, i] as const))(
    'factor=%j matches scipy zoom down+up',
    (factor, i) => {
      const s = testSubject();
      const out = compose([lowResolution({ factor: factor as [number, number, number] })])(s, new Rng(0));
      const ref = refs[i]!;
      const got = toPy(out.volumes.image!, 0).data;
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(1e-5);
    },
  );

  it('rejects a factor below 1', () => {
    expect(() => lowResolution({ factor: [0.5, 1, 1] })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: lowResolution: factor must be ≥ 1 per axis, got [0.5, 1, 1]]`,
    );
  });
});
