import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import type { OnnxEmitContext } from '../onnx-hook.js';
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
    const shape: [number, number, number, number, number] = [n, f(d), f(h), f(w), this.channelsOut];
    // A custom gradient keeps the output connected to x (gradient: zeros) without touching its data.
    const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const input = args[0] as tf.Tensor;
      return { value: tf.zeros(shape), gradFunc: () => [tf.zerosLike(input)] };
    });
    return op(x) as tf.Tensor5D;
  }
  /** ONNX zeros of the output shape (see `OnnxEmittable`). */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    return ctx.zeros(x, { channels: this.channelsOut, stride: this.stride === 2 ? 2 : 1, upsample: this.upsample === 2 ? 2 : 1 });
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
