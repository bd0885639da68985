import { describe, expect, it } from 'vitest';
import { Rng } from '@voxnas/core';
import { transformContract } from '../../test/transform-contract.js';
import { testSubject } from '../../test/transform-fixtures.js';
import { noise, randomNoise } from './noise.js';
import { compose } from './subject.js';

describe('randomNoise', () => {
  transformContract(() => randomNoise(), { spatial: false });

  it('adds zero-mean noise with the requested std (both channels)', () => {
    const s = testSubject([15, 13, 11]);
    const out = compose([noise({ std: 0.5, seed: 3 })])(s, new Rng(0));
    const a = out.volumes.image!.data,
      b = s.volumes.image!.data;
    let m = 0,
      m2 = 0;
    for (let i = 0; i < a.length; i++) {
      const d = a[i]! - b[i]!;
      m += d;
      m2 += d * d;
    }
    const n = a.length;
    expect(Math.abs(m / n)).toBeLessThan((4 * 0.5) / Math.sqrt(n));
    expect(Math.abs(Math.sqrt(m2 / n) - 0.5)).toBeLessThan(0.03);
  });

  it('rejects a negative std', () => {
    expect(() => noise({ std: -1, seed: 1 })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: noise: std must be ≥ 0, got -1]`,
    );
  });
});
