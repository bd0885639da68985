// Test helpers (not exported): a synthetic sphere volume and a few training utilities.
import * as tf from '@tensorflow/tfjs-core';

/** A [1, z, y, x, 1] image (sphere brighter than background, plus a smooth gradient) and its [1, z, y, x, 2] one-hot labels. */
export function sphereVolume(shape: readonly [number, number, number], radius: number): { image: tf.Tensor5D; labels: tf.Tensor5D; mask: Uint8Array } {
  const [nz, ny, nx] = shape;
  const img = new Float32Array(nz * ny * nx);
  const mask = new Uint8Array(nz * ny * nx);
  const c = [(nz - 1) / 2, (ny - 1) / 2, (nx - 1) / 2];
  let i = 0;
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++, i++) {
        const r = Math.hypot(z - c[0]!, y - c[1]!, x - c[2]!);
        const inside = r <= radius ? 1 : 0;
        mask[i] = inside;
        img[i] = inside ? 1 : 0;
        img[i] = img[i]! + 0.1 * Math.sin(0.7 * x + 0.3 * y) - 0.5;
      }
  return tf.tidy(() => {
    const m = tf.tensor(mask, [1, nz, ny, nx], 'int32');
    return {
      image: tf.tensor(img, [1, nz, ny, nx, 1]) as tf.Tensor5D,
      labels: tf.cast(tf.reshape(tf.oneHot(tf.reshape(m, [-1]) as tf.Tensor1D, 2), [1, nz, ny, nx, 2]), 'float32') as tf.Tensor5D,
      mask,
    };
  });
}

/** Mean softmax cross-entropy of NDHWC logits against one-hot labels. */
export function crossEntropy(logits: tf.Tensor5D, labels: tf.Tensor5D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1))) as tf.Scalar);
}

/** Dice of the argmax foreground (class 1) against a 0/1 mask. */
export function diceOf(logits: tf.Tensor5D, mask: Uint8Array): number {
  const pred = tf.tidy(() => tf.argMax(logits, -1).dataSync());
  let inter = 0;
  let p = 0;
  let t = 0;
  for (let i = 0; i < mask.length; i++) {
    const a = pred[i] === 1 ? 1 : 0;
    inter += a & mask[i]!;
    p += a;
    t += mask[i]!;
  }
  return (2 * inter) / (p + t);
}
