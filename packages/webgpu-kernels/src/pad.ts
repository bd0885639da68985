import * as tf from '@tensorflow/tfjs-core';
import { planPad } from './pad-plan.js';

/** What the kernels need of tfjs-backend-webgpu's backend object. */
export interface WebGpuBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
}

/** The backend of a kernel call (tfjs types it as `{}`), checked to have what the kernels use. */
export function backendOf(args: Parameters<tf.KernelFunc>[0]): WebGpuBackendLike {
  const backend: { disposeData?: unknown } = args.backend;
  if (typeof backend.disposeData !== 'function') throw new TypeError('webgpu-kernels: the kernel was called without a backend that has disposeData');
  return backend as WebGpuBackendLike;
}

interface PadAttrs {
  paddings: Array<[number, number]>;
  constantValue: number;
}

/**
 * Wraps tfjs-backend-webgpu's `PadV2` kernel so that pads of rank ≥ 5 run as reshaped pads of rank
 * ≤ 4 (see {@link planPad}); lower ranks go to the original kernel unchanged. The reshapes share the
 * GPU buffer (tfjs's Reshape kernel only bumps a reference count), so the fix costs nothing.
 */
export function rankSafePad(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    // tfjs types attrs as a NamedAttrMap (index signature); PadV2's attrs are these two fields.
    const { paddings, constantValue } = args.attrs as unknown as PadAttrs;
    const steps = x.shape.length >= 5 && tf.util.sizeFromShape(x.shape) > 0 ? planPad(x.shape, paddings) : [];
    if (steps.length === 0) return original(args);
    const backend = backendOf(args);
    const reshape = tf.getKernel(tf.Reshape, 'webgpu')!.kernelFunc;
    let current = x;
    for (const step of steps) {
      const flat = reshape({ inputs: { x: current }, backend: args.backend, attrs: { shape: [...step.shape] } }) as tf.TensorInfo;
      if (current !== x) backend.disposeData(current.dataId);
      const padded = original({
        inputs: { x: flat },
        backend: args.backend,
        // tfjs's Attribute type has no number[][], although PadV2's paddings are one.
        attrs: { paddings: step.paddings.map((p) => [p[0], p[1]]), constantValue } as unknown as tf.NamedAttrMap,
      }) as tf.TensorInfo;
      backend.disposeData(flat.dataId);
      current = reshape({ inputs: { x: padded }, backend: args.backend, attrs: { shape: [...step.outShape] } }) as tf.TensorInfo;
      backend.disposeData(padded.dataId);
    }
    return current;
  };
}
