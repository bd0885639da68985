import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients itself; see internal/gradients.ts.
import '#tfjs-gradients';
import { checkNdhwc, triple } from '../internal/validate.js';

/** Options of `upsample3d`. */
export interface Upsample3dOptions {
  /** Integer scale factor per axis [d, h, w] (or one number). Default 2. */
  readonly scale?: number | readonly [number, number, number];
  /** `'nearest'` or `'trilinear'` (default). Both follow torch `F.interpolate(align_corners=False)`. */
  readonly mode?: 'nearest' | 'trilinear';
}

/**
 * 3D upsampling of NDHWC input by integer factors, with gradient, matching PyTorch's
 * `F.interpolate(x, scale_factor=s, mode='nearest' | 'trilinear', align_corners=False)`: output voxel o
 * samples the source coordinate (o + 0.5) / s − 0.5 (clamped at 0) linearly, or floor(o / s) for
 * nearest. Implemented per axis with two gathers and weights, so the gradient comes from gather.
 *
 * @example
 * const y = upsample3d(x, { scale: 2, mode: 'trilinear' }); // [1,3,4,5,2] → [1,6,8,10,2]
 */
export function upsample3d(x: tf.Tensor5D, options: Upsample3dOptions = {}): tf.Tensor5D {
  checkNdhwc('upsample3d', x);
  const scale = triple('upsample3d', 'scale', options.scale ?? 2);
  const mode = options.mode ?? 'trilinear';
  return tf.tidy('upsample3d', () => {
    let y: tf.Tensor = x;
    for (let a = 0; a < 3; a++) {
      const s = scale[a]!;
      if (s === 1) continue;
      const n = y.shape[a + 1]!;
      const nOut = n * s;
      if (mode === 'nearest') {
        const idx = new Int32Array(nOut);
        for (let o = 0; o < nOut; o++) idx[o] = Math.min(Math.floor(o / s), n - 1);
        y = tf.gather(y, tf.tensor1d(idx, 'int32'), a + 1);
        continue;
      }
      const i0 = new Int32Array(nOut);
      const i1 = new Int32Array(nOut);
      const w0 = new Float32Array(nOut);
      const w1 = new Float32Array(nOut);
      for (let o = 0; o < nOut; o++) {
        const src = Math.max((o + 0.5) / s - 0.5, 0);
        const lo = Math.min(Math.floor(src), n - 1);
        const hi = lo < n - 1 ? lo + 1 : lo;
        const l1 = src - lo;
        i0[o] = lo;
        i1[o] = hi;
        w0[o] = 1 - l1;
        w1[o] = l1;
      }
      const wShape = [1, 1, 1, 1, 1];
      wShape[a + 1] = nOut;
      y = tf.add(
        tf.mul(tf.gather(y, tf.tensor1d(i0, 'int32'), a + 1), tf.tensor(w0, wShape)),
        tf.mul(tf.gather(y, tf.tensor1d(i1, 'int32'), a + 1), tf.tensor(w1, wShape)),
      );
    }
    return y === x ? tf.clone(x) : (y as tf.Tensor5D);
  });
}
