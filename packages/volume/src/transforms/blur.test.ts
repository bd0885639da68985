import { runPythonReference } from '@voxnas/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@voxnas/core';
import { blur, randomBlur } from './blur.js';
import { transformContract } from '../../test/transform-contract.js';
import { testSubject, toPy } from '../../test/transform-fixtures.js';
import { compose } from './subject.js';

// scipy radius = int(truncate·σ + 0.5); with truncate 3 it equals our ⌈3σ⌉ for these σ.
const SCIPY_BLUR = `
import sys, json, numpy as np
from scipy.ndimage import gaussian_filter
res = []
for a in json.load(sys.stdin):
    nx, ny, nz = a['shape']
    x = np.array(a['data'], dtype=np.float64).reshape(nz, ny, nx)
    res.append(gaussian_filter(x, sigma=a['sigma'][::-1], mode='nearest', truncate=3.0).ravel().tolist())
print(json.dumps(res))
`;
const SIGMAS = [
  [1, 1, 1],
  [1, 0.5, 2],
  [0, 1, 0],
];
let refs: number[][] = [];
beforeAll(() => {
  const s = testSubject();
  refs = runPythonReference(
    SCIPY_BLUR,
    SIGMAS.map((sigma) => ({ ...toPy(s.volumes.image!, 1), sigma })),
  );
});

describe('randomBlur', () => {
  transformContract(() => randomBlur(), { spatial: false });

  it.each(SIGMAS.map((sigma, i) => [sigma, i] as const))(
    'sigmaVoxels=%j matches scipy gaussian_filter',
    (sigma, i) => {
      const s = testSubject();
      const out = compose([blur({ sigmaVoxels: sigma as [number, number, number] })])(s, new Rng(0));
      const ref = refs[i]!;
      const got = toPy(out.volumes.image!, 1).data;
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(1e-5);
    },
  );

  it('rejects a negative sigma', () => {
    expect(() => blur({ sigmaVoxels: [1, -1, 1] })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: blur: sigmaVoxels must be ≥ 0, got [1, -1, 1]]`,
    );
  });
});
