import type * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import type { OnnxEmitContext } from '../onnx-hook.js';

/**
 * Runs named child modules in insertion order; parameter paths are `<childName>/<param>`.
 *
 * @example
 * const block = new Sequential({ relu: new ReLU(), conv: new Conv3d({ ... }), norm: new InstanceNorm3d({ channels: 4 }) });
 */
export class Sequential extends Module<tf.Tensor5D, tf.Tensor5D> {
  private readonly steps: Array<Module<tf.Tensor5D, tf.Tensor5D>> = [];
  constructor(layers: Readonly<Record<string, Module<tf.Tensor5D, tf.Tensor5D>>>) {
    super();
    for (const [name, layer] of Object.entries(layers)) this.steps.push(this.addModule(name, layer));
  }
  forward(x: tf.Tensor5D): tf.Tensor5D {
    let y = x;
    for (const step of this.steps) y = step.forward(y);
    return y;
  }
  /** The children in order (see `OnnxEmittable`). */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    return this.children().reduce((h, [name, child]) => ctx.module(child, h, name), x);
  }
}
