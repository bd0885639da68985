// Helpers for the fast-kernel tests (not exported from the package).
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@voxnas/core';
import { registerFastKernels, unregisterFastKernels } from '../src/fast/register.js';

/** Runs `fn` with tfjs-backend-cpu's own kernels, then re-registers the fast ones. */
export function withOriginalKernels<T>(fn: () => T): T {
  unregisterFastKernels();
  try {
    return fn();
  } finally {
    registerFastKernels();
  }
}

/** A float32 tensor of normal samples; `offset` keeps divisors away from 0. */
export function randn(rng: Rng, shape: number[], offset = 0): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal() + offset;
  return tf.tensor(v, shape);
}

/** Runs `fn` with the fast kernels and with the original ones; returns both outputs' values and shapes. */
export function both(fn: () => tf.Tensor | tf.Tensor[]): {
  fast: Array<{ shape: number[]; values: Float32Array | Int32Array | Uint8Array; dtype: string }>;
  orig: Array<{ shape: number[]; values: Float32Array | Int32Array | Uint8Array; dtype: string }>;
} {
  // tidy() disposes what `fn` builds on the way; the backend's data count catches kernel leaks.
  const take = () => {
    const backend = tf.engine().backend;
    const before = backend.numDataIds();
    const res = tf.tidy(() => {
      const out = fn();
      const list = Array.isArray(out) ? out : [out];
      return list.map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array, dtype: t.dtype as string }));
    });
    const after = backend.numDataIds();
    if (after !== before) throw new Error(`kernel leaked ${after - before} backend buffer(s)`);
    return res;
  };
  registerFastKernels();
  const fast = take();
  const orig = withOriginalKernels(take);
  return { fast, orig };
}

registerFastKernels(); // every fast-kernel test starts with them registered
