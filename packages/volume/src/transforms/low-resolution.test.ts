import { runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { transformContract } from './internal/contract.js';
import { testSubject, toPy } from './internal/fixtures.js';
import { lowResolution, randomLowResolution } from './low-resolution.js';
import { compose } from './subject.js';

// torch trilinear with align_corners=False uses the same aligned-centre, clamped-border convention.
const TORCH_LOWRES = `
import sys, json, torch
import torch.nn.functional as F
a = json.load(sys.stdin)
nx, ny, nz = a['shape']
x = torch.tensor(a['data'], dtype=torch.float64).reshape(1, 1, nz, ny, nx)
import math
low = [max(1, math.floor(n / f + 0.5)) for n, f in zip((nz, ny, nx), a['factor'][::-1])]
y = F.interpolate(x, size=low, mode='trilinear', align_corners=False)
z = F.interpolate(y, size=(nz, ny, nx), mode='trilinear', align_corners=False)
print(json.dumps(z.ravel().tolist()))
`;

describe('randomLowResolution', () => {
  transformContract(() => randomLowResolution(), { spatial: false });

  it.each([[[2, 2, 2]], [[1.5, 3, 1]]])('factor=%j matches torch trilinear down+up', (factor) => {
    const s = testSubject();
    const out = compose([lowResolution({ factor: factor as [number, number, number] })])(s, new Rng(0));
    const ref = runPythonReference<number[]>(TORCH_LOWRES, { ...toPy(s.volumes.image!, 0), factor });
    const got = toPy(out.volumes.image!, 0).data;
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(1e-5);
  });

  it('rejects a factor below 1', () => {
    expect(() => lowResolution({ factor: [0.5, 1, 1] })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: lowResolution: factor must be ≥ 1 per axis, got [0.5, 1, 1]]`,
    );
  });
});
