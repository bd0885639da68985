import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@voxnas/core';
import { checkNdhwc } from '../internal/validate.js';
import { Module } from '../module.js';
import type { OnnxEmitContext } from '../onnx-hook.js';
import { pool3d, type Pool3dOptions } from '../primitives/pool3d.js';
import { upsample3d, type Upsample3dOptions } from '../primitives/upsample3d.js';
import { Conv3d } from './conv3d.js';
import { InstanceNorm3d } from './norm.js';

/**
 * Max or average pooling layer (see `pool3d`).
 *
 * @example
 * const pool = new Pool3d({ kind: 'avg', kernel: 3, stride: 2 });
 */
export class Pool3d extends Module<tf.Tensor5D, tf.Tensor5D> {
  constructor(readonly options: Pool3dOptions) {
    super();
  }
  forward(x: tf.Tensor5D): tf.Tensor5D {
    return pool3d(x, this.options);
  }
  /** ONNX `MaxPool` / `AveragePool` (see `OnnxEmittable`). */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    return ctx.pool3d(x, this.options);
  }
}

/**
 * Upsampling layer (see `upsample3d`).
 *
 * @example
 * const up = new Upsample3d({ scale: 2, mode: 'trilinear' });
 */
export class Upsample3d extends Module<tf.Tensor5D, tf.Tensor5D> {
  constructor(readonly options: Upsample3dOptions = {}) {
    super();
  }
  forward(x: tf.Tensor5D): tf.Tensor5D {
    return upsample3d(x, this.options);
  }
  /** ONNX `Resize` (see `OnnxEmittable`). */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    return ctx.upsample3d(x, this.options);
  }
}

/**
 * Factorised reduce (DARTS's stride-2 identity): ReLU → two 1×1×1 stride-2 convs, one on x and one on
 * x shifted by one voxel along z, y and x (zero-padded at the end) → concat (⌊cOut/2⌋ + ⌈cOut/2⌉
 * channels) → InstanceNorm. Output spatial size ⌈n/2⌉.
 *
 * @example
 * const fr = new FactorizedReduce({ channelsIn: 4, channelsOut: 6, rng: new Rng(1) });
 */
export class FactorizedReduce extends Module<tf.Tensor5D, tf.Tensor5D> {
  private readonly convA: Conv3d | undefined;
  private readonly convB: Conv3d;
  private readonly norm: InstanceNorm3d;
  constructor(readonly options: { readonly channelsIn: number; readonly channelsOut: number; readonly rng: Rng }) {
    super();
    const half = Math.floor(options.channelsOut / 2);
    this.convA =
      half === 0
        ? undefined
        : this.addModule('convA', new Conv3d({ channelsIn: options.channelsIn, channelsOut: half, kernel: 1, stride: 2, rng: options.rng.fork('convA') }));
    this.convB = this.addModule(
      'convB',
      new Conv3d({ channelsIn: options.channelsIn, channelsOut: options.channelsOut - half, kernel: 1, stride: 2, rng: options.rng.fork('convB') }),
    );
    this.norm = this.addModule('norm', new InstanceNorm3d({ channels: options.channelsOut }));
  }
  forward(x: tf.Tensor5D): tf.Tensor5D {
    checkNdhwc('FactorizedReduce', x, this.options.channelsIn);
    const r = tf.relu(x);
    const [n, d, h, w, c] = r.shape;
    const shifted = tf.pad(tf.slice(r, [0, 1, 1, 1, 0], [n, d - 1, h - 1, w - 1, c]), [[0, 0], [0, 1], [0, 1], [0, 1], [0, 0]]) as tf.Tensor5D;
    const parts = this.convA === undefined ? [this.convB.forward(shifted)] : [this.convA.forward(r), this.convB.forward(shifted)];
    return this.norm.forward(tf.concat(parts, 4) as tf.Tensor5D);
  }
  /** The same flow as `forward` (see `OnnxEmittable`). */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    const r = ctx.relu(x, { name: 'relu' });
    const shifted = ctx.pad(ctx.slice(r, { begin: [1, 1, 1], name: 'shift' }), { begin: [0, 0, 0], end: [1, 1, 1], name: 'shift_pad' });
    const b = ctx.module(this.convB, shifted, 'convB');
    const parts = this.convA === undefined ? [b] : [ctx.module(this.convA, r, 'convA'), b];
    return ctx.module(this.norm, ctx.concat(parts, { name: 'concat' }), 'norm');
  }
}
