import { createVolume, type Volume } from '../../volume.js';
import { mapVolumes, type Subject } from '../subject.js';

/** Applies `fn(src, dst, channelOffset, voxels)` per channel of every image volume into new float32 data. */
export function mapImageChannels(
  subject: Subject,
  fn: (
    src: Volume['data'],
    dst: Float32Array,
    offset: number,
    n: number,
    shape: readonly [number, number, number],
  ) => void,
): Subject {
  return mapVolumes(
    subject,
    (v) => {
      const n = v.shape[0] * v.shape[1] * v.shape[2];
      const dst = new Float32Array(n * v.channels);
      for (let c = 0; c < v.channels; c++) fn(v.data, dst, c * n, n, v.shape);
      return createVolume({
        data: dst,
        shape: v.shape,
        channels: v.channels,
        affine: v.affine,
        kind: 'image',
      });
    },
    'image',
  );
}

/** Min and max of a channel. */
export function channelRange(src: ArrayLike<number>, off: number, n: number): [number, number] {
  let lo = Infinity,
    hi = -Infinity;
  for (let i = off; i < off + n; i++) {
    const x = src[i]!;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

export function channelMean(src: ArrayLike<number>, off: number, n: number): number {
  let s = 0;
  for (let i = off; i < off + n; i++) s += src[i]!;
  return s / n;
}

/** Separable 1D pass along `axis` of a float64 work buffer, with `fn(line in, line out)`. */
export function alongAxis(
  buf: Float64Array,
  shape: readonly [number, number, number],
  axis: 0 | 1 | 2,
  outLen: number,
  fn: (line: Float64Array, out: Float64Array) => void,
): { data: Float64Array; shape: [number, number, number] } {
  const [nx, ny, nz] = shape;
  const n = shape[axis];
  const stride = axis === 0 ? 1 : axis === 1 ? nx : nx * ny;
  const newShape: [number, number, number] = [nx, ny, nz];
  newShape[axis] = outLen;
  const oStride = axis === 0 ? 1 : axis === 1 ? newShape[0] : newShape[0] * newShape[1];
  const out = new Float64Array(newShape[0] * newShape[1] * newShape[2]);
  const line = new Float64Array(n);
  const oline = new Float64Array(outLen);
  const [a, b] = axis === 0 ? [ny, nz] : axis === 1 ? [nx, nz] : [nx, ny];
  for (let j = 0; j < b; j++) {
    for (let i = 0; i < a; i++) {
      let s0: number, o0: number;
      if (axis === 0) {
        s0 = (i + j * ny) * nx;
        o0 = (i + j * ny) * outLen;
      } else if (axis === 1) {
        s0 = i + j * nx * ny;
        o0 = i + j * nx * outLen;
      } else {
        s0 = i + j * nx;
        o0 = i + j * nx;
      }
      for (let k = 0; k < n; k++) line[k] = buf[s0 + k * stride]!;
      fn(line, oline);
      for (let k = 0; k < outLen; k++) out[o0 + k * oStride] = oline[k]!;
    }
  }
  return { data: out, shape: newShape };
}
