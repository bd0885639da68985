import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients itself; see internal/gradients.ts.
import '#tfjs-gradients';
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

/** tfjs 'same' padding split: [front, back] per axis. */
function samePads(shape: readonly number[], kernel: readonly number[], stride: readonly number[]): Array<[number, number]> {
  return [0, 1, 2].map((a) => {
    const n = shape[a + 1]!;
    const out = Math.ceil(n / stride[a]!);
    const total = Math.max((out - 1) * stride[a]! + kernel[a]! - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
}

/**
 * Max or average 3D pooling of NDHWC input, with gradient. tfjs 4.22's `maxPool3d` / `avgPool3d`
 * gradients are wrong with `'same'` padding (measured against central differences), so `'same'` is
 * implemented as explicit padding (−∞ for max, 0 for average with a per-voxel count of the voxels
 * inside the volume) followed by a `'valid'` pool, whose gradients are correct.
 *
 * @example
 * const y = pool3d(x, { kind: 'max', kernel: 3, stride: 2 }); // [1,5,6,7,2] → [1,3,3,4,2]
 */
export function pool3d(x: tf.Tensor5D, options: Pool3dOptions): tf.Tensor5D {
  checkNdhwc('pool3d', x);
  const kernel = triple('pool3d', 'kernel', options.kernel ?? 3);
  const stride = triple('pool3d', 'stride', options.stride ?? 1);
  const pad = options.padding ?? 'same';
  if (pad !== 'same' && pad !== 'valid') {
    throw new OperatorInputError(`pool3d: padding must be 'same' or 'valid', got ${JSON.stringify(pad)}`);
  }
  if (pad === 'valid') {
    for (let a = 0; a < 3; a++) {
      if (x.shape[a + 1]! < kernel[a]!) {
        throw new OperatorInputError(
          `pool3d: input too small for the kernel: ${'zyx'[a]} size ${x.shape[a + 1]} < ${kernel[a]} (input [${x.shape.join(', ')}])`,
        );
      }
    }
  }
  return tf.tidy('pool3d', () => {
    if (pad === 'valid') {
      return options.kind === 'max' ? tf.maxPool3d(x, kernel, stride, 'valid') : tf.avgPool3d(x, kernel, stride, 'valid');
    }
    const pads = samePads(x.shape, kernel, stride);
    const paddings: Array<[number, number]> = [[0, 0], ...pads, [0, 0]];
    if (options.kind === 'max') {
      return tf.maxPool3d(tf.pad(x, paddings, -3.4e38) as tf.Tensor5D, kernel, stride, 'valid');
    }
    const taps = kernel[0] * kernel[1] * kernel[2];
    const sums = tf.mul(tf.avgPool3d(tf.pad(x, paddings) as tf.Tensor5D, kernel, stride, 'valid'), taps);
    // Voxels of each window inside the volume (separable: product of the per-axis counts).
    const [n, d, h, w] = x.shape;
    const counts = [d, h, w].map((len, a) => {
      const out = Math.ceil(len / stride[a]!);
      const c = new Float32Array(out);
      for (let o = 0; o < out; o++) {
        const start = o * stride[a]! - pads[a]![0];
        c[o] = Math.min(start + kernel[a]!, len) - Math.max(start, 0);
      }
      return c;
    });
    const [cd, ch, cw] = counts as [Float32Array, Float32Array, Float32Array];
    const count = new Float32Array(cd.length * ch.length * cw.length);
    let i = 0;
    for (const a of cd) for (const b of ch) for (const c of cw) count[i++] = a * b * c;
    void n;
    return tf.div(sums, tf.tensor(count, [1, cd.length, ch.length, cw.length, 1])) as tf.Tensor5D;
  });
}
