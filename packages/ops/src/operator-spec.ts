import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@voxnas/core';
import { OperatorDefinitionError } from './errors.js';
import type { Module } from './module.js';
import type { OnnxEmitContext } from './onnx-hook.js';

/** Downsampling factor of an edge: 1 (normal edge) or 2 (reduction edge). */
export type Stride = 1 | 2;

/** NDHWC shape `[n, z, y, x, c]`. */
export type Shape5 = readonly [number, number, number, number, number];

/** What a builder receives. `options` carries operator-specific settings (plain JSON, serialisable). */
export interface BuildContext {
  readonly channelsIn: number;
  readonly channelsOut: number;
  /** 2 on reduction edges: every spatial size becomes ⌈n / 2⌉. */
  readonly stride: Stride;
  /** Stream the builder draws all initial weights from (fork it by child name). */
  readonly rng: Rng;
  readonly options: Readonly<Record<string, unknown>>;
}

/** What a cost model receives: the build context minus the rng, plus the input shape. */
export interface CostContext extends Omit<BuildContext, 'rng'> {
  readonly inputShape: Shape5;
}

/**
 * Cost of one operator instance for one input shape.
 * - `params`: trainable scalars (must equal the built module's `parameterCount()`).
 * - `flops`: floating-point operations of one forward pass, counting a multiply-add as 2, by the
 *   README "Cost model" rules (convolutions 2·taps·cIn·cOut per output voxel, pooling taps per
 *   output, ReLU 1 and InstanceNorm 5 per element, trilinear upsampling 3 per output element per axis pass).
 * - `activationBytes`: bytes of float32 tensors the forward pass produces (intermediates and output),
 *   the memory a backward pass keeps alive.
 */
export interface OperatorCost {
  readonly params: number;
  readonly flops: number;
  readonly activationBytes: number;
}

/** An operator: a stable name, a builder and a cost model (see `defineOperator`). */
export interface OperatorSpec {
  /** Stable lower-kebab name stored in genotypes (`conv-3x3x3`). */
  readonly name: string;
  /** One line shown in reports: block order and kernel. */
  readonly summary: string;
  /** Strides the builder accepts. Default `[1, 2]`. */
  readonly strides: readonly Stride[];
  /**
   * `true` when the operator requires `channelsIn === channelsOut` (pooling); `'stride-1'` when only
   * at stride 1 (identity, whose stride-2 form is a factorised reduce); default `false`.
   */
  readonly sameChannels: boolean | 'stride-1';
  /**
   * On expansion edges: `'pre'` (default) — the registry's `buildOperator` puts a trilinear ×2
   * upsampling before the operator; `'native'` — the builder receives `options.upsample = 2` and
   * upsamples itself (transposed convolution).
   */
  readonly upsample: 'pre' | 'native';
  /**
   * Smallest input size [z, y, x] the operator accepts (default [1, 1, 1]); built-in kernels use
   * ⌈extent / 2⌉ so the window covers the centre and one neighbour.
   */
  readonly minInputSize: readonly [number, number, number];
  /** Builds a module mapping `[n, z, y, x, channelsIn]` → `[n, ⌈z/s⌉, ⌈y/s⌉, ⌈x/s⌉, channelsOut]`. */
  build(ctx: BuildContext): Module<tf.Tensor5D, tf.Tensor5D>;
  /** Cost of the module `build(ctx)` returns, for `ctx.inputShape`. */
  cost(ctx: CostContext): OperatorCost;
  /**
   * Optional ONNX mapping of the module `build` returned, for `exportOnnx` of `@voxnas/onnx`: writes
   * its forward pass on the NCDHW graph value `input` through `ctx` and returns the output name.
   * Not needed when the module (and every module inside it) has an `emitOnnx` — all `@voxnas/ops`
   * modules do, so an operator assembled from them exports as it is.
   */
  readonly onnx?: (ctx: OnnxEmitContext, input: string, module: Module<tf.Tensor5D, tf.Tensor5D>) => string;
}

