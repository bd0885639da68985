import * as tf from '@tensorflow/tfjs-core';
import { backendOf } from './pad.js';

/**
 * tfjs-backend-webgpu kernels built on its `BinaryOpProgram`, which takes a "shared memory" path
 * when one operand is rank ≤ 1 with fewer than 128 elements (a per-channel `gamma`, `beta` or PReLU
 * `alpha`) and the other has rank > 1; that path indexes the output coordinates (`coords[rank − 1]`),
 * which does not compile for rank ≥ 5 in tfjs 4.22.
 */
export const BINARY_KERNELS: readonly string[] = [
  tf.Add,
  tf.Sub,
  tf.Multiply,
  tf.RealDiv,
  tf.FloorDiv,
  tf.Maximum,
  tf.Minimum,
  tf.Pow,
  tf.SquaredDifference,
  tf.Mod,
  tf.Atan2,
  tf.Equal,
  tf.NotEqual,
  tf.Greater,
  tf.GreaterEqual,
  tf.Less,
  tf.LessEqual,
  tf.LogicalAnd,
  tf.LogicalOr,
  tf.Prelu,
];

/**
 * Wraps a binary kernel: when one operand is rank ≤ 1 (it broadcasts along the last axis only) and
 * the other is rank ≥ 5, the big operand runs as `[size / last, last]` and the result is reshaped
 * back — the same elementwise pairing, through tfjs's rank-2 shader. Other calls go to the original.
 */
export function rankSafeBinary(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const keys = Object.keys(args.inputs);
    if (keys.length !== 2) return original(args);
    const [ka, kb] = keys as [string, string];
    const a = args.inputs[ka] as tf.TensorInfo;
    const b = args.inputs[kb] as tf.TensorInfo;
    const bigKey = a.shape.length >= 5 && b.shape.length <= 1 ? ka : b.shape.length >= 5 && a.shape.length <= 1 ? kb : null;
    if (bigKey === null) return original(args);
    const big = args.inputs[bigKey] as tf.TensorInfo;
    const last = big.shape[big.shape.length - 1]!;
    const size = tf.util.sizeFromShape(big.shape);
    if (size === 0 || last === 0) return original(args);
    const backend = backendOf(args);
    const reshape = tf.getKernel(tf.Reshape, 'webgpu')!.kernelFunc;
    const flat = reshape({ inputs: { x: big }, backend: args.backend, attrs: { shape: [size / last, last] } }) as tf.TensorInfo;
    const result = original({ ...args, inputs: { ...args.inputs, [bigKey]: flat } }) as tf.TensorInfo;
    backend.disposeData(flat.dataId);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = reshape({ inputs: { x: result }, backend: args.backend, attrs: { shape: outShape } }) as tf.TensorInfo;
    backend.disposeData(result.dataId);
    return out;
  };
}
