import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Mean, Sum, util, type TensorInfo } from '@tensorflow/tfjs-core';
import { f32, forEachOuterBlock, sizeOf, type FastBody } from './common.js';

/**
 * Sum (or mean) of a float32 tensor over `axes`, without transposing: the input is read once in
 * memory order and accumulated in Float64. Axes are grouped into alternating kept/reduced runs;
 * the last two groups are a two-level loop.
 */
function reduceF32(x: TensorInfo, backend: MathBackendCPU, axis: unknown, keepDims: boolean, mean: boolean): TensorInfo | null {
  const xv = f32(backend, x);
  if (!xv) return null;
  const n = sizeOf(x.shape);
  if (n === 0) return null;
  let axes: number[];
  try {
    axes = util.parseAxisParam(axis as number | number[], x.shape);
  } catch {
    return null; // tfjs raises its own error
  }
  if (axes.length === 0) return null;
  const r = x.shape.length;
  const reduced = new Array<boolean>(r).fill(false);
  for (const ax of axes) reduced[ax] = true;
  const outShape: number[] = [];
  let count = 1;
  for (let i = 0; i < r; i++) {
    if (reduced[i]) {
      count *= x.shape[i] as number;
      if (keepDims) outShape.push(1);
    } else outShape.push(x.shape[i] as number);
  }
  const dims: number[] = [];
  const red: boolean[] = [];
  for (let i = 0; i < r; i++) {
    const d = x.shape[i] as number;
    if (d === 1) continue;
    const g = dims.length - 1;
    if (g >= 0 && red[g] === reduced[i]) dims[g] = (dims[g] as number) * d;
    else {
      dims.push(d);
      red.push(reduced[i] as boolean);
    }
  }
  while (dims.length < 2) {
    dims.unshift(1);
    red.unshift(!(red[0] ?? true));
  }
  const g = dims.length;
  const os = new Array<number>(g); // output stride per group (0 for reduced groups)
  let acc = 1;
  for (let k = g - 1; k >= 0; k--) {
    os[k] = red[k] ? 0 : acc;
    if (!red[k]) acc *= dims[k] as number;
  }
  const sums = new Float64Array(acc);
  const rows = dims[g - 2] as number;
  const run = dims[g - 1] as number;
  const innerReduced = red[g - 1] as boolean;
  const rowStride = os[g - 2] as number;
  let p = 0;
  forEachOuterBlock(dims, [os], [0], ([o]) => {
    if (innerReduced) {
      // rows kept: one sum per row
      for (let i = 0; i < rows; i++) {
        let s = 0;
        for (let j = 0; j < run; j++) s += xv[p++] as number;
        sums[(o as number) + i * rowStride] = (sums[(o as number) + i * rowStride] as number) + s;
      }
    } else {
      // rows reduced: accumulate each row into the same run of outputs
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < run; j++) sums[(o as number) + j] = (sums[(o as number) + j] as number) + (xv[p++] as number);
      }
    }
  });
  const out = new Float32Array(acc);
  if (mean) for (let i = 0; i < acc; i++) out[i] = (sums[i] as number) / count;
  else out.set(sums);
  return backend.makeTensorInfo(outShape, 'float32', out);
}

function reduceBody(mean: boolean): FastBody {
  return (inputs, backend, attrs) => {
    const { x } = inputs as Record<string, TensorInfo>;
    if (!x) return null;
    return reduceF32(x, backend, attrs.axis, attrs.keepDims === true, mean);
  };
}

/** Kernel bodies by tfjs kernel name. */
export const REDUCE_BODIES: ReadonlyArray<readonly [string, FastBody]> = [
  [Sum, reduceBody(false)],
  [Mean, reduceBody(true)],
];