/** Input of `defineOperator`: `OperatorSpec` with defaults for `strides`, `sameChannels`, `upsample`. */
export type OperatorDefinition = Omit<OperatorSpec, 'strides' | 'sameChannels' | 'upsample' | 'minInputSize'> &
  Partial<Pick<OperatorSpec, 'strides' | 'sameChannels' | 'upsample' | 'minInputSize'>>;

const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Validates an operator definition, fills defaults and freezes it. No side effects: pass the result
 * to `registerOperator` to make it searchable.
 *
 * @example
 * const scaledConv = defineOperator({
 *   name: 'scaled-conv-1x1x1',
 *   summary: 'conv 1×1×1 ×0.5',
 *   build: ({ channelsIn, channelsOut, stride, rng }) => new Conv3d({ channelsIn, channelsOut, kernel: 1, stride, rng }),
 *   cost: ({ inputShape: [n, d, h, w], channelsIn, channelsOut, stride }) => {
 *     const out = n * Math.ceil(d / stride) * Math.ceil(h / stride) * Math.ceil(w / stride) * channelsOut;
 *     return { params: channelsIn * channelsOut, flops: 2 * out * channelsIn, activationBytes: 4 * out };
 *   },
 * });
 */
export function defineOperator(definition: OperatorDefinition): OperatorSpec {
  const where = `defineOperator(${JSON.stringify((definition as { name?: unknown })?.name)})`;
  if (definition === null || typeof definition !== 'object') {
    throw new OperatorDefinitionError(`defineOperator: expected an object, got ${String(definition)}`);
  }
  if (typeof definition.name !== 'string' || !NAME.test(definition.name)) {
    throw new OperatorDefinitionError(`${where}: name must be lower-kebab-case like "conv-3x3x3"`);
  }
  if (typeof definition.summary !== 'string' || definition.summary.length === 0) {
    throw new OperatorDefinitionError(`${where}: summary must be a non-empty string`);
  }
  if (typeof definition.build !== 'function' || typeof definition.cost !== 'function') {
    throw new OperatorDefinitionError(`${where}: build and cost must be functions`);
  }
  if (definition.onnx !== undefined && typeof definition.onnx !== 'function') {
    throw new OperatorDefinitionError(`${where}: onnx must be a function (ctx, input, module) => output name, got ${typeof definition.onnx}`);
  }
  const strides = definition.strides ?? [1, 2];
  if (strides.length === 0 || strides.some((s) => s !== 1 && s !== 2)) {
    throw new OperatorDefinitionError(`${where}: strides must be a non-empty subset of [1, 2], got ${JSON.stringify(strides)}`);
  }
  const upsample = definition.upsample ?? 'pre';
  if (upsample !== 'pre' && upsample !== 'native') {
    throw new OperatorDefinitionError(`${where}: upsample must be 'pre' or 'native', got ${JSON.stringify(upsample)}`);
  }
  const minInputSize = definition.minInputSize ?? [1, 1, 1];
  if (minInputSize.length !== 3 || minInputSize.some((m) => !Number.isInteger(m) || m < 1)) {
    throw new OperatorDefinitionError(`${where}: minInputSize must be [z, y, x] positive integers, got ${JSON.stringify(minInputSize)}`);
  }
  const sameChannels = definition.sameChannels ?? false;
  if (sameChannels !== true && sameChannels !== false && sameChannels !== 'stride-1') {
    throw new OperatorDefinitionError(`${where}: sameChannels must be true, false or 'stride-1', got ${JSON.stringify(sameChannels)}`);
  }
  return Object.freeze({
    name: definition.name,
    summary: definition.summary,
    strides: Object.freeze([...strides]),
    sameChannels,
    upsample,
    minInputSize: Object.freeze<readonly [number, number, number]>([minInputSize[0], minInputSize[1], minInputSize[2]]),
    build: definition.build,
    cost: definition.cost,
    ...(definition.onnx !== undefined ? { onnx: definition.onnx } : {}),
  });
}
