import * as tf from '@tensorflow/tfjs-core';
import { constantInit } from '../init.js';
import { checkNdhwc } from '../internal/validate.js';
import { Module } from '../module.js';
import { hostVector, type OnnxEmitContext } from '../onnx-hook.js';

/**
 * ReLU (no parameters).
 *
 * @example
 * const y = new ReLU().apply(x);
 */
export class ReLU extends Module<tf.Tensor5D, tf.Tensor5D> {
  forward(x: tf.Tensor5D): tf.Tensor5D {
    return tf.relu(x);
  }
  /** ONNX `Relu` (see `OnnxEmittable`). */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    return ctx.relu(x);
  }
}

/**
 * LeakyReLU with a fixed negative slope `alpha` (default 0.01, PyTorch's).
 *
 * @example
 * const y = new LeakyReLU({ alpha: 0.1 }).apply(x);
 */
export class LeakyReLU extends Module<tf.Tensor5D, tf.Tensor5D> {
  constructor(readonly options: { readonly alpha?: number } = {}) {
    super();
  }
  forward(x: tf.Tensor5D): tf.Tensor5D {
    return tf.leakyRelu(x, this.options.alpha ?? 0.01);
  }
  /** ONNX `LeakyRelu` (see `OnnxEmittable`). */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    return ctx.leakyRelu(x, { alpha: this.options.alpha ?? 0.01 });
  }
}

/**
 * PReLU with a learned per-channel slope `alpha` `[C]` (initialised to 0.25, PyTorch's).
 *
 * @example
 * const act = new PReLU({ channels: 4 });
 */
export class PReLU extends Module<tf.Tensor5D, tf.Tensor5D> {
  readonly alpha: tf.Variable;
  constructor(readonly options: { readonly channels: number; readonly init?: number }) {
    super();
    this.alpha = this.addParameter('alpha', { shape: [options.channels], init: constantInit(options.init ?? 0.25) });
  }
  forward(x: tf.Tensor5D): tf.Tensor5D {
    checkNdhwc('PReLU', x, this.options.channels);
    return tf.prelu(x, this.alpha as tf.Tensor as tf.Tensor5D);
  }
  /** ONNX `PRelu` (see `OnnxEmittable`). */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    return ctx.prelu(x, { alpha: hostVector(this.alpha)! });
  }
}
