import { OnnxEmitError } from './errors.js';
import { attr, type GraphBuilder, type KnownShape } from './graph-builder.js';
import {
  addFloat,
  addInt64,
  channelsOf,
  checkInput,
  checkVector,
  prefixOf,
  setFloat,
  show,
} from './internal/emit-util.js';

/** Per-channel affine parameters and epsilon of a normalisation, as in `@voxnas/ops` (`NormAffine`). */
export interface EmitNormOptions {
  /** Scale `[C]`; default none (1). */
  readonly gamma?: Float32Array;
  /** Shift `[C]`; default none (0). */
  readonly beta?: Float32Array;
  /** Added to the variance. Default 1e-5 (voxnas's and PyTorch's). */
  readonly eps?: number;
  /** Channel count, needed only when the input's channel dimension is not static and no gamma/beta is given. */
  readonly channels?: number;
  /** Prefix of the node, output and initializer names. */
  readonly name?: string;
}

function resolveChannels(
  who: string,
  shape: KnownShape | undefined,
  options: EmitNormOptions,
  extra?: Float32Array,
): number {
  const c =
    channelsOf(shape) ?? options.channels ?? options.gamma?.length ?? options.beta?.length ?? extra?.length;
  if (c === undefined || !Number.isSafeInteger(c) || c < 1) {
    throw new OnnxEmitError(
      `${who}: the channel count is not known, expected a static channel dim on the input or { channels }`,
    );
  }
  if (options.channels !== undefined && options.channels !== c) {
    throw new OnnxEmitError(`${who}: channels is ${options.channels}, the input has ${c}`);
  }
  if (options.gamma !== undefined) checkVector(who, 'gamma', options.gamma, c);
  if (options.beta !== undefined) checkVector(who, 'beta', options.beta, c);
  return c;
}

function resolveEps(who: string, eps: number | undefined): number {
  const e = eps ?? 1e-5;
  if (typeof e !== 'number' || !Number.isFinite(e) || e < 0) {
    throw new OnnxEmitError(`${who}: eps must be a finite number ≥ 0, got ${show(eps)}`);
  }
  return e;
}

const fill = (n: number, v: number) => new Float32Array(n).fill(v);

/**
 * Emits `@voxnas/ops` `instanceNorm3d` (biased variance over d, h, w per sample and channel, then
 * `gamma`, `beta`) as an ONNX `InstanceNormalization`; a missing gamma / beta is written as ones /
 * zeros (ONNX requires both). Returns the output name.
 *
 * @throws OnnxEmitError when the channels are unknown or gamma / beta have the wrong length.
 * @example
 * const y = emitInstanceNorm3d(b, x, { gamma, beta, name: 'enc0/norm1' });
 */
export function emitInstanceNorm3d(b: GraphBuilder, input: string, options: EmitNormOptions = {}): string {
  const prefix = prefixOf(options?.name, 'instanceNorm3d');
  const who = `emitInstanceNorm3d(${prefix})`;
  const shape = checkInput(b, who, input);
  const c = resolveChannels(who, shape, options);
  const eps = resolveEps(who, options.eps);
  const scale = addFloat(b, `${prefix}/gamma`, options.gamma ?? fill(c, 1), [c]);
  const bias = addFloat(b, `${prefix}/beta`, options.beta ?? fill(c, 0), [c]);
  const [y] = b.node('InstanceNormalization', {
    inputs: [input, scale, bias],
    name: prefix,
    attributes: { epsilon: attr.float(eps) },
  });
  setFloat(b, y!, shape);
  return y!;
}

/** Options of {@link emitGroupNorm3d}. */
export interface EmitGroupNormOptions extends EmitNormOptions {
  /** Number of consecutive channel groups (divides the channels). */
  readonly groups: number;
}

/**
 * Emits `@voxnas/ops` `groupNorm3d`. From opset 21 it is one ONNX `GroupNormalization` (per-channel
 * scale and bias); below, where ONNX has no usable one (opset 18's scales per group), it is
 * `Reshape [n, G, −1]` → `InstanceNormalization` → `Reshape` back → `Mul gamma` → `Add beta`.
 * Returns the output name.
 *
 * @throws OnnxEmitError when groups do not divide the channels, or as {@link emitInstanceNorm3d}.
 * @example
 * const y = emitGroupNorm3d(b, x, { groups: 4, gamma, beta, name: 'enc0/norm1' });
 */
