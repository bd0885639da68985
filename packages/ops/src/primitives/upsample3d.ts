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
 * nearest. Implemented per axis with slices, shifted copies, weighted sums and an interleaving reshape
 * (no gather), so the backward pass is made of cheap slice/concat/multiply gradients.
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
      const ax = a + 1;
      const n = y.shape[ax]!;
      // Output o = i·s + r: phase r of every source voxel i, stacked after axis ax then merged into it.
      const phases: tf.Tensor[] = [];
      if (mode === 'nearest') {
        for (let r = 0; r < s; r++) phases.push(y);
      } else {
        // Neighbours with edge clamping (torch clamps the source coordinate to [0, n − 1]).
        const prev = n > 1 ? tf.concat([sliceAxis(y, ax, 0, 1), sliceAxis(y, ax, 0, n - 1)], ax) : y;
        const next = n > 1 ? tf.concat([sliceAxis(y, ax, 1, n - 1), sliceAxis(y, ax, n - 1, 1)], ax) : y;
        for (let r = 0; r < s; r++) {
          // Source coordinate i + d with d = (r + 0.5) / s − 0.5 ∈ (−0.5, 0.5).
          const d = (r + 0.5) / s - 0.5;
          if (d < 0) phases.push(tf.add(tf.mul(y, 1 + d), tf.mul(prev, -d)));
          else if (d > 0) phases.push(tf.add(tf.mul(y, 1 - d), tf.mul(next, d)));
          else phases.push(y);
        }
      }
      const shape = y.shape.slice();
      shape[ax] = n * s;
      y = tf.reshape(tf.stack(phases, ax + 1), shape);
    }
    return y === x ? tf.clone(x) : (y as tf.Tensor5D);
  });
}

/** `len` entries of `y` along `axis` from `start`. */
function sliceAxis(y: tf.Tensor, axis: number, start: number, len: number): tf.Tensor {
  const begin = y.shape.map(() => 0);
  const size = y.shape.slice();
  begin[axis] = start;
  size[axis] = len;
  return tf.slice(y, begin, size);
}
