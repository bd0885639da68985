import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { defineOperator } from '../operator-spec.js';

class Zero extends Module<tf.Tensor5D, tf.Tensor5D> {
  constructor(
    private readonly stride: number,
    private readonly upsample: number,
    private readonly channelsOut: number,
  ) {
    super();
  }
  forward(x: tf.Tensor5D): tf.Tensor5D {
    const [n, d, h, w] = x.shape;
    const f = (v: number) => Math.ceil(v / this.stride) * this.upsample;
    // Multiplying a slice by 0 keeps the output connected to x, so gradients (all zero) exist.
    const probe = tf.mul(tf.slice(x, [0, 0, 0, 0, 0], [n, 1, 1, 1, 1]), 0);
    return tf.add(tf.zeros([n, f(d), f(h), f(w), this.channelsOut]), probe) as tf.Tensor5D;
  }
}

/** `zero`: no connection — outputs zeros of the edge's output shape (connectivity is searched through it). */
export const zero = defineOperator({
  name: 'zero',
  summary: 'zeros (no connection)',
  upsample: 'native',
  build: ({ channelsOut, stride, options }) => new Zero(stride, options.upsample === 2 ? 2 : 1, channelsOut),
  cost: ({ inputShape: [n, d, h, w], channelsOut, stride, options }) => {
    const up = options.upsample === 2 ? 2 : 1;
    const f = (v: number) => Math.ceil(v / stride) * up;
    return { params: 0, flops: 0, activationBytes: 4 * n * f(d) * f(h) * f(w) * channelsOut };
  },
});
