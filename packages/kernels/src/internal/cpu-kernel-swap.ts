import * as tf from '@tensorflow/tfjs-core';

/**
 * Puts `make(current)` in place of the cpu kernel `name`, remembering the kernel it replaces in
 * `originals` and the new one in `ours`. Idempotent (a kernel that is already ours stays). Returns
 * false when this tfjs has no cpu kernel of that name (nothing to replace).
 */
export function replaceCpuKernel(
  ours: Map<string, tf.KernelConfig>,
  originals: Map<string, tf.KernelConfig>,
  name: string,
  make: (current: tf.KernelConfig) => tf.KernelConfig,
): boolean {
  const current = tf.getKernel(name, 'cpu');
  if (current && current === ours.get(name)) return true;
  if (!current) return false;
  originals.set(name, current);
  const config = make(current);
  tf.unregisterKernel(name, 'cpu');
  tf.registerKernel(config);
  ours.set(name, config);
  return true;
}

/**
 * Unregisters every kernel of `ours` that is still registered (never a stranger's that replaced it
 * since), re-registers the original it replaced, if any, and forgets them.
 */
export function restoreCpuKernels(ours: Map<string, tf.KernelConfig>, originals: ReadonlyMap<string, tf.KernelConfig>): void {
  for (const [name, config] of ours) {
    if (tf.getKernel(name, 'cpu') === config) {
      tf.unregisterKernel(name, 'cpu');
      const original = originals.get(name);
      if (original) tf.registerKernel(original);
    }
  }
  ours.clear();
}
