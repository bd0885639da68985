import { runPythonReference } from '@voxnas/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { flip, randomFlip } from './flip.js';
import { transformContract } from '../../test/transform-contract.js';
import { testSubject, toPy } from '../../test/transform-fixtures.js';
import { invert } from './replay.js';
import { compose } from './subject.js';

// One Python call for every case: numpy axes are (z, y, x), so voxel axis k is numpy axis 2 − k.
const NP_FLIP = `
import sys, json, numpy as np
res = []
for a in json.load(sys.stdin):
    nx, ny, nz = a['shape']
    arr = np.array(a['data']).reshape(nz, ny, nx)
    res.append(np.flip(arr, axis=tuple(2 - k for k in a['axes'])).ravel().tolist())
print(json.dumps(res))
`;
const CASES = [[0], [1], [2], [0, 2], [0, 1, 2]];
const VOLS = [
  ['image', 0],
  ['image', 1],
  ['label', 0],
] as const;
let refs: number[][] = [];
beforeAll(() => {
  const s = testSubject();
  refs = runPythonReference<number[][]>(
    NP_FLIP,
    CASES.flatMap((axes) => VOLS.map(([k, c]) => ({ ...toPy(s.volumes[k]!, c), axes }))),
  );
});

describe('randomFlip', () => {
  transformContract(() => randomFlip(), { spatial: true });

  it.each(CASES.map((axes, i) => [axes, i] as const))(
    'flip axes=%j matches numpy.flip; affine kept; self-inverse',
    (axes, ci) => {
      const s = testSubject();
      const out = compose([flip({ axes })])(s, new Rng(0));
      VOLS.forEach(([k, c], j) => {
        const v = out.volumes[k]!;
        expect(Array.from(v.affine)).toEqual(Array.from(s.volumes[k]!.affine));
        expect(v.dtype).toBe(s.volumes[k]!.dtype);
        expect(toPy(v, c).data).toEqual(refs[ci * VOLS.length + j]);
      });
      const back = invert(out);
      expect(Array.from(back.volumes.image!.data)).toEqual(Array.from(s.volumes.image!.data));
      expect(Array.from(back.volumes.label!.data)).toEqual(Array.from(s.volumes.label!.data));
    },
  );

  it('each axis flips with probability 1/2', () => {
    const counts = [0, 0, 0];
    const t = randomFlip();
    const rng = new Rng(9);
    const s = testSubject();
    for (let i = 0; i < 2000; i++) for (const a of t.sample(rng, s).axes) counts[a]!++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(4 * Math.sqrt(500));
  });

  it('rejects a bad axis', () => {
    expect(() => flip({ axes: [3] })).toThrow(InvalidArgumentError);
    expect(() => randomFlip({ axes: [-1] })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: randomFlip: axis -1 is not 0, 1 or 2]`,
    );
  });
});
