import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { describe, expect, it } from 'vitest';
import { both, randn } from '../../test/fast-support.js';

describe('PadV2', () => {
  it.each([
    { shape: [2, 5, 3, 4, 3], pads: [[0, 0], [1, 2], [0, 1], [3, 0], [0, 0]], value: 0 },
    { shape: [1, 3, 4, 5, 2], pads: [[1, 0], [1, 1], [2, 2], [0, 0], [1, 3]], value: -1.5 },
    { shape: [2, 1, 1, 1, 3], pads: [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]], value: 0 },
    { shape: [3, 4], pads: [[1, 1], [0, 2]], value: 7 },
  ])('$shape padded by $pads with $value', ({ shape, pads, value }) =>
    expectNoLeaks(() => {
      const x = randn(new Rng(`pad ${shape.join(',')}`), shape);
      const { fast, orig } = both(() => tf.pad(x, pads as Array<[number, number]>, value));
      expect(fast[0]!.shape).toEqual(orig[0]!.shape);
      expect(Array.from(fast[0]!.values)).toEqual(Array.from(orig[0]!.values));
      x.dispose();
    }),
  );

  it('int32', () => {
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const { fast, orig } = both(() => tf.pad(x, [[1, 0], [0, 1]], 9));
    expect(fast[0]!.dtype).toBe('int32');
    expect(Array.from(fast[0]!.values)).toEqual(Array.from(orig[0]!.values));
    x.dispose();
  });
});