export function emitGroupNorm3d(b: GraphBuilder, input: string, options: EmitGroupNormOptions): string {
  const prefix = prefixOf(options?.name, 'groupNorm3d');
  const who = `emitGroupNorm3d(${prefix})`;
  const shape = checkInput(b, who, input);
  if (options === null || typeof options !== 'object') {
    throw new OnnxEmitError(`${who}: options must be an object with groups`);
  }
  const c = resolveChannels(who, shape, options);
  const g = options.groups;
  if (!Number.isSafeInteger(g) || g < 1 || c % g !== 0) {
    throw new OnnxEmitError(`${who}: groups must divide the ${c} channels, got groups=${show(g)}`);
  }
  const eps = resolveEps(who, options.eps);
  if (b.opset >= 21) {
    const scale = addFloat(b, `${prefix}/gamma`, options.gamma ?? fill(c, 1), [c]);
    const bias = addFloat(b, `${prefix}/beta`, options.beta ?? fill(c, 0), [c]);
    const [y] = b.node('GroupNormalization', {
      inputs: [input, scale, bias],
      name: prefix,
      attributes: { epsilon: attr.float(eps), num_groups: attr.int(g) },
    });
    setFloat(b, y!, shape);
    return y!;
  }
  const [inShape] = b.node('Shape', { inputs: [input], name: `${prefix}/shape` });
  const [grouped] = b.node('Reshape', {
    inputs: [input, addInt64(b, `${prefix}/grouped_shape`, [0, g, -1])],
    name: `${prefix}/group`,
  });
  const [normed] = b.node('InstanceNormalization', {
    inputs: [
      grouped!,
      addFloat(b, `${prefix}/group_scale`, fill(g, 1), [g]),
      addFloat(b, `${prefix}/group_bias`, fill(g, 0), [g]),
    ],
    name: `${prefix}/normalize`,
    attributes: { epsilon: attr.float(eps) },
  });
  let [y] = b.node('Reshape', {
    inputs: [normed!, inShape!],
    name: options.gamma === undefined && options.beta === undefined ? prefix : `${prefix}/ungroup`,
  });
  if (options.gamma !== undefined) {
    [y] = b.node('Mul', {
      inputs: [y!, addFloat(b, `${prefix}/gamma`, options.gamma, [c, 1, 1, 1])],
      name: options.beta === undefined ? prefix : `${prefix}/scale`,
    });
  }
  if (options.beta !== undefined) {
    [y] = b.node('Add', {
      inputs: [y!, addFloat(b, `${prefix}/beta`, options.beta, [c, 1, 1, 1])],
      name: prefix,
    });
  }
  setFloat(b, y!, shape);
  return y!;
}

/** Options of {@link emitBatchNorm3d}: the running statistics and affine parameters of a `BatchNorm3d` in eval mode. */
export interface EmitBatchNormOptions extends EmitNormOptions {
  /** Running mean `[C]`. */
  readonly mean: Float32Array;
  /** Running (unbiased) variance `[C]`. */
  readonly variance: Float32Array;
}

/**
 * Emits `@voxnas/ops` `batchNorm3d` with given statistics (a `BatchNorm3d` in eval mode) as an ONNX
 * `BatchNormalization` (inference). Returns the output name.
 *
 * @throws OnnxEmitError when a statistic or affine vector has the wrong length.
 * @example
 * const y = emitBatchNorm3d(b, x, { mean, variance, gamma, beta, name: 'enc0/norm1' });
 */
export function emitBatchNorm3d(b: GraphBuilder, input: string, options: EmitBatchNormOptions): string {
  const prefix = prefixOf(options?.name, 'batchNorm3d');
  const who = `emitBatchNorm3d(${prefix})`;
  const shape = checkInput(b, who, input);
  if (options === null || typeof options !== 'object') {
    throw new OnnxEmitError(`${who}: options must be an object with mean and variance`);
  }
  const c = resolveChannels(who, shape, options, options.mean);
  checkVector(who, 'mean', options.mean, c);
  checkVector(who, 'variance', options.variance, c);
  const eps = resolveEps(who, options.eps);
  const [y] = b.node('BatchNormalization', {
    inputs: [
      input,
      addFloat(b, `${prefix}/gamma`, options.gamma ?? fill(c, 1), [c]),
      addFloat(b, `${prefix}/beta`, options.beta ?? fill(c, 0), [c]),
      addFloat(b, `${prefix}/mean`, options.mean, [c]),
      addFloat(b, `${prefix}/variance`, options.variance, [c]),
    ],
    name: prefix,
    attributes: { epsilon: attr.float(eps) },
  });
  setFloat(b, y!, shape);
  return y!;
}
