import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './errors.js';
import { conv3dGradConfig } from './conv3d-gradient.js';
import { loadAddon, type NativeDiagnosis } from './internal/addon.js';
import { makeKernelFunc, NATIVE_BODIES } from './internal/kernels.js';
import { accel, originals, ours } from './internal/state.js';
import { replaceCpuKernel, restoreCpuKernels } from './internal/cpu-kernel-swap.js';

/** What the native kernels are doing right now (one shared, live object). */
export interface NativeStatus {
  /** True while the oneDNN kernels are registered on the 'cpu' backend. */
  loaded: boolean;
  /** tfjs kernel names currently served natively, e.g. `Conv3D`; empty when not loaded. */
  kernels: readonly string[];
  /** Threads oneDNN uses (OpenMP); 1 when not loaded (the JavaScript kernels are single-threaded). */
  threads: number;
  /** Why `loaded` is false (addon missing, VOXNAS_BACKEND=cpu, unregistered by the caller). */
  reason?: string;
}

let originalGrad: tf.GradConfig | undefined;

/**
 * The result of the registration done when `@voxnas/kernels` was imported, kept up to date by
 * {@link registerNativeKernels}, {@link unregisterNativeKernels} and {@link setNativeThreads}.
 *
 * @example
 * import { nativeStatus } from '@voxnas/kernels';
 * console.log(nativeStatus.loaded ? `oneDNN on ${nativeStatus.threads} threads` : nativeStatus.reason);
 */
export const nativeStatus: NativeStatus = {
  loaded: false,
  kernels: [],
  threads: 1,
  reason: 'not registered: call registerNativeKernels() (initBackend of @voxnas/ops does)',
};

function setStatus(s: NativeStatus): NativeStatus {
  nativeStatus.loaded = s.loaded;
  nativeStatus.kernels = Object.freeze([...s.kernels]);
  nativeStatus.threads = s.threads;
  if (s.reason === undefined) delete nativeStatus.reason;
  else nativeStatus.reason = s.reason;
  return { ...nativeStatus };
}

/** Installs the dilation-capable Conv3D gradient (it has a JavaScript path, so it is always safe). */
function registerGradientOnce(): void {
  const grad = tf.getGradient(tf.Conv3D);
  if (grad !== conv3dGradConfig) {
    originalGrad = grad;
    tf.registerGradient(conv3dGradConfig);
  }
}

/**
 * Replaces the tfjs 'cpu' backend's Conv3D, Conv3DBackpropInputV2, Conv3DBackpropFilterV2,
 * MaxPool3D, MaxPool3DGrad, AvgPool3D and AvgPool3DGrad kernels by oneDNN ones (NDHWC activations,
 * DHWIO filters, float32; other dtypes fall through to the JavaScript kernels), and registers a
 * Conv3D gradient that supports dilations (also when the addon is missing: it then differentiates
 * with tfjs ops). Idempotent. Importing the package calls it once; with `VOXNAS_BACKEND=cpu` set,
 * import registers only the gradient.
 *
 * @returns a snapshot of {@link nativeStatus}; `loaded` is false with a `reason` when the addon
 * was not built or could not load.
 * @example
 * import { registerNativeKernels, unregisterNativeKernels } from '@voxnas/kernels';
 * unregisterNativeKernels(); // pure JavaScript kernels, e.g. for a parity check
 * const status = registerNativeKernels(); // back to oneDNN
 */
export function registerNativeKernels(): NativeStatus {
  registerGradientOnce();
  const load = loadAddon();
  if (!load.addon) return setStatus({ loaded: false, kernels: [], threads: 1, reason: load.reason });
  const addon = load.addon;
  const names: string[] = [];
  for (const [name, body] of NATIVE_BODIES) {
    const replaced = replaceCpuKernel(ours, originals, name, (current) => ({
      kernelName: name,
      backendName: 'cpu',
      kernelFunc: makeKernelFunc(addon, body, current.kernelFunc),
    }));
    if (replaced) names.push(name);
  }
  accel.addon = addon;
  return setStatus({ loaded: true, kernels: names, threads: addon.getNumThreads() });
}

/**
 * Restores the JavaScript kernels (and tfjs's own Conv3D gradient) that
 * {@link registerNativeKernels} replaced. For parity tests and benchmarks.
 *
 * @example
 * unregisterNativeKernels();
 * const reference = tf.conv3d(x, w, 1, 'same'); // JavaScript kernel
 * registerNativeKernels();
 */
export function unregisterNativeKernels(): void {
  restoreCpuKernels(ours, originals);
  accel.addon = null;
  if (originalGrad && tf.getGradient(tf.Conv3D) === conv3dGradConfig) tf.registerGradient(originalGrad);
  const addon = loadAddon().addon;
  setStatus({
    loaded: false,
    kernels: [],
    threads: 1,
    reason: addon ? 'unregisterNativeKernels() restored the JavaScript kernels' : (loadAddon().reason ?? ''),
  });
}

/**
 * Says whether the native addon loads here and, when it does not, why — the build script never ran
 * (pnpm 10 skips unapproved dependencies' build scripts), oneDNN or a compiler was missing when it
 * ran, node-gyp failed, or a binary exists but does not load — with the exact command that fixes it.
 * Loads the addon (once) but registers nothing. `voxnas doctor` prints it.
 *
 * @example
 * import { diagnoseNative } from '@voxnas/kernels';
 * const d = diagnoseNative();
 * if (d.state !== 'loaded') console.log(`${d.detail}\nfix: ${d.fix}`);
 */
export function diagnoseNative(): NativeDiagnosis {
  return { ...loadAddon().diagnosis };
}

/**
 * Sets how many threads the oneDNN kernels use (OpenMP). The default is every core, or
 * `OMP_NUM_THREADS` when set. Does nothing when the addon is not loaded.
 *
 * @param n a positive integer
 * @throws {InvalidArgumentError} when `n` is not a positive integer
 * @example
 * setNativeThreads(2); // match torch.set_num_threads(2)
 */
export function setNativeThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(
      `setNativeThreads(${String(n)}): expected a positive integer thread count, got ${String(n)}`,
    );
  }
  const addon = loadAddon().addon;
  if (!addon) return;
  addon.setNumThreads(n);
  if (nativeStatus.loaded) nativeStatus.threads = addon.getNumThreads();
}

