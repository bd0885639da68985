import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { describe, expect, it } from 'vitest';
import { both, randn } from '../../test/fast-support.js';

/** Bit-exact: same shapes, dtypes and values (copies do no arithmetic). */
function expectSame(fn: () => tf.Tensor | tf.Tensor[]): void {
  const { fast, orig } = both(fn);
  expect(fast.length).toBe(orig.length);
  fast.forEach((f, i) => {
    const o = orig[i]!;
    expect(f.shape).toEqual(o.shape);
    expect(f.dtype).toBe(o.dtype);
    expect(Array.from(f.values)).toEqual(Array.from(o.values));
  });
}

const shapes = [[2, 5, 3, 4, 3], [3, 7], [1, 4, 1, 6], [5], [2, 3, 1, 5, 1], [1, 2, 3, 2, 3, 2]].map((shape) => ({ shape }));

describe('Slice', () => {
  it.each(shapes)('every begin/size pattern of $shape', ({ shape }) =>
    expectNoLeaks(() => {
      const rng = new Rng(`slice ${shape.join(',')}`);
      const x = randn(rng, shape);
      for (let t = 0; t < 12; t++) {
        const begin = shape.map((d) => rng.int(0, d));
        const size = shape.map((d, i) => (rng.float() < 0.3 ? -1 : rng.int(1, d - begin[i]! + 1)));
        expectSame(() => tf.slice(x, begin, size));
      }
      // full axis except one, for every axis (the channel split of a concat gradient)
      for (let a = 0; a < shape.length; a++) {
        const begin = shape.map((_, i) => (i === a ? Math.floor(shape[i]! / 2) : 0));
        expectSame(() => tf.slice(x, begin, shape.map((d, i) => (i === a ? d - begin[i]! : d))));
      }
      x.dispose();
    }),
  );

  it('int32 and bool', () => {
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2], 'int32');
    expectSame(() => tf.slice(x, [0, 1, 1], [2, 2, 1]));
    const y = tf.tensor2d([true, false, true, true, false, false], [2, 3], 'bool');
    expectSame(() => tf.slice(y, [1, 0], [1, 2]));
    tf.dispose([x, y]);
  });
});

describe('Concat, SplitV, Unpack, Pack', () => {
  it.each(shapes)('every axis of $shape', ({ shape }) =>
    expectNoLeaks(() => {
      const rng = new Rng(`concat ${shape.join(',')}`);
      for (let a = -1; a < shape.length; a++) {
        const axis = a < 0 ? shape.length - 1 : a;
        const parts = [1, 3, 2].map((k) => randn(rng, shape.map((d, i) => (i === axis ? k : d))));
        expectSame(() => tf.concat(parts, a));
        const whole = tf.concat(parts, axis);
        expectSame(() => tf.split(whole, [1, 3, 2], a));
        expectSame(() => tf.split(whole, [2, -1], axis));
        expectSame(() => tf.split(whole, 3, axis));
        expectSame(() => tf.unstack(whole, a));
        expectSame(() => tf.stack(parts.map((p) => tf.slice(p, 0, p.shape.map((d, i) => (i === axis ? 1 : d)))), a));
        tf.dispose([...parts, whole]);
      }
    }),
  );

  it('stack along the new last axis, int32, and single inputs', () =>
    expectNoLeaks(() => {
      const rng = new Rng('stack');
      const xs = [randn(rng, [2, 3, 4]), randn(rng, [2, 3, 4]), randn(rng, [2, 3, 4])];
      expectSame(() => tf.stack(xs, 3));
      expectSame(() => tf.stack(xs, -2));
      expectSame(() => tf.stack([xs[0]!], 1));
      const ints = [tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3, 4], 'int32')];
      expectSame(() => tf.stack(ints, 1));
      expectSame(() => tf.concat(ints, 0));
      expectSame(() => tf.unstack(tf.tensor2d([[1, 2, 3]], [1, 3]), 0));
      tf.dispose([...xs, ...ints]);
    }),
  );

  it('mixed dtypes and empty parts go to the original kernels', () => {
    const e = tf.zeros([2, 0, 3]);
    const f = tf.ones([2, 2, 3]);
    expectSame(() => tf.concat([e, f], 1));
    tf.dispose([e, f]);
  });
});
