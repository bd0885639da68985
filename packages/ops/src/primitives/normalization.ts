import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients itself; see internal/gradients.ts.
import '#tfjs-gradients';
import { OperatorInputError } from '../errors.js';
import { checkNdhwc } from '../internal/validate.js';

/** Per-channel affine parameters shared by the normalisations: `gamma`, `beta` of shape `[C]`. */
export interface NormAffine {
  readonly gamma?: tf.Tensor1D;
  readonly beta?: tf.Tensor1D;
  /** Added to the variance. Default 1e-5 (PyTorch's). */
  readonly eps?: number;
}

function checkAffine(who: string, channels: number, { gamma, beta }: NormAffine): void {
  for (const [name, t] of [['gamma', gamma], ['beta', beta]] as const) {
    if (t !== undefined && (t.rank !== 1 || t.shape[0] !== channels)) {
      throw new OperatorInputError(`${who}: ${name} must have shape [${channels}], got [${t.shape.join(', ')}]`);
    }
  }
}

function affine(who: string, y: tf.Tensor, channels: number, { gamma, beta }: NormAffine): tf.Tensor {
  checkAffine(who, channels, { gamma, beta });
  let out = y;
  if (gamma !== undefined) out = tf.mul(out, gamma);
  if (beta !== undefined) out = tf.add(out, beta);
  return out;
}

/**
 * The fused group-norm kernel of @voxnas/kernels (one pass for the statistics, one for the output,
 * two for the gradient, instead of a dozen elementwise kernels each way). Its contract: inputs
 * `{x, gamma, beta}`, attrs `{groups, eps}`, outputs `[y, mean, invStd]`, with a registered gradient.
 */
const FUSED_GROUP_NORM = 'VoxnasGroupNorm';

/**
 * `x` group-normalised by the fused kernel, or undefined when the active backend does not have it
 * (then the composite formula runs). Call inside a tidy: the statistics outputs are left to it.
 */
function fusedGroupNorm(who: string, x: tf.Tensor5D, groups: number, options: NormAffine): tf.Tensor5D | undefined {
  if (x.dtype !== 'float32' || tf.getKernel(FUSED_GROUP_NORM, tf.getBackend()) === undefined) return undefined;
  const c = x.shape[4];
  checkAffine(who, c, options);
  const gamma = options.gamma ?? tf.ones([c]);
  const beta = options.beta ?? tf.zeros([c]);
  const [y] = tf.engine().runKernel(FUSED_GROUP_NORM, { x, gamma, beta }, {
    groups,
    eps: options.eps ?? 1e-5,
  }) as tf.Tensor[];
  return y as tf.Tensor5D;
}

/**
 * Instance normalisation of NDHWC input: each (sample, channel) is normalised over z, y, x with the
 * biased variance (PyTorch `InstanceNorm3d`), then scaled by `gamma` and shifted by `beta` if given.
 *
 * @example
 * const y = instanceNorm3d(x, { eps: 1e-5 }); // x [2,5,6,7,3] → same shape, zero mean per (n, c)
 */
export function instanceNorm3d(x: tf.Tensor5D, options: NormAffine = {}): tf.Tensor5D {
  checkNdhwc('instanceNorm3d', x);
  return tf.tidy('instanceNorm3d', () => {
    const fused = fusedGroupNorm('instanceNorm3d', x, x.shape[4], options);
    if (fused !== undefined) return fused;
    const { mean, variance } = tf.moments(x, [1, 2, 3], true);
    const y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, options.eps ?? 1e-5)));
    return affine('instanceNorm3d', y, x.shape[4], options) as tf.Tensor5D;
  });
}

/**
 * Group normalisation of NDHWC input: channels are split into `groups` consecutive groups, each
 * (sample, group) normalised over z, y, x and its channels (PyTorch `GroupNorm`).
 *
 * @example
 * const y = groupNorm3d(x, { groups: 2 }); // x [1,5,6,7,4]
 */
export function groupNorm3d(x: tf.Tensor5D, options: NormAffine & { readonly groups: number }): tf.Tensor5D {
  checkNdhwc('groupNorm3d', x);
  const [n, d, h, w, c] = x.shape;
  const g = options.groups;
  if (!Number.isInteger(g) || g < 1 || c % g !== 0) {
    throw new OperatorInputError(`groupNorm3d: groups must divide the ${c} channels, got groups=${g}`);
  }
  return tf.tidy('groupNorm3d', () => {
    const fused = fusedGroupNorm('groupNorm3d', x, g, options);
    if (fused !== undefined) return fused;
    const xg = tf.reshape(x, [n, d, h, w, g, c / g]);
    const { mean, variance } = tf.moments(xg, [1, 2, 3, 5], true);
    const y = tf.reshape(tf.mul(tf.sub(xg, mean), tf.rsqrt(tf.add(variance, options.eps ?? 1e-5))), x.shape);
    return affine('groupNorm3d', y, c, options) as tf.Tensor5D;
  });
}

/**
 * Batch normalisation of NDHWC input with given statistics (`mean`, `variance` of shape `[C]`), or
 * with the batch statistics over n, z, y, x when they are omitted (training mode). `BatchNorm3d` keeps
 * the running statistics.
 *
 * @example
 * const y = batchNorm3d(x, { mean, variance, gamma, beta });
 */
export function batchNorm3d(
  x: tf.Tensor5D,
  options: NormAffine & { readonly mean?: tf.Tensor1D; readonly variance?: tf.Tensor1D } = {},
): tf.Tensor5D {
  checkNdhwc('batchNorm3d', x);
  return tf.tidy('batchNorm3d', () => {
    let mean: tf.Tensor = options.mean as tf.Tensor;
    let variance: tf.Tensor = options.variance as tf.Tensor;
    if (options.mean === undefined || options.variance === undefined) {
      ({ mean, variance } = tf.moments(x, [0, 1, 2, 3]));
    }
    const y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, options.eps ?? 1e-5)));
    return affine('batchNorm3d', y, x.shape[4], options) as tf.Tensor5D;
  });
}
