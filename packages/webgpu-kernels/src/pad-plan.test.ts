import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { planPad } from './pad-plan.js';

type Pads = Array<[number, number]>;

/** Runs a plan with tfjs cpu reshapes and rank ≤ 4 pads. */
function padByPlan(x: tf.Tensor, paddings: Pads, value: number, maxRank?: number): tf.Tensor {
  return tf.tidy(() => {
    let y = x;
    for (const step of planPad(x.shape, paddings, maxRank)) {
      expect(step.shape.length).toBeLessThanOrEqual(maxRank ?? 4);
      y = tf.reshape(tf.pad(tf.reshape(y, [...step.shape]), step.paddings.map((p) => [p[0], p[1]] as [number, number]), value), [...step.outShape]);
    }
    return y;
  });
}

describe('planPad', () => {
  it('the rank-4 trick: [n, d, h, w, c] padded in d, h, w is one pad of [n, d, h, w·c]', () => {
    expect(planPad([2, 5, 6, 7, 3], [[0, 0], [1, 1], [1, 1], [1, 1], [0, 0]])).toEqual([
      { shape: [2, 5, 6, 21], paddings: [[0, 0], [1, 1], [1, 1], [3, 3]], outShape: [2, 7, 8, 9, 3] },
    ]);
    expect(planPad([2, 5, 6, 7, 3], [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]])).toEqual([]);
  });

  it.each<{ name: string; shape: number[]; paddings: Pads; steps: number }>([
    { name: 'x=[2,5,6,7,3] asymmetric d,h,w', shape: [2, 5, 6, 7, 3], paddings: [[0, 0], [0, 2], [1, 0], [2, 1], [0, 0]], steps: 1 },
    { name: 'x=[2,3,4,5,3] every axis padded (two passes)', shape: [2, 3, 4, 5, 3], paddings: [[1, 0], [0, 1], [2, 1], [1, 1], [0, 2]], steps: 2 },
    { name: 'x=[1,3,4,5,2] d,h,w,c padded', shape: [1, 3, 4, 5, 2], paddings: [[0, 0], [1, 1], [0, 1], [1, 0], [1, 1]], steps: 2 },
    { name: 'x=[2,3,4,5,3] only w (slice gradient)', shape: [2, 3, 4, 5, 3], paddings: [[0, 0], [0, 0], [0, 0], [1, 2], [0, 0]], steps: 1 },
    { name: 'x=[2,2,3,2,2,3] rank 6, axes 1 and 4', shape: [2, 2, 3, 2, 2, 3], paddings: [[0, 0], [1, 0], [0, 0], [0, 0], [0, 1], [0, 0]], steps: 1 },
    { name: 'x=[2,2,3,2,2,3] rank 6, every axis', shape: [2, 2, 3, 2, 2, 3], paddings: [[1, 0], [1, 0], [0, 1], [1, 1], [0, 1], [2, 0]], steps: 2 },
  ])('reshaped rank ≤ 4 pads equal tf.pad: $name', ({ shape, paddings, steps }) =>
    expectNoLeaks(() => {
      const size = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor(Float32Array.from({ length: size }, (_, i) => i + 1), shape);
      expect(planPad(shape, paddings)).toHaveLength(steps);
      for (const value of [0, -3.4e38]) {
        const want = tf.pad(x, paddings, value);
        const got = padByPlan(x, paddings, value);
        expect(got.shape).toEqual(want.shape);
        expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
        tf.dispose([want, got]);
      }
      x.dispose();
    }),
  );

  it('rejects paddings of the wrong length', () => {
    expect(() => planPad([2, 3], [[1, 1]])).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: planPad: 1 paddings for a rank-2 shape, expected 2]`);
  });
});
