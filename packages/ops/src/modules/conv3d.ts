import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@voxnas/core';
import { heNormal, type Initializer } from '../init.js';
import { checkNdhwc, triple } from '../internal/validate.js';
import { Module } from '../module.js';
import { hostTensor, hostVector, type OnnxEmitContext } from '../onnx-hook.js';
import { conv3d, type Padding3d } from '../primitives/conv3d.js';
import { conv3dTranspose } from '../primitives/conv3d-transpose.js';
import { depthwiseConv3d } from '../primitives/depthwise-conv3d.js';

/** Options of the convolution modules. Kernel, stride and dilation are [d, h, w] = [z, y, x] or one number. */
export interface Conv3dModuleOptions {
  readonly channelsIn: number;
  readonly channelsOut: number;
  readonly kernel: number | readonly [number, number, number];
  readonly stride?: number | readonly [number, number, number];
  readonly padding?: Padding3d;
  readonly dilation?: number | readonly [number, number, number];
  /** Add a bias (default false: a norm usually follows). */
  readonly bias?: boolean;
  /** Stream for the weight initialiser. */
  readonly rng: Rng;
  /** Default `heNormal`. */
  readonly init?: Initializer;
  /** Label used in error messages (default `'Conv3d'`). */
  readonly label?: string;
}

/**
 * 3D convolution layer: parameter `weight` `[kd, kh, kw, cIn, cOut]` (He-normal from `rng`) and
 * optional `bias` `[cOut]`.
 *
 * @example
 * const conv = new Conv3d({ channelsIn: 2, channelsOut: 4, kernel: 3, stride: 2, rng: new Rng(1) });
 * const y = conv.apply(x); // [1,5,6,7,2] → [1,3,3,4,4]
 */
export class Conv3d extends Module<tf.Tensor5D, tf.Tensor5D> {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;
  constructor(readonly options: Conv3dModuleOptions) {
    super();
    const k = triple(options.label ?? 'Conv3d', 'kernel', options.kernel);
    this.weight = this.addParameter('weight', {
      shape: [...k, options.channelsIn, options.channelsOut],
      init: options.init ?? heNormal,
      rng: options.rng,
    });
    this.bias = options.bias ? this.addParameter('bias', { shape: [options.channelsOut], init: () => new Float32Array(options.channelsOut) }) : undefined;
  }
  forward(x: tf.Tensor5D): tf.Tensor5D {
    checkNdhwc(this.options.label ?? 'Conv3d', x, this.options.channelsIn);
    const y = conv3d(x, this.weight as tf.Tensor5D, this.options);
    return this.bias === undefined ? y : tf.add(y, this.bias);
  }
  /** ONNX `Conv` (see `OnnxEmittable`). */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    const { stride, dilation, padding } = this.options;
    const bias = hostVector(this.bias);
    return ctx.conv3d(x, { weight: hostTensor(this.weight), stride, dilation, padding, ...(bias ? { bias } : {}) });
  }
}

/**
 * Depthwise 3D convolution layer (one filter per channel): parameter `weight` `[kd, kh, kw, C, 1]`.
 *
 * @example
 * const dw = new DepthwiseConv3d({ channels: 4, kernel: 3, rng: new Rng(1) });
 */
export class DepthwiseConv3d extends Module<tf.Tensor5D, tf.Tensor5D> {
  readonly weight: tf.Variable;
  constructor(
    readonly options: Omit<Conv3dModuleOptions, 'channelsIn' | 'channelsOut' | 'bias'> & {
      readonly channels: number;
      readonly strategy?: 'auto' | 'split' | 'dense';
    },
  ) {
    super();
    const k = triple(options.label ?? 'DepthwiseConv3d', 'kernel', options.kernel);
    this.weight = this.addParameter('weight', {
      shape: [...k, options.channels, 1],
      init: options.init ?? heNormal,
      rng: options.rng,
      fanIn: k[0] * k[1] * k[2],
      fanOut: k[0] * k[1] * k[2],
    });
  }
  forward(x: tf.Tensor5D): tf.Tensor5D {
    checkNdhwc(this.options.label ?? 'DepthwiseConv3d', x, this.options.channels);
    return depthwiseConv3d(x, this.weight as tf.Tensor5D, this.options);
  }
  /** ONNX grouped `Conv` (see `OnnxEmittable`). */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    const { stride, dilation, padding } = this.options;
    return ctx.depthwiseConv3d(x, { weight: hostTensor(this.weight), stride, dilation, padding });
  }
}

/**
 * Transposed 3D convolution layer: parameter `weight` `[kd, kh, kw, cOut, cIn]`; `'same'` padding
 * multiplies each spatial size by the stride.
 *
 * @example
 * const up = new ConvTranspose3d({ channelsIn: 8, channelsOut: 4, kernel: 3, stride: 2, rng: new Rng(1) });
 */
export class ConvTranspose3d extends Module<tf.Tensor5D, tf.Tensor5D> {
  readonly weight: tf.Variable;
  constructor(readonly options: Omit<Conv3dModuleOptions, 'padding' | 'dilation' | 'bias'> & { readonly padding?: 'same' | 'valid' }) {
    super();
    const k = triple(options.label ?? 'ConvTranspose3d', 'kernel', options.kernel);
    const taps = k[0] * k[1] * k[2];
    this.weight = this.addParameter('weight', {
      shape: [...k, options.channelsOut, options.channelsIn],
      init: options.init ?? heNormal,
      rng: options.rng,
      fanIn: taps * options.channelsIn,
      fanOut: taps * options.channelsOut,
    });
  }
  forward(x: tf.Tensor5D): tf.Tensor5D {
    checkNdhwc(this.options.label ?? 'ConvTranspose3d', x, this.options.channelsIn);
    return conv3dTranspose(x, this.weight as tf.Tensor5D, this.options);
  }
  /** ONNX `ConvTranspose` (see `OnnxEmittable`). */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    return ctx.conv3dTranspose(x, { weight: hostTensor(this.weight), stride: this.options.stride, padding: this.options.padding });
  }
}
