import * as tf from '@tensorflow/tfjs-core';
import '../internal/gradients.js';
import { OperatorInputError } from '../errors.js';
import { checkNdhwc, triple } from '../internal/validate.js';

/** Options of `pool3d`. */
export interface Pool3dOptions {
  readonly kind: 'max' | 'avg';
  /** Window per axis. Default 3. */
  readonly kernel?: number | readonly [number, number, number];
  /** Default 1. */
  readonly stride?: number | readonly [number, number, number];
  /** Default `'same'`. Average pooling with `'same'` averages only the voxels inside the volume (count_include_pad=False). */
  readonly padding?: 'same' | 'valid';
}

/**
 * Max or average 3D pooling of NDHWC input, with gradient (tfjs `maxPool3d` / `avgPool3d`, validated).
 *
 * @example
 * const y = pool3d(x, { kind: 'max', kernel: 3, stride: 2 }); // [1,5,6,7,2] → [1,3,3,4,2]
 */
export function pool3d(x: tf.Tensor5D, options: Pool3dOptions): tf.Tensor5D {
  checkNdhwc('pool3d', x);
  const kernel = triple('pool3d', 'kernel', options.kernel ?? 3);
  const stride = triple('pool3d', 'stride', options.stride ?? 1);
  const pad = options.padding ?? 'same';
  if (pad === 'valid') {
    for (let a = 0; a < 3; a++) {
      if (x.shape[a + 1]! < kernel[a]!) {
        throw new OperatorInputError(
          `pool3d: input too small for the kernel: ${'zyx'[a]} size ${x.shape[a + 1]} < ${kernel[a]} (input [${x.shape.join(', ')}])`,
        );
      }
    }
  }
  return tf.tidy('pool3d', () =>
    options.kind === 'max' ? tf.maxPool3d(x, kernel, stride, pad) : tf.avgPool3d(x, kernel, stride, pad),
  );
}
