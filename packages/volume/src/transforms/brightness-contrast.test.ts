import { runPythonReference } from '@voxnas/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@voxnas/core';
import { brightnessContrast, randomBrightnessContrast } from './brightness-contrast.js';
import { transformContract } from '../../test/transform-contract.js';
import { testSubject, toPy } from '../../test/transform-fixtures.js';
import { compose } from './subject.js';

const NP_BC = `
import sys, json, numpy as np
res = []
for a in json.load(sys.stdin):
    y = np.array(a['data'], dtype=np.float64) * a['m']
    res.append(((y - y.mean()) * a['c'] + y.mean()).tolist())
print(json.dumps(res))
`;
const CASES = [
  [1.2, 0.8],
  [0.7, 1.3],
];
let refs: number[][] = [];
beforeAll(() => {
  const s = testSubject();
  refs = runPythonReference(
    NP_BC,
    CASES.flatMap(([m, c]) => [0, 1].map((ch) => ({ data: toPy(s.volumes.image!, ch).data, m, c }))),
  );
});

describe('randomBrightnessContrast', () => {
  transformContract(() => randomBrightnessContrast(), { spatial: false });

  it.each(CASES.map(([m, c], i) => [m!, c!, i]))('multiplier=%s contrast=%s matches numpy', (m, c, ci) => {
    const s = testSubject();
    const out = compose([brightnessContrast({ multiplier: m, contrast: c })])(s, new Rng(0));
    for (const ch of [0, 1]) {
      const ref = refs[ci * 2 + ch]!;
      const got = toPy(out.volumes.image!, ch).data;
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(1e-5);
    }
  });

  it('rejects non-finite factors', () => {
    expect(() =>
      brightnessContrast({ multiplier: Number.NaN, contrast: 1 }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: brightnessContrast: multiplier and contrast must be finite, got NaN, 1]`,
    );
  });
});
