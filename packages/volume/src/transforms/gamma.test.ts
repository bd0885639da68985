import { runPythonReference } from '@voxnas/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@voxnas/core';
import { gamma, randomGamma } from './gamma.js';
import { transformContract } from '../../test/transform-contract.js';
import { testSubject, toPy } from '../../test/transform-fixtures.js';
import { compose } from './subject.js';

const NP_GAMMA = `
import sys, json, numpy as np
res = []
for a in json.load(sys.stdin):
    x = np.array(a['data'], dtype=np.float64); lo, hi = x.min(), x.max()
    res.append((((x - lo) / (hi - lo)) ** a['g'] * (hi - lo) + lo).tolist())
print(json.dumps(res))
`;
const GAMMAS = [0.5, 1.7];
let refs: number[][] = [];
beforeAll(() => {
  const s = testSubject();
  refs = runPythonReference(
    NP_GAMMA,
    GAMMAS.flatMap((g) => [0, 1].map((c) => ({ data: toPy(s.volumes.image!, c).data, g }))),
  );
});

describe('randomGamma', () => {
  transformContract(() => randomGamma(), { spatial: false });

  it.each(GAMMAS.map((g, i) => [g, i]))('gamma=%s matches numpy per channel', (g, gi) => {
    const s = testSubject();
    const out = compose([gamma({ gamma: g })])(s, new Rng(0));
    for (const c of [0, 1]) {
      const ref = refs[gi! * 2 + c]!;
      const got = toPy(out.volumes.image!, c).data;
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(1e-5);
    }
  });

  it('rejects gamma ≤ 0', () => {
    expect(() => gamma({ gamma: 0 })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: gamma: gamma must be > 0, got 0]`,
    );
  });
});
