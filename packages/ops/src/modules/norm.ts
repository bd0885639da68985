import * as tf from '@tensorflow/tfjs-core';
import { constantInit } from '../init.js';
import { checkNdhwc } from '../internal/validate.js';
import { Module } from '../module.js';
import { hostVector, type OnnxEmitContext } from '../onnx-hook.js';
import { batchNorm3d, groupNorm3d, instanceNorm3d } from '../primitives/normalization.js';
import { isRecomputing } from '../recompute.js';

function affineOf(gamma: tf.Variable | undefined, beta: tf.Variable | undefined, eps: number | undefined) {
  const g = hostVector(gamma);
  const b = hostVector(beta);
  return { ...(g ? { gamma: g } : {}), ...(b ? { beta: b } : {}), ...(eps !== undefined ? { eps } : {}) };
}

/** Options of the normalisation modules. */
export interface NormOptions {
  readonly channels: number;
  /** Learn a per-channel scale `gamma` and shift `beta` (default true for GroupNorm/BatchNorm, false for InstanceNorm as in PyTorch). */
  readonly affine?: boolean;
  readonly eps?: number;
  readonly label?: string;
}

/**
 * InstanceNorm3d (PyTorch semantics: biased variance, eps 1e-5, `affine` false by default).
 *
 * @example
 * const norm = new InstanceNorm3d({ channels: 4 });
 */
export class InstanceNorm3d extends Module<tf.Tensor5D, tf.Tensor5D> {
  readonly gamma: tf.Variable | undefined;
  readonly beta: tf.Variable | undefined;
  constructor(readonly options: NormOptions) {
    super();
    if (options.affine === true) {
      this.gamma = this.addParameter('gamma', { shape: [options.channels], init: constantInit(1) });
      this.beta = this.addParameter('beta', { shape: [options.channels], init: constantInit(0) });
    }
  }
  forward(x: tf.Tensor5D): tf.Tensor5D {
    checkNdhwc(this.options.label ?? 'InstanceNorm3d', x, this.options.channels);
    return instanceNorm3d(x, { gamma: this.gamma as tf.Tensor1D | undefined, beta: this.beta as tf.Tensor1D | undefined, eps: this.options.eps });
  }
  /** ONNX `InstanceNormalization` (see `OnnxEmittable`). */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    return ctx.instanceNorm3d(x, affineOf(this.gamma, this.beta, this.options.eps));
  }
}

/**
 * GroupNorm over NDHWC channels (`groups` must divide `channels`).
 *
 * @example
 * const norm = new GroupNorm3d({ channels: 8, groups: 4 });
 */
export class GroupNorm3d extends Module<tf.Tensor5D, tf.Tensor5D> {
  readonly gamma: tf.Variable | undefined;
  readonly beta: tf.Variable | undefined;
  constructor(readonly options: NormOptions & { readonly groups: number }) {
    super();
    if (options.affine !== false) {
      this.gamma = this.addParameter('gamma', { shape: [options.channels], init: constantInit(1) });
      this.beta = this.addParameter('beta', { shape: [options.channels], init: constantInit(0) });
    }
  }
  forward(x: tf.Tensor5D): tf.Tensor5D {
    checkNdhwc(this.options.label ?? 'GroupNorm3d', x, this.options.channels);
    return groupNorm3d(x, {
      groups: this.options.groups,
      gamma: this.gamma as tf.Tensor1D | undefined,
      beta: this.beta as tf.Tensor1D | undefined,
      eps: this.options.eps,
    });
  }
  /** ONNX group normalisation (see `OnnxEmittable`). */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    return ctx.groupNorm3d(x, { groups: this.options.groups, ...affineOf(this.gamma, this.beta, this.options.eps) });
  }
}

/**
 * BatchNorm over NDHWC channels. In training mode it normalises with the batch statistics and updates
 * the running buffers `runningMean` / `runningVar` (unbiased variance, `momentum` 0.1 as in PyTorch) once per
 * forward pass (not again when `recompute` re-runs it for a gradient); in eval mode it uses the running
 * buffers. The buffers are saved with the weights but not trained.
 *
 * @example
 * const bn = new BatchNorm3d({ channels: 4 });
 * bn.eval();
 */
export class BatchNorm3d extends Module<tf.Tensor5D, tf.Tensor5D> {
  readonly gamma: tf.Variable | undefined;
  readonly beta: tf.Variable | undefined;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  constructor(readonly options: NormOptions & { readonly momentum?: number }) {
    super();
    if (options.affine !== false) {
      this.gamma = this.addParameter('gamma', { shape: [options.channels], init: constantInit(1) });
      this.beta = this.addParameter('beta', { shape: [options.channels], init: constantInit(0) });
    }
    this.runningMean = this.addParameter('runningMean', { shape: [options.channels], init: constantInit(0), trainable: false });
    this.runningVar = this.addParameter('runningVar', { shape: [options.channels], init: constantInit(1), trainable: false });
  }
  forward(x: tf.Tensor5D): tf.Tensor5D {
    checkNdhwc(this.options.label ?? 'BatchNorm3d', x, this.options.channels);
    const affine = { gamma: this.gamma as tf.Tensor1D | undefined, beta: this.beta as tf.Tensor1D | undefined, eps: this.options.eps };
    if (!this.training) {
      return batchNorm3d(x, { ...affine, mean: this.runningMean as tf.Tensor1D, variance: this.runningVar as tf.Tensor1D });
    }
    const m = this.options.momentum ?? 0.1;
    // A segment recomputed for its gradient (see `recompute`) already updated the buffers in its forward pass.
    if (!isRecomputing()) tf.tidy(() => {
      const { mean, variance } = tf.moments(x, [0, 1, 2, 3]);
      const count = x.size / x.shape[4];
      const unbiased = tf.mul(variance, count / Math.max(count - 1, 1));
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)));
    });
    return batchNorm3d(x, affine);
  }
  /** ONNX `BatchNormalization` with the running statistics (eval mode; see `OnnxEmittable`). */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    return ctx.batchNorm3d(x, {
      mean: hostVector(this.runningMean)!,
      variance: hostVector(this.runningVar)!,
      ...affineOf(this.gamma, this.beta, this.options.eps),
    });
  }
}
