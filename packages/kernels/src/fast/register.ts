import '@tensorflow/tfjs-backend-cpu';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { BINARY_BODIES } from './binary.js';
import type { FastBody } from './common.js';
import { COPY_BODIES } from './copy.js';
import { PAD_BODIES } from './pad.js';
import { REDUCE_BODIES } from './reduce.js';
import { FUSED_KERNELS, GROUP_NORM_GRAD_CONFIG, RELU_GRAD_CONFIG } from './fused.js';
import { UNARY_BODIES } from './unary.js';
import { replaceCpuKernel, restoreCpuKernels } from '../internal/cpu-kernel-swap.js';

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
  ...UNARY_BODIES,
];

/** The kernels as the CPU backend registered them, captured before the first replacement. */
const originals = new Map<string, tf.KernelConfig>();
/** Our configs, so re-registration is idempotent and unregistering never removes a stranger's. */
const ours = new Map<string, tf.KernelConfig>();
/** ReLU's gradient as registered before ours (tfjs's), restored by unregisterFastKernels. */
let originalReluGrad: tf.GradConfig | undefined;

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
 * SplitV, Unpack, Pack, PadV2, Relu and Step kernels by plain TypeScript loops over typed arrays:
 * broadcasting by blocks (no per-element index arithmetic), reductions without transposes (Float64
 * accumulation), copies by contiguous runs. They handle float32 (copies also int32/bool) up to
 * rank 6 and hand every other case to the original kernel. Also registers the fused kernels
 * `VoxnasGroupNorm`, `VoxnasGroupNormGrad` and `VoxnasReluGrad` (see `fused.ts`; @voxnas/ops uses
 * them for instance/group norm when present) and ReLU's gradient through `VoxnasReluGrad`. No
 * native code: they also serve when the oneDNN addon is missing. Idempotent; importing the
 * package calls it unless `VOXNAS_BACKEND=cpu` is set.
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
    if (replaceCpuKernel(ours, originals, name, (current) => ({ ...current, kernelFunc: wrap(body, current.kernelFunc) }))) names.push(name);
  }
  // Fused kernels under names of their own, and their gradients.
  for (const config of FUSED_KERNELS) {
    const current = tf.getKernel(config.kernelName, 'cpu');
    if (current !== undefined && current !== ours.get(config.kernelName)) continue; // someone else's
    if (current === undefined) tf.registerKernel(config);
    ours.set(config.kernelName, config);
    names.push(config.kernelName);
  }
  tf.registerGradient(GROUP_NORM_GRAD_CONFIG);
  const reluGrad = tf.getGradient(tf.Relu);
  if (reluGrad !== RELU_GRAD_CONFIG) {
    originalReluGrad = reluGrad;
    tf.registerGradient(RELU_GRAD_CONFIG);
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
  restoreCpuKernels(ours, originals);
  // Our ReLU gradient falls back to tfjs's formula without VoxnasReluGrad; restore tfjs's own
  // config when there was one.
  if (originalReluGrad !== undefined && tf.getGradient(tf.Relu) === RELU_GRAD_CONFIG) tf.registerGradient(originalReluGrad);
  originalReluGrad = undefined;
  setStatus(false, [], 'unregisterFastKernels() restored the tfjs-backend-cpu kernels');
}

