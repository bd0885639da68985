import * as tf from '@tensorflow/tfjs-core';
import { backendOf } from './pad.js';

/**
 * Wraps tfjs-backend-webgpu's `Select` (`tf.where`), which throws "Where for rank 5 is not yet
 * supported" in tfjs 4.22 — PReLU's and LeakyReLU-style gradients use it. When condition, `t` and
 * `e` all have one shape of rank ≥ 5 (elementwise), they run flattened to rank 1 and the result is
 * reshaped back; other calls go to the original kernel.
 */
export function rankSafeSelect(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { condition, t, e } = args.inputs as { condition: tf.TensorInfo; t: tf.TensorInfo; e: tf.TensorInfo };
    const same = (a: tf.TensorInfo) => a.shape.length === t.shape.length && a.shape.every((d, i) => d === t.shape[i]);
    if (t.shape.length < 5 || !same(condition) || !same(e)) return original(args);
    const size = tf.util.sizeFromShape(t.shape);
    const backend = backendOf(args);
    const reshape = tf.getKernel(tf.Reshape, 'webgpu')!.kernelFunc;
    const flat = [condition, t, e].map((x) => reshape({ inputs: { x }, backend: args.backend, attrs: { shape: [size] } }) as tf.TensorInfo);
    const result = original({ ...args, inputs: { condition: flat[0]!, t: flat[1]!, e: flat[2]! } }) as tf.TensorInfo;
    for (const f of flat) backend.disposeData(f.dataId);
    const out = reshape({ inputs: { x: result }, backend: args.backend, attrs: { shape: [...t.shape] } }) as tf.TensorInfo;
    backend.disposeData(result.dataId);
    return out;
  };
}
