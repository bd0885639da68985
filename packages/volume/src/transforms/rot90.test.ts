import { runPythonReference } from '@voxnas/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { transformContract } from '../../test/transform-contract.js';
import { testSubject, toPy } from '../../test/transform-fixtures.js';
import { invert } from './replay.js';
import { randomRot90, rot90 } from './rot90.js';
import { compose } from './subject.js';

// numpy axes are reversed (z, y, x), so voxel plane (a, b) is numpy (2-a, 2-b).
const NP_ROT = `
import sys, json, numpy as np
res = []
for a in json.load(sys.stdin):
    nx, ny, nz = a['shape']
    arr = np.array(a['data']).reshape(nz, ny, nx)
    out = np.rot90(arr, a['k'], axes=(2 - a['axes'][0], 2 - a['axes'][1]))
    res.append({'data': out.ravel().tolist(), 'shape': list(out.shape[::-1])})
print(json.dumps(res))
`;
const CASES: [[number, number], number][] = [
  [[0, 1], 1],
  [[0, 1], 2],
  [[0, 1], 3],
  [[1, 2], 1],
  [[2, 0], 3],
  [[0, 2], -1],
];
const VOLS = [
  ['image', 0],
  ['image', 1],
  ['label', 0],
] as const;
let refs: { data: number[]; shape: number[] }[] = [];
beforeAll(() => {
  const s = testSubject();
  refs = runPythonReference(
    NP_ROT,
    CASES.flatMap(([axes, k]) => VOLS.map(([key, c]) => ({ ...toPy(s.volumes[key]!, c), axes, k }))),
  );
});

describe('randomRot90', () => {
  transformContract(() => randomRot90({ axes: [0, 2] }), { spatial: true });

  it.each(CASES.map(([axes, k], i) => [axes, k, i] as const))(
    'rot90 axes=%j k=%i matches numpy.rot90; inverse restores',
    (axes, k, ci) => {
      const s = testSubject();
      const out = compose([rot90({ axes, k })])(s, new Rng(0));
      VOLS.forEach(([key, c], j) => {
        const v = out.volumes[key]!;
        const ref = refs[ci * VOLS.length + j]!;
        expect(Array.from(v.affine)).toEqual(Array.from(s.volumes[key]!.affine));
        expect([...v.shape]).toEqual(ref.shape);
        expect(toPy(v, c).data).toEqual(ref.data);
      });
      const back = invert(out);
      expect(back.volumes.image!.shape).toEqual(s.volumes.image!.shape);
      expect(Array.from(back.volumes.image!.data)).toEqual(Array.from(s.volumes.image!.data));
      expect(Array.from(back.volumes.label!.data)).toEqual(Array.from(s.volumes.label!.data));
    },
  );

  it('rejects a degenerate plane', () => {
    expect(() => rot90({ axes: [1, 1], k: 1 })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: rot90: axes must be two different axes of 0, 1, 2, got [1, 1]]`,
    );
    expect(() => rot90({ axes: [0, 1], k: 0.5 })).toThrow(InvalidArgumentError);
  });
});
