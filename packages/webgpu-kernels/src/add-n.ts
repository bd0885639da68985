import type * as tf from '@tensorflow/tfjs-core';
import { backendOf } from './pad.js';

/**
 * Inputs per AddN shader. tfjs-backend-webgpu does not request `maxStorageBuffersPerShaderStage`
 * for its device, so it gets WebGPU's default of 8 whatever the adapter offers: the output and 7
 * inputs (measured: 7 inputs sum, 8 give an invalid pipeline on SwiftShader).
 */
export const ADD_N_CHUNK = 7;

/**
 * Wraps tfjs-backend-webgpu's `AddN`: tfjs 4.22 binds every input as its own storage buffer, so a
 * sum of more than 7 inputs exceeds the device's 8 storage buffers per shader stage: an invalid
 * pipeline whose result stays zero or stale (the previous sum, measured). A supernet's gradient accumulation hits
 * this (one activation feeds many candidate operators). Sums of more than {@link ADD_N_CHUNK} inputs
 * run as a tree of AddN calls of at most that many.
 */
export function chunkedAddN(original: tf.KernelFunc): tf.KernelFunc {
  // AddN takes its inputs as an array, which tfjs's NamedTensorInfoMap type does not describe.
  const sum = (args: Parameters<tf.KernelFunc>[0], inputs: tf.TensorInfo[]): tf.TensorInfo => {
    if (inputs.length <= ADD_N_CHUNK) return original({ ...args, inputs: inputs as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
    const backend = backendOf(args);
    const partial: tf.TensorInfo[] = [];
    for (let i = 0; i < inputs.length; i += ADD_N_CHUNK) {
      const chunk = inputs.slice(i, i + ADD_N_CHUNK);
      partial.push(chunk.length === 1 ? chunk[0]! : (original({ ...args, inputs: chunk as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo));
    }
    const out = sum(args, partial);
    for (const p of partial) if (!inputs.includes(p)) backend.disposeData(p.dataId);
    return out;
  };
  return (args) => sum(args, Object.values(args.inputs) as tf.TensorInfo[]);
}
