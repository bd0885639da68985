import * as tf from '@tensorflow/tfjs-core';
import { backendOf } from './pad.js';

interface StridedSliceAttrs {
  begin: number[];
  end: number[];
  strides: number[];
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
}

/** A strided slice of rank ≤ 4 on a reshaped view doing the same as a rank ≥ 5 one (or null). */
export interface StridedSlicePlan {
  readonly shape: number[];
  readonly begin: number[];
  readonly end: number[];
  readonly strides: number[];
}

/**
 * Merges runs of untouched axes (begin 0, end = size, stride 1) into one axis each, so that e.g.
 * the dilated-filter gradient's `[kd, kh, kw, ci, co]` sliced with strides `[d, d, d, 1, 1]` becomes
 * `[kd, kh, kw, ci·co]` with strides `[d, d, d, 1]` (same memory, same result). Returns null when the
 * merged rank is still above `maxRank`.
 *
 * @example
 * planStridedSlice([5, 5, 5, 2, 3], [0, 0, 0, 0, 0], [5, 5, 5, 2, 3], [2, 2, 2, 1, 1]);
 * // { shape: [5, 5, 5, 6], begin: [0, 0, 0, 0], end: [5, 5, 5, 6], strides: [2, 2, 2, 1] }
 */
export function planStridedSlice(
  shape: readonly number[],
  begin: readonly number[],
  end: readonly number[],
  strides: readonly number[],
  maxRank = 4,
): StridedSlicePlan | null {
  const plan: StridedSlicePlan = { shape: [], begin: [], end: [], strides: [] };
  let runOpen = false;
  for (let i = 0; i < shape.length; i++) {
    const identity = begin[i] === 0 && end[i] === shape[i] && strides[i] === 1;
    if (identity && runOpen) {
      const last = plan.shape.length - 1;
      plan.shape[last]! *= shape[i]!;
      plan.end[last]! *= shape[i]!;
      continue;
    }
    plan.shape.push(shape[i]!);
    plan.begin.push(begin[i]!);
    plan.end.push(end[i]!);
    plan.strides.push(strides[i]!);
    runOpen = identity;
  }
  return plan.shape.length <= maxRank ? plan : null;
}

/**
 * Wraps tfjs-backend-webgpu's `StridedSlice` kernel: a strided (non-contiguous) slice of rank ≥ 5
 * fails to compile in tfjs 4.22 (the same `vec5` indexing as its pad), so it runs as a rank ≤ 4
 * slice of a reshaped view when {@link planStridedSlice} finds one; everything else goes to the
 * original kernel.
 */
export function rankSafeStridedSlice(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    // tfjs types attrs as a NamedAttrMap (index signature); StridedSlice's attrs are these fields.
    const a = args.attrs as unknown as StridedSliceAttrs;
    if (x.shape.length < 5 || a.ellipsisMask !== 0 || a.newAxisMask !== 0) return original(args);
    const info = tf.slice_util.sliceInfo(x.shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
    if (info.isIdentity || info.sliceDim0 || info.isSimpleSlice) return original(args);
    const valid = info.strides.every((s, i) => s > 0 && info.begin[i]! >= 0 && info.end[i]! <= x.shape[i]! && info.begin[i]! < info.end[i]!);
    const plan = valid ? planStridedSlice(x.shape, info.begin, info.end, info.strides) : null;
    if (plan === null) return original(args);
    const backend = backendOf(args);
    const reshape = tf.getKernel(tf.Reshape, 'webgpu')!.kernelFunc;
    const flat = reshape({ inputs: { x }, backend: args.backend, attrs: { shape: plan.shape } }) as tf.TensorInfo;
    const sliced = original({
      inputs: { x: flat },
      backend: args.backend,
      attrs: { begin: plan.begin, end: plan.end, strides: plan.strides, beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 },
    }) as tf.TensorInfo;
    backend.disposeData(flat.dataId);
    const out = reshape({ inputs: { x: sliced }, backend: args.backend, attrs: { shape: info.finalShape } }) as tf.TensorInfo;
    backend.disposeData(sliced.dataId);
    return out;
  };
}
