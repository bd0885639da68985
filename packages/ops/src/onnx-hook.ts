import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from './module.js';
import type { Pool3dOptions } from './primitives/pool3d.js';
import type { Upsample3dOptions } from './primitives/upsample3d.js';

/** A parameter handed to an ONNX emitter: host float32 data in voxnas (tfjs) layout. */
export interface HostTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/**
 * What a module's `emitOnnx` writes its data flow with. Values are names of NCDHW float32 tensors in
 * the graph being built (`[n, c, d, h, w]`, D = z, H = y, W = x); every call returns the name of its
 * output. Implemented by `@voxnas/onnx`'s `exportOnnx`, so `@voxnas/ops` needs no ONNX code. Nodes and
 * initializers are named after the module path (`enc0/conv1/weight`); `name` adds a suffix for a
 * module that emits several nodes of one kind.
 */
export interface OnnxEmitContext {
  /**
   * Emits a child module on `input` under the path `<current>/<name>`: with `emit` when given (an
   * operator spec's own `onnx` mapping), else the child's `emitOnnx`, else a typed error naming it.
   */
  module(
    child: Module<never, unknown>,
    input: string,
    name: string,
    emit?: (ctx: OnnxEmitContext, input: string) => string,
  ): string;
  /** Runs `body` as operator `operatorName` (errors inside name the operator). */
  operator(operatorName: string, body: () => string): string;
  /** Runs `body` with `name` appended to the current path (for a module that emits a child by hand). */
  scope(name: string, body: () => string): string;
  /** `conv3d` (filter `[kd, kh, kw, cIn, cOut]`) plus an optional bias. */
  conv3d(
    input: string,
    options: {
      readonly weight: HostTensor;
      readonly bias?: Float32Array;
      readonly stride?: number | readonly [number, number, number];
      readonly dilation?: number | readonly [number, number, number];
      readonly padding?: 'same' | 'valid' | number | readonly [number, number, number];
      readonly name?: string;
    },
  ): string;
  /** `depthwiseConv3d` (filter `[kd, kh, kw, C, 1]`). */
  depthwiseConv3d(
    input: string,
    options: {
      readonly weight: HostTensor;
      readonly stride?: number | readonly [number, number, number];
      readonly dilation?: number | readonly [number, number, number];
      readonly padding?: 'same' | 'valid' | number | readonly [number, number, number];
      readonly name?: string;
    },
  ): string;
  /** `conv3dTranspose` (filter `[kd, kh, kw, cOut, cIn]`). */
  conv3dTranspose(
    input: string,
    options: {
      readonly weight: HostTensor;
      readonly stride?: number | readonly [number, number, number];
      readonly padding?: 'same' | 'valid';
      readonly name?: string;
    },
  ): string;
  instanceNorm3d(
    input: string,
    options: { readonly gamma?: Float32Array; readonly beta?: Float32Array; readonly eps?: number; readonly name?: string },
  ): string;
  groupNorm3d(
    input: string,
    options: { readonly groups: number; readonly gamma?: Float32Array; readonly beta?: Float32Array; readonly eps?: number; readonly name?: string },
  ): string;
  /** Eval-mode batch norm with the running statistics. */
  batchNorm3d(
    input: string,
    options: {
      readonly mean: Float32Array;
      readonly variance: Float32Array;
      readonly gamma?: Float32Array;
      readonly beta?: Float32Array;
      readonly eps?: number;
      readonly name?: string;
    },
  ): string;
  relu(input: string, options?: { readonly name?: string }): string;
  leakyRelu(input: string, options: { readonly alpha: number; readonly name?: string }): string;
  prelu(input: string, options: { readonly alpha: Float32Array; readonly name?: string }): string;
  pool3d(input: string, options: Pool3dOptions & { readonly name?: string }): string;
  upsample3d(input: string, options: Upsample3dOptions & { readonly name?: string }): string;
  /** Element-wise sum of same-shaped tensors. */
  add(inputs: readonly string[], options?: { readonly name?: string }): string;
  /** Concatenation over channels (NDHWC's last axis, NCDHW's axis 1). */
  concat(inputs: readonly string[], options?: { readonly name?: string }): string;
  /** Spatial crop `[begin, end)` per axis [z, y, x] (end default: to the end). */
  slice(
    input: string,
    options: { readonly begin: readonly [number, number, number]; readonly end?: readonly [number, number, number]; readonly name?: string },
  ): string;
  /** Zero padding of the spatial axes [z, y, x]. */
  pad(
    input: string,
    options: { readonly begin: readonly [number, number, number]; readonly end: readonly [number, number, number]; readonly name?: string },
  ): string;
  /**
   * Zeros with `like`'s batch and spatial size mapped per axis by `n → ⌈n / stride⌉ · upsample`, and
   * `channels` channels (the `zero` operator, a cell node without incoming edges).
   */
  zeros(
    like: string,
    options: { readonly channels: number; readonly stride?: 1 | 2; readonly upsample?: 1 | 2; readonly name?: string },
  ): string;
}

/**
 * A module that can describe its forward pass to an ONNX exporter. Every `@voxnas/ops` module
 * implements it; a custom module (or a whole network) does by adding `emitOnnx`. The exporter checks
 * that `emitOnnx` is defined by the same class as `forward` (or a subclass of it), so a subclass that
 * changes `forward` without its own `emitOnnx` is refused rather than exported wrongly.
 *
 * @example
 * class Scale2 extends Module<tf.Tensor5D, tf.Tensor5D> {
 *   readonly conv = this.addModule('conv', new Conv3d({ channelsIn: 2, channelsOut: 2, kernel: 1, rng }));
 *   forward(x: tf.Tensor5D) { return tf.relu(this.conv.forward(x)); }
 *   emitOnnx(ctx: OnnxEmitContext, x: string) { return ctx.relu(ctx.module(this.conv, x, 'conv')); }
 * }
 */
export interface OnnxEmittable {
  emitOnnx(ctx: OnnxEmitContext, input: string): string;
}

/**
 * A variable's values as a {@link HostTensor} (a copy read synchronously; for export, not hot paths).
 *
 * @example
 * const w = hostTensor(conv.weight); // { data: Float32Array, shape: [3, 3, 3, 2, 8] }
 */
export function hostTensor(v: tf.Tensor): HostTensor {
  return { data: Float32Array.from(v.dataSync() as Float32Array), shape: v.shape.slice() };
}

/**
 * A variable's values as a host vector, or `undefined` for a missing (optional) parameter.
 *
 * @example
 * const bias = hostVector(conv.bias); // Float32Array(cOut) | undefined
 */
export function hostVector(v: tf.Tensor | undefined): Float32Array | undefined {
  return v === undefined ? undefined : Float32Array.from(v.dataSync() as Float32Array);
}
