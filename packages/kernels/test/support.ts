// Helpers for this package's tests (not exported).
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@voxnas/core';
import { nativeStatus, registerNativeKernels, unregisterNativeKernels } from '../src/native-kernels.js';

/**
 * Parity tests need the addon. Outside CI they are skipped — with the reason in the suite title —
 * when it is not built; in CI (where .ci/run installs libdnnl-dev) they always run, and a separate
 * test asserts that the addon loaded.
 */
// Importing the package registers nothing (initBackend of @voxnas/ops does): these tests register.
registerNativeKernels();
export const skipNative = !nativeStatus.loaded && !process.env.CI;
export const skipNote = skipNative ? ` [skipped: ${nativeStatus.reason ?? 'native kernels not loaded'}]` : '';

/** Runs `fn` with the JavaScript kernels, then re-registers the native ones. */
export function withJsKernels<T>(fn: () => T): T {
  unregisterNativeKernels();
  try {
    return fn();
  } finally {
    registerNativeKernels();
  }
}

export function randomTensor(rng: Rng, shape: number[], integers = false): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = integers ? Math.round(rng.normal()) : rng.normal();
  return tf.tensor(v, shape);
}

/** Runs a kernel by name and returns its values (disposing the output). */
export function kernelValues(name: string, inputs: tf.NamedTensorMap, attrs: object): Float32Array {
  const out = tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
  const v = out.dataSync() as Float32Array;
  out.dispose();
  return v;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(Number(a[i])));
  return m;
}
