import '@tensorflow/tfjs-backend-cpu';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { BINARY_BODIES } from './binary.js';
import type { FastBody } from './common.js';
import { COPY_BODIES } from './copy.js';
import { PAD_BODIES } from './pad.js';
import { REDUCE_BODIES } from './reduce.js';

/** What the typed-array kernels are doing right now (one shared, live object). */
export interface FastKernelStatus {
  /** True while the typed-array kernels are registered on the 'cpu' backend. */
  loaded: boolean;
  /** tfjs kernel names currently served by them, e.g. `Multiply`; empty when not loaded. */
  kernels: readonly string[];
  /** Why `loaded` is false (VOXNAS_BACKEND=cpu, unregistered by the caller). */
  reason?: string;
}

const BODIES: ReadonlyArray<readonly [string, FastBody]> = [
  ...BINARY_BODIES,
  ...REDUCE_BODIES,
  ...COPY_BODIES,
  ...PAD_BODIES,
];

/** The kernels as the CPU backend registered them, captured before the first replacement. */
const originals = new Map<string, tf.KernelConfig>();
/** Our configs, so re-registration is idempotent and unregistering never removes a stranger's. */
const ours = new Map<string, tf.KernelConfig>();

/**
 * The state of the typed-array kernels, kept up to date by {@link registerFastKernels} and
 * {@link unregisterFastKernels}.
 *
 * @example
 * import { fastKernelStatus } from '@voxnas/kernels';
 * console.log(fastKernelStatus.kernels.join(', ')); // Add, Sub, Multiply, RealDiv, Sum, Mean, …
 */
export const fastKernelStatus: FastKernelStatus = { loaded: false, kernels: [] };

function setStatus(loaded: boolean, kernels: string[], reason?: string): FastKernelStatus {
  fastKernelStatus.loaded = loaded;
  fastKernelStatus.kernels = Object.freeze([...kernels]);
  if (reason === undefined) delete fastKernelStatus.reason;
  else fastKernelStatus.reason = reason;
  return { ...fastKernelStatus };
}

function wrap(body: FastBody, original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const result = body(
      args.inputs as Record<string, tf.TensorInfo>,
      args.backend as MathBackendCPU,
      args.attrs ?? {},
    );
    return result ?? original(args);
  };
}

/**
 * Replaces the tfjs 'cpu' backend's Add, Sub, Multiply, RealDiv, Sum, Mean, Slice, Concat,
 * SplitV, Unpack, Pack and PadV2 kernels by plain TypeScript loops over typed arrays: broadcasting
 * by blocks (no per-element index arithmetic), reductions without transposes (Float64
 * accumulation), copies by contiguous runs. They handle float32 (copies also int32/bool) up to
 * rank 6 and hand every other case to the original kernel. No native code: they also serve when
 * the oneDNN addon is missing. Idempotent; importing the package calls it unless
 * `VOXNAS_BACKEND=cpu` is set.
 *
 * @returns a snapshot of {@link fastKernelStatus}
 * @example
 * import { registerFastKernels, unregisterFastKernels } from '@voxnas/kernels';
 * unregisterFastKernels(); // tfjs's own JavaScript kernels, e.g. for a parity check
 * registerFastKernels();
 */
export function registerFastKernels(): FastKernelStatus {
  const names: string[] = [];
  for (const [name, body] of BODIES) {
    const current = tf.getKernel(name, 'cpu');
    if (current && current === ours.get(name)) {
      names.push(name);
      continue;
    }
    if (!current) continue;
    originals.set(name, current);
    const config: tf.KernelConfig = { ...current, kernelFunc: wrap(body, current.kernelFunc) };
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel(config);
    ours.set(name, config);
    names.push(name);
  }
  return setStatus(true, names);
}

/**
 * Restores the kernels that {@link registerFastKernels} replaced.
 *
 * @example
 * unregisterFastKernels();
 * const reference = tf.mean(x, [1, 2, 3]); // tfjs-backend-cpu's kernel
 * registerFastKernels();
 */
export function unregisterFastKernels(): void {
  for (const [name, config] of ours) {
    if (tf.getKernel(name, 'cpu') === config) {
      tf.unregisterKernel(name, 'cpu');
      const original = originals.get(name);
      if (original) tf.registerKernel(original);
    }
  }
  ours.clear();
  setStatus(false, [], 'unregisterFastKernels() restored the tfjs-backend-cpu kernels');
}

/** Registration done at import (skipped with VOXNAS_BACKEND=cpu, like the native kernels). */
export function registerFastAtImport(): void {
  if (process.env.VOXNAS_BACKEND === 'cpu') {
    setStatus(false, [], 'VOXNAS_BACKEND=cpu requests the tfjs-backend-cpu kernels; call registerFastKernels() to override');
    return;
  }
  registerFastKernels();
}
