import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients itself; see internal/gradients.ts.
import '#tfjs-gradients';
import { nativeDilatedConv } from '../backend.js';
import { OperatorInputError } from '../errors.js';
import { checkNdhwc, resolvePadding, triple } from '../internal/validate.js';

/** Padding of a 3D window op: tfjs `'same'`/`'valid'`, or explicit symmetric zero padding per axis. */
export type Padding3d = 'same' | 'valid' | number | readonly [number, number, number];

/** Options of `conv3d`. */
export interface Conv3dOptions {
  /** Stride per axis [d, h, w] (or one number). Default 1. */
  readonly stride?: number | readonly [number, number, number];
  /** Default `'same'` (output = ceil(input / stride)). A number pads every side with zeros, then `'valid'`. */
  readonly padding?: Padding3d;
  /** Dilation rate per axis. Default 1. Dilation > 1 works with any stride and has a gradient. */
  readonly dilation?: number | readonly [number, number, number];
}

/**
 * 3D convolution on NDHWC input `[n, z, y, x, cIn]` with filter `[kd, kh, kw, cIn, cOut]` (DHW = z, y, x).
 * Unlike `tf.conv3d`, dilation > 1 has a gradient and may be combined with a stride. With
 * @voxnas/kernels' native kernels (and stride 1) oneDNN convolves with the dilation directly;
 * otherwise the filter is zero-inserted to its dilated extent, the ordinary conv3d kernels run, and
 * the custom gradient slices the dilated filter gradient back to the taps.
 *
 * @example
 * const y = conv3d(x, w, { stride: 2, padding: 'same', dilation: 2 }); // x [1,5,6,7,2], w [3,3,3,2,4] → [1,3,3,4,4]
 */
export function conv3d(x: tf.Tensor5D, filter: tf.Tensor5D, options: Conv3dOptions = {}): tf.Tensor5D {
  checkNdhwc('conv3d', x);
  if (filter.rank !== 5) {
    throw new OperatorInputError(`conv3d: filter must be rank 5 [kd, kh, kw, cIn, cOut], got shape [${filter.shape.join(', ')}]`);
  }
  if (filter.shape[3] !== x.shape[4]) {
    throw new OperatorInputError(
      `conv3d: filter expects ${filter.shape[3]} input channels, input has ${x.shape[4]} (shape [${x.shape.join(', ')}])`,
    );
  }
  const stride = triple('conv3d', 'stride', options.stride ?? 1);
  const dilation = triple('conv3d', 'dilation', options.dilation ?? 1);
  const { pad, explicit } = resolvePadding('conv3d', options.padding ?? 'same');
  if (pad === 'valid') {
    for (let a = 0; a < 3; a++) {
      const extent = (filter.shape[a]! - 1) * dilation[a]! + 1;
      const size = x.shape[a + 1]! + 2 * (explicit?.[a] ?? 0);
      if (size < extent) {
        throw new OperatorInputError(
          `conv3d: input too small for the kernel: padded ${'zyx'[a]} size ${size} < dilated kernel extent ${extent} (input [${x.shape.join(', ')}], filter [${filter.shape.join(', ')}])`,
        );
      }
    }
  }
  return tf.tidy('conv3d', () => {
    const xp =
      explicit === null
        ? x
        : tf.pad(x, [[0, 0], [explicit[0], explicit[0]], [explicit[1], explicit[1]], [explicit[2], explicit[2]], [0, 0]]);
    if (dilation.every((d) => d === 1)) return tf.conv3d(xp, filter, stride, pad);
    // oneDNN convolves with the dilation itself (no zero-inserted filter: (2k−1)³/k³ fewer MACs for
    // rate 2) and @voxnas/kernels' gradient passes it to the native backprops; tf.conv3d takes a
    // dilation only with stride 1.
    if (stride.every((s) => s === 1) && nativeDilatedConv()) return tf.conv3d(xp, filter, 1, pad, 'NDHWC', dilation);
    return dilatedConv3d(xp, filter, stride, dilation, pad);
  });
}

/** Zero-inserts a filter `[kd, kh, kw, ci, co]` to `[(kd-1)·rd+1, …]`. */
export function dilateFilter(filter: tf.Tensor5D, dilation: readonly [number, number, number]): tf.Tensor5D {
  return tf.tidy(() => {
    let w: tf.Tensor = filter;
    for (let a = 0; a < 3; a++) {
      const r = dilation[a]!;
      if (r === 1) continue;
      const shape = w.shape.slice();
      const k = shape[a]!;
      const withAxis = tf.expandDims(w, a + 1);
      const zerosShape = withAxis.shape.slice();
      zerosShape[a + 1] = r - 1;
      const interleaved = tf.concat([withAxis, tf.zeros(zerosShape)], a + 1);
      const flatShape = shape.slice();
      flatShape[a] = k * r;
      const begin = [0, 0, 0, 0, 0];
      const size = flatShape.slice();
      size[a] = (k - 1) * r + 1;
      w = tf.slice(tf.reshape(interleaved, flatShape), begin, size);
    }
    return w as tf.Tensor5D;
  });
}

function dilatedConv3d(
  x: tf.Tensor5D,
  filter: tf.Tensor5D,
  strides: [number, number, number],
  dilation: [number, number, number],
  pad: 'same' | 'valid',
): tf.Tensor5D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [xIn, wIn, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const wd = dilateFilter(wIn as tf.Tensor5D, dilation);
    save([xIn, wd]);
    const value = tf.conv3d(xIn as tf.Tensor5D, wd, strides, pad);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, wds] = saved as [tf.Tensor5D, tf.Tensor5D];
        const dx = tf.engine().runKernel('Conv3DBackpropInputV2', { dy, filter: wds }, {
          strides,
          pad,
          inputShape: xs.shape,
        }) as tf.Tensor;
        const dwd = tf.engine().runKernel('Conv3DBackpropFilterV2', { x: xs, dy }, {
          strides,
          pad,
          filterShape: wds.shape,
        }) as tf.Tensor;
        const dw = tf.stridedSlice(dwd, [0, 0, 0, 0, 0], dwd.shape, [dilation[0], dilation[1], dilation[2], 1, 1]);
        dwd.dispose();
        return [dx, dw];
      },
    };
  });
  return op(x, filter) as tf.Tensor5D;
}
