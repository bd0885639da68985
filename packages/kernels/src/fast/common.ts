import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { DataType, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** Numeric typed arrays the CPU backend stores float32, int32 and bool tensors in. */
export type Values = Float32Array | Int32Array | Uint8Array;

/**
 * A fast kernel body: returns null when it does not handle the case, and the caller then runs
 * the original tfjs kernel.
 */
export type FastBody = (
  inputs: Record<string, TensorInfo> | TensorInfo[],
  backend: MathBackendCPU,
  attrs: NamedAttrMap,
) => TensorInfo | TensorInfo[] | null;

const CTOR = { float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;

/** The values of a float32/int32/bool tensor held by the CPU backend, or null (strings, complex). */
export function values(backend: MathBackendCPU, t: TensorInfo | undefined): Values | null {
  if (!t || !(t.dtype in CTOR)) return null;
  const v = backend.data.get(t.dataId).values;
  return v instanceof CTOR[t.dtype as keyof typeof CTOR] ? (v as Values) : null;
}

/** The float32 values of a tensor, or null when it is not float32. */
export function f32(backend: MathBackendCPU, t: TensorInfo | undefined): Float32Array | null {
  if (!t || t.dtype !== 'float32') return null;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : null;
}

/** A new zeroed typed array for `dtype` (float32, int32 or bool). */
export function alloc(dtype: DataType, n: number): Values {
  return new CTOR[dtype as keyof typeof CTOR](n);
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major element strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i] as number;
  }
  return s;
}

/** Runs shorter than this are copied element by element (subarray() allocates). */
const SET_THRESHOLD = 48;

/**
 * Copies a box of `box` elements per axis from `src` (element strides `srcStrides`, start
 * `srcOff`) to `dst` (strides `dstStrides`, start `dstOff`). The last axis must have stride 1 in
 * both. Axes that are contiguous in both are merged first, so the copy is a few long runs
 * (`TypedArray.set`) or, for short runs, a two-level loop.
 */
export function copyBox(
  src: Values,
  srcStrides: readonly number[],
  srcOff: number,
  dst: Values,
  dstStrides: readonly number[],
  dstOff: number,
  box: readonly number[],
): void {
  // Merge axes (dropping size-1 ones) from the innermost outwards.
  const dims: number[] = [];
  const ss: number[] = [];
  const ds: number[] = [];
  for (let k = box.length - 1; k >= 0; k--) {
    const n = box[k] as number;
    if (n === 0) return;
    if (n === 1) continue;
    const sk = srcStrides[k] as number;
    const dk = dstStrides[k] as number;
    const last = dims.length - 1;
    if (last >= 0 && sk === (ss[last] as number) * (dims[last] as number) && dk === (ds[last] as number) * (dims[last] as number)) {
      dims[last] = (dims[last] as number) * n;
    } else {
      dims.push(n);
      ss.push(sk);
      ds.push(dk);
    }
  }
  if (dims.length === 0) {
    dst[dstOff] = src[srcOff] as number;
    return;
  }
  dims.reverse();
  ss.reverse();
  ds.reverse();
  if (ss[dims.length - 1] !== 1 || ds[dims.length - 1] !== 1) {
    // innermost axis not contiguous (only if box ends in size-1 axes that were dropped): pad a unit run
    dims.push(1);
    ss.push(1);
    ds.push(1);
  }
  if (dims.length === 1) {
    dims.unshift(1);
    ss.unshift(0);
    ds.unshift(0);
  }
  const r = dims.length;
  const run = dims[r - 1] as number;
  const rows = dims[r - 2] as number;
  const sRow = ss[r - 2] as number;
  const dRow = ds[r - 2] as number;
  forEachOuterBlock(dims, [ss, ds], [srcOff, dstOff], ([so, dof]) => {
    let s = so as number;
    let d = dof as number;
    if (run >= SET_THRESHOLD) {
      for (let i = 0; i < rows; i++, s += sRow, d += dRow) dst.set(src.subarray(s, s + run), d);
    } else {
      for (let i = 0; i < rows; i++, s += sRow, d += dRow) {
        for (let j = 0; j < run; j++) dst[d + j] = src[s + j] as number;
      }
    }
  });
}

/**
 * Walks the outer axes of `dims` (every axis but the last two, which a block covers) like an odometer,
 * last axis fastest, and calls `visit(offsets)` once per block with each operand's offset: operand `o`
 * starts at `start[o]` and moves by `strides[o][k]` along axis `k`. The `offsets` array is reused between
 * calls (copy it to keep it). The one nested-loop walker of the typed-array kernels.
 */
export function forEachOuterBlock(
  dims: readonly number[],
  strides: ReadonlyArray<readonly number[]>,
  start: readonly number[],
  visit: (offsets: readonly number[]) => void,
): void {
  const outer = dims.length - 2;
  const idx = new Array<number>(Math.max(0, outer)).fill(0);
  const off = start.slice();
  const m = off.length;
  for (;;) {
    visit(off);
    let k = outer - 1;
    for (; k >= 0; k--) {
      const i = (idx[k] as number) + 1;
      const n = dims[k] as number;
      if (i < n) {
        idx[k] = i;
        for (let o = 0; o < m; o++) off[o] = (off[o] as number) + (strides[o]![k] as number);
        break;
      }
      idx[k] = 0;
      for (let o = 0; o < m; o++) off[o] = (off[o] as number) - (strides[o]![k] as number) * (n - 1);
    }
    if (k < 0) return;
  }
}
