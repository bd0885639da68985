import * as tf from '@tensorflow/tfjs-core';
import { chunkedAddN } from './add-n.js';
import { BINARY_KERNELS, rankSafeBinary } from './binary.js';
import { rankSafePad } from './pad.js';
import { rankSafeSelect } from './select.js';
import { rankSafeStridedSlice } from './strided-slice.js';

/** What {@link registerWebGpuKernels} did (one shared, live object). */
export interface WebGpuKernelStatus {
  /** True while voxnas's kernels are registered on the 'webgpu' backend. */
  loaded: boolean;
  /** tfjs kernel names served by them, e.g. `PadV2`; empty when not loaded. */
  kernels: readonly string[];
  /** Why `loaded` is false. */
  reason?: string;
}

/** Replacements of tfjs-backend-webgpu kernels: name → wrapper of the original kernel function. */
const REPLACEMENTS: ReadonlyArray<readonly [string, (original: tf.KernelFunc) => tf.KernelFunc]> = [
  [tf.PadV2, rankSafePad],
  [tf.StridedSlice, rankSafeStridedSlice],
  [tf.AddN, chunkedAddN],
  [tf.Select, rankSafeSelect],
  ...BINARY_KERNELS.map((name) => [name, rankSafeBinary] as const),
];

/** New kernels (names of their own) and the gradients they need. */
const ADDITIONS: readonly tf.KernelConfig[] = [];
const GRADIENTS: readonly tf.GradConfig[] = [];

const originals = new Map<string, tf.KernelConfig>();
const ours = new Map<string, tf.KernelConfig>();

/**
 * The state of voxnas's WebGPU kernels, kept up to date by {@link registerWebGpuKernels} and
 * {@link unregisterWebGpuKernels}.
 *
 * @example
 * import { webGpuKernelStatus } from '@voxnas/webgpu-kernels';
 * console.log(webGpuKernelStatus.kernels.join(', ')); // PadV2, …
 */
export const webGpuKernelStatus: WebGpuKernelStatus = { loaded: false, kernels: [] };

function setStatus(loaded: boolean, kernels: string[], reason?: string): WebGpuKernelStatus {
  webGpuKernelStatus.loaded = loaded;
  webGpuKernelStatus.kernels = Object.freeze([...kernels]);
  if (reason === undefined) delete webGpuKernelStatus.reason;
  else webGpuKernelStatus.reason = reason;
  return { ...webGpuKernelStatus };
}

/**
 * Registers voxnas's fixes on tfjs-backend-webgpu's kernel registry: `PadV2` for rank ≥ 5 (tfjs
 * 4.22's shader fails to compile there, returning zeros — which also breaks the gradient of every
 * rank-5 `tf.slice`). Call it after `@tensorflow/tfjs-backend-webgpu` has been imported (its import
 * registers the kernels being wrapped); `initBackend({ backend: 'webgpu' })` of `@voxnas/ops` does.
 * Idempotent. Importing this package registers nothing.
 *
 * @returns a snapshot of {@link webGpuKernelStatus}
 * @example
 * import '@tensorflow/tfjs-backend-webgpu';
 * import { registerWebGpuKernels } from '@voxnas/webgpu-kernels';
 * registerWebGpuKernels(); // { loaded: true, kernels: ['PadV2', …] }
 */
export function registerWebGpuKernels(): WebGpuKernelStatus {
  const names: string[] = [];
  for (const [name, wrap] of REPLACEMENTS) {
    const current = tf.getKernel(name, 'webgpu');
    if (current === undefined) continue;
    if (current !== ours.get(name)) {
      originals.set(name, current);
      const config: tf.KernelConfig = { ...current, kernelFunc: wrap(current.kernelFunc) };
      tf.unregisterKernel(name, 'webgpu');
      tf.registerKernel(config);
      ours.set(name, config);
    }
    names.push(name);
  }
  if (names.length === 0) {
    return setStatus(false, [], 'tfjs-backend-webgpu has registered no kernels (import @tensorflow/tfjs-backend-webgpu first)');
  }
  for (const config of ADDITIONS) {
    const current = tf.getKernel(config.kernelName, 'webgpu');
    if (current !== undefined && current !== ours.get(config.kernelName)) continue; // someone else's
    if (current === undefined) tf.registerKernel(config);
    ours.set(config.kernelName, config);
    names.push(config.kernelName);
  }
  for (const grad of GRADIENTS) tf.registerGradient(grad);
  return setStatus(true, names);
}

/**
 * Restores tfjs-backend-webgpu's own kernels (e.g. to measure what the fixes change).
 *
 * @example
 * unregisterWebGpuKernels();
 * const broken = tf.pad(x5, [[0, 0], [1, 1], [1, 1], [1, 1], [0, 0]]); // tfjs 4.22's rank-5 pad
 * registerWebGpuKernels();
 */
export function unregisterWebGpuKernels(): void {
  for (const [name, config] of ours) {
    if (tf.getKernel(name, 'webgpu') === config) {
      tf.unregisterKernel(name, 'webgpu');
      const original = originals.get(name);
      if (original) tf.registerKernel(original);
    }
  }
  ours.clear();
  setStatus(false, [], 'unregisterWebGpuKernels() restored the tfjs-backend-webgpu kernels');
}
