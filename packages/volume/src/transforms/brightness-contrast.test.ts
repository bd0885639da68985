import { runPythonReference } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { brightnessContrast, randomBrightnessContrast } from './brightness-contrast.js';
import { transformContract } from './internal/contract.js';
import { testSubject, toPy } from './internal/fixtures.js';
import { compose } from './subject.js';

const NP_BC = `
import sys, json, numpy as np
a = json.load(sys.stdin)
y = np.array(a['data'], dtype=np.float64) * a['m']
print(json.dumps(((y - y.mean()) * a['c'] + y.mean()).tolist()))
`;

describe('randomBrightnessContrast', () => {
  transformContract(() => randomBrightnessContrast(), { spatial: false });

  it.each([
    [1.2, 0.8],
    [0.7, 1.3],
  ])('multiplier=%s contrast=%s matches numpy', (m, c) => {
    const s = testSubject();
    const out = compose([brightnessContrast({ multiplier: m, contrast: c })])(s, new Rng(0));
    for (const ch of [0, 1]) {
      const ref = runPythonReference<number[]>(NP_BC, { data: toPy(s.volumes.image!, ch).data, m, c });
      const got = toPy(out.volumes.image!, ch).data;
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(1e-5);
    }
  });

  it('rejects non-finite factors', () => {
    expect(() => brightnessContrast({ multiplier: Number.NaN, contrast: 1 })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: brightnessContrast: multiplier and contrast must be finite, got NaN, 1]`,
    );
  });
});
