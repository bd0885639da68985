import * as tf from '@tensorflow/tfjs-core';
import type { Addon } from './addon.js';

/** The kernels as the CPU backend registered them, captured before the first replacement. */
export const originals = new Map<string, tf.KernelConfig>();
/** Our configs, so re-registration is idempotent and unregistering never removes a stranger's. */
export const ours = new Map<string, tf.KernelConfig>();

/** True when the native Conv3D backprop kernels (which honour `dilations`) serve the cpu backend. */
export function nativeConvBackpropActive(): boolean {
  return (
    tf.getBackend() === 'cpu' &&
    ours.has(tf.Conv3DBackpropInputV2) &&
    tf.getKernel(tf.Conv3DBackpropInputV2, 'cpu') === ours.get(tf.Conv3DBackpropInputV2) &&
    tf.getKernel(tf.Conv3DBackpropFilterV2, 'cpu') === ours.get(tf.Conv3DBackpropFilterV2)
  );
}

/**
 * The addon while the native kernels are registered (null otherwise): the typed-array and fused
 * kernels of src/fast hand their loops to it (multi-threaded, vectorised) when it is set and has
 * the function, so unregisterNativeKernels() also turns those paths back to JavaScript.
 */
export const accel: { addon: Addon | null } = { addon: null };
