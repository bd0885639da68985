import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `fn` and throws if it leaves tensors behind (compares `tf.memory().numTensors`
 * before and after). Variables created on purpose must be disposed by `fn`.
 */
export async function expectNoLeaks<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  const after = tf.memory().numTensors;
  if (after !== before) {
    throw new Error(`expectNoLeaks: ${after - before} tensor(s) leaked (before ${before}, after ${after})`);
  }
  return out;
}
