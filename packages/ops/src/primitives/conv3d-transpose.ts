import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients itself; see internal/gradients.ts.
import '#tfjs-gradients';
import { OperatorInputError } from '../errors.js';
import { checkNdhwc, triple } from '../internal/validate.js';

/** Options of `conv3dTranspose`. */
export interface Conv3dTransposeOptions {
  /** Stride per axis (the upsampling factor). Default 1. */
  readonly stride?: number | readonly [number, number, number];
  /** `'same'` (default): output = input · stride. `'valid'`: output = (input − 1) · stride + k. */
  readonly padding?: 'same' | 'valid';
}

/**
 * Transposed 3D convolution (the adjoint of `conv3d` with the same filter and stride) on NDHWC input
 * `[n, z, y, x, cIn]` with filter `[kd, kh, kw, cOut, cIn]` (the tfjs layout). tfjs's
 * `conv3dTranspose` has no gradient; this one does: dx = conv3d(dy, W, stride) and dW is the conv3d
 * filter gradient with the roles of input and output swapped.
 *
 * @example
 * const y = conv3dTranspose(x, w, { stride: 2 }); // x [1,3,4,5,8], w [3,3,3,4,8] → [1,6,8,10,4]
 */
export function conv3dTranspose(x: tf.Tensor5D, filter: tf.Tensor5D, options: Conv3dTransposeOptions = {}): tf.Tensor5D {
  checkNdhwc('conv3dTranspose', x);
  if (filter.rank !== 5 || filter.shape[4] !== x.shape[4]) {
    throw new OperatorInputError(
      `conv3dTranspose: filter must be [kd, kh, kw, cOut, ${x.shape[4]}] for input [${x.shape.join(', ')}], got [${filter.shape.join(', ')}]`,
    );
  }
  const strides = triple('conv3dTranspose', 'stride', options.stride ?? 1);
  const pad = options.padding ?? 'same';
  if (pad !== 'same' && pad !== 'valid') {
    throw new OperatorInputError(`conv3dTranspose: padding must be 'same' or 'valid', got ${JSON.stringify(pad)}`);
  }
  const outShape: [number, number, number, number, number] = [x.shape[0], 0, 0, 0, filter.shape[3]];
  for (let a = 0; a < 3; a++) {
    const n = x.shape[a + 1]!;
    outShape[a + 1] = pad === 'same' ? n * strides[a]! : (n - 1) * strides[a]! + filter.shape[a]!;
  }
  return tf.tidy('conv3dTranspose', () => {
    const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [xIn, wIn, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      save([xIn, wIn]);
      const value = tf.conv3dTranspose(xIn as tf.Tensor5D, wIn as tf.Tensor5D, outShape, strides, pad);
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, ws] = saved as [tf.Tensor5D, tf.Tensor5D];
          const dx = tf.conv3d(dy as tf.Tensor5D, ws, strides, pad);
          const dw = tf.engine().runKernel('Conv3DBackpropFilterV2', { x: dy, dy: xs }, {
            strides,
            pad,
            filterShape: ws.shape,
          }) as tf.Tensor;
          return [dx, dw];
        },
      };
    });
    return op(x, filter) as tf.Tensor5D;
  });
}
