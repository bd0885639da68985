import * as tf from '@tensorflow/tfjs-core';

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
