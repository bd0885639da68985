import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { describe, expect, it } from 'vitest';
import { both, randn } from '../../test/fast-support.js';

/** Every non-empty subset of the axes of `rank`. */
function subsets(rank: number): number[][] {
  const out: number[][] = [];
  for (let m = 1; m < 1 << rank; m++) out.push([...Array(rank).keys()].filter((i) => m & (1 << i)));
  return out;
}

const shapes = [[2, 5, 3, 4, 3], [3, 1, 4, 2], [7], [1, 1, 5]].map((shape) => ({ shape }));

describe('Sum and Mean', () => {
  it.each(shapes)('every axis subset of $shape, keepDims true/false', ({ shape }) =>
    expectNoLeaks(() => {
      const rng = new Rng(`reduce ${shape.join(',')}`);
      const x = randn(rng, shape, 0.5);
      for (const axes of subsets(shape.length)) {
        for (const keepDims of [false, true]) {
          for (const f of [tf.sum, tf.mean]) {
            const { fast, orig } = both(() => f(x, axes, keepDims));
            expect(fast[0]!.shape).toEqual(orig[0]!.shape);
            expectClose(fast[0]!.values, orig[0]!.values, { atol: 1e-5, rtol: 1e-5 });
          }
        }
      }
      // negative and scalar axis, and no axis (everything)
      for (const axis of [-1, 0, undefined]) {
        const { fast, orig } = both(() => [tf.sum(x, axis), tf.mean(x, axis, true)]);
        fast.forEach((t, i) => expectClose(t.values, orig[i]!.values, { atol: 1e-5, rtol: 1e-5 }));
      }
      x.dispose();
    }),
  );

  it('accumulates in double precision (tfjs-cpu does too)', () => {
    // 1 + 1e-8 × 2e6 in float32 accumulation stays 1; the exact sum is 1.02
    const v = new Float32Array(2_000_001).fill(1e-8);
    v[0] = 1;
    const x = tf.tensor1d(v);
    const s = tf.sum(x);
    expect(s.dataSync()[0]).toBeCloseTo(1.02, 6);
    tf.dispose([x, s]);
  });

  it('int32 sums go to the original kernel', () => {
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const { fast, orig } = both(() => tf.sum(x, 1));
    expect(fast[0]!.dtype).toBe('int32');
    expect(Array.from(fast[0]!.values)).toEqual(Array.from(orig[0]!.values));
    x.dispose();
  });
});
