import * as tf from '@tensorflow/tfjs-core';
import { nativeConvBackpropActive } from './internal/state.js';

type Tuple3 = [number, number, number];
type Pad = 'valid' | 'same' | number;

function triple(v: unknown): Tuple3 {
  if (typeof v === 'number') return [v, v, v];
  const a = v as number[] | undefined;
  return [a?.[0] ?? 1, a?.[1] ?? 1, a?.[2] ?? 1];
}

/** Filter [kd,kh,kw,ci,co] → zero-inserted [(kd-1)·dd+1, …, ci, co] with the taps at multiples of d. */
function dilateFilter(w: tf.Tensor5D, d: Tuple3): tf.Tensor5D {
  let out: tf.Tensor = w;
  for (let axis = 0; axis < 3; axis++) {
    const rate = d[axis] ?? 1;
    if (rate === 1) continue;
    const shape = out.shape;
    const k = shape[axis] ?? 1;
    // [.., k, ..] → [.., k, rate, ..] with zeros in the added slots → [.., k·rate, ..] → drop the tail
    const expanded = tf.expandDims(out, axis + 1);
    const padding = shape.map(() => [0, 0] as [number, number]);
    padding.splice(axis + 1, 0, [0, rate - 1]);
    const merged = tf.reshape(tf.pad(expanded, padding), [
      ...shape.slice(0, axis),
      k * rate,
      ...shape.slice(axis + 1),
    ]);
    const size = [...shape];
    size[axis] = (k - 1) * rate + 1;
    out = tf.slice(merged, shape.map(() => 0), size);
  }
  return out as tf.Tensor5D;
}

/**
 * A Conv3D gradient that, unlike tfjs 4.22's, supports `dilations > 1`. With the native kernels
 * active on the cpu backend it runs Conv3DBackpropInputV2 / Conv3DBackpropFilterV2 with a
 * `dilations` attribute (which the oneDNN kernels honour); otherwise (JavaScript kernels, other
 * backends) it differentiates through the equivalent zero-inserted filter with tfjs ops.
 * Dilation 1 takes tfjs's own path.
 */
export const conv3dGradConfig: tf.GradConfig = {
  kernelName: tf.Conv3D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const strides = attrs.strides as Tuple3 | number;
    const pad = attrs.pad as Pad;
    const dilations = triple(attrs.dilations as Tuple3 | number | undefined);
    const [x, filter] = saved as [tf.Tensor5D, tf.Tensor5D];
    const dy5 = dy as tf.Tensor5D;
    const dilated = dilations.some((d) => d !== 1);
    if (!dilated || nativeConvBackpropActive()) {
      const extra: tf.NamedAttrMap = dilated ? { dilations } : {};
      return {
        x: () =>
          tf.engine().runKernel(tf.Conv3DBackpropInputV2, { dy: dy5, filter }, {
            strides,
            pad,
            inputShape: x.shape,
            ...extra,
          }) as tf.Tensor,
        filter: () =>
          tf.engine().runKernel(tf.Conv3DBackpropFilterV2, { x, dy: dy5 }, {
            strides,
            pad,
            filterShape: filter.shape,
            ...extra,
          }) as tf.Tensor,
      };
    }
    return {
      x: () =>
        tf.tidy(
          () =>
            tf.engine().runKernel(tf.Conv3DBackpropInputV2, { dy: dy5, filter: dilateFilter(filter, dilations) }, {
              strides,
              pad,
              inputShape: x.shape,
            }) as tf.Tensor,
        ),
      filter: () =>
        tf.tidy(() => {
          const wide = dilateFilter(filter, dilations);
          const dw = tf.engine().runKernel(tf.Conv3DBackpropFilterV2, { x, dy: dy5 }, {
            strides,
            pad,
            filterShape: wide.shape,
          }) as tf.Tensor5D;
          return tf.stridedSlice(dw, [0, 0, 0, 0, 0], dw.shape, [...dilations, 1, 1]);
        }),
    };
  },
};

/**
 * Registers {@link conv3dGradConfig} as the gradient of tfjs's Conv3D kernel, so `tf.grad` works
 * through `tf.conv3d(x, w, 1, pad, 'NDHWC', dilations)` with dilations > 1. Gradients are global
 * (not per backend); {@link registerNativeKernels} calls this, and it is safe without the addon.
 *
 * @example
 * import { registerConv3dGradient } from '@voxnas/kernels';
 * registerConv3dGradient();
 * const g = tf.grad((w: tf.Tensor5D) => tf.conv3d(x, w, 1, 'same', 'NDHWC', 2).sum())(w);
 */
export function registerConv3dGradient(): void {
  tf.registerGradient(conv3dGradConfig);
}
