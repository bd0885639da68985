import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  backend_util,
  Concat,
  Pack,
  Slice,
  slice_util,
  SplitV,
  Unpack,
  util,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { alloc, copyBox, sizeOf, stridesOf, values, type FastBody, type Values } from './common.js';

/** Rank up to which the copy kernels take over (higher ranks go to tfjs). */
const MAX_RANK = 6;

function slice(inputs: Record<string, TensorInfo>, backend: MathBackendCPU, attrs: Record<string, unknown>): TensorInfo | null {
  const { x } = inputs;
  const xv = values(backend, x);
  if (!x || !xv || x.shape.length === 0 || x.shape.length > MAX_RANK) return null;
  let begin: number[];
  let size: number[];
  try {
    const parsed = slice_util.parseSliceParams(x, attrs.begin as number[], attrs.size as number[]);
    begin = parsed[0] as number[];
    size = parsed[1] as number[];
    slice_util.assertParamsValid(x, begin, size);
  } catch {
    return null;
  }
  const n = sizeOf(size);
  if (n === 0) return null;
  const xs = stridesOf(x.shape);
  let off = 0;
  for (let i = 0; i < begin.length; i++) off += (begin[i] as number) * (xs[i] as number);
  const out = alloc(x.dtype, n);
  copyBox(xv, xs, off, out, stridesOf(size), 0, size);
  return backend.makeTensorInfo(size, x.dtype, out);
}

/** Copies each input, in turn, into `out` along `axis` (inputs share every other dimension). */
function concatInto(parts: ReadonlyArray<{ v: Values; shape: number[] }>, out: Values, outShape: number[], axis: number): void {
  const os = stridesOf(outShape);
  let off = 0;
  for (const p of parts) {
    copyBox(p.v, stridesOf(p.shape), 0, out, os, off * (os[axis] as number), p.shape);
    off += p.shape[axis] as number;
  }
}

function tensorList(inputs: Record<string, TensorInfo> | TensorInfo[]): TensorInfo[] | null {
  const list = Array.isArray(inputs) ? inputs : (Object.values(inputs) as TensorInfo[]);
  return list.length > 0 ? list : null;
}

function concat(inputs: Record<string, TensorInfo> | TensorInfo[], backend: MathBackendCPU, attrs: Record<string, unknown>): TensorInfo | null {
  const list = tensorList(inputs);
  if (!list || list.length < 2) return null;
  const first = list[0] as TensorInfo;
  const rank = first.shape.length;
  if (rank === 0 || rank > MAX_RANK) return null;
  let axis: number;
  try {
    axis = util.parseAxisParam(attrs.axis as number, first.shape)[0] as number;
  } catch {
    return null;
  }
  const parts: Array<{ v: Values; shape: number[] }> = [];
  for (const t of list) {
    const v = values(backend, t);
    if (!v || t.dtype !== first.dtype || t.shape.length !== rank) return null;
    for (let i = 0; i < rank; i++) if (i !== axis && t.shape[i] !== first.shape[i]) return null;
    if (sizeOf(t.shape) === 0) return null;
    parts.push({ v, shape: t.shape });
  }
  const outShape = first.shape.slice();
  outShape[axis] = parts.reduce((s, p) => s + (p.shape[axis] as number), 0);
  const out = alloc(first.dtype, sizeOf(outShape));
  concatInto(parts, out, outShape, axis);
  return backend.makeTensorInfo(outShape, first.dtype, out);
}

/** Splits `x` along `axis` into pieces of `sizes[i]` (contiguous outputs). */
function splitInto(x: TensorInfo, xv: Values, sizes: number[], axis: number, backend: MathBackendCPU, squeeze: boolean): TensorInfo[] {
  const xs = stridesOf(x.shape);
  let begin = 0;
  return sizes.map((s) => {
    const shape = x.shape.slice();
    shape[axis] = s;
    const out = alloc(x.dtype, sizeOf(shape));
    copyBox(xv, xs, begin * (xs[axis] as number), out, stridesOf(shape), 0, shape);
    begin += s;
    if (squeeze) shape.splice(axis, 1);
    return backend.makeTensorInfo(shape, x.dtype, out);
  });
}

function splitV(inputs: Record<string, TensorInfo>, backend: MathBackendCPU, attrs: Record<string, unknown>): TensorInfo[] | null {
  const { x } = inputs;
  const xv = values(backend, x);
  if (!x || !xv || x.shape.length === 0 || x.shape.length > MAX_RANK || sizeOf(x.shape) === 0) return null;
  let axis: number;
  let sizes: number[];
  try {
    axis = util.parseAxisParam(attrs.axis as number, x.shape)[0] as number;
    sizes = backend_util.prepareSplitSize(x, attrs.numOrSizeSplits as number | number[], axis);
  } catch {
    return null;
  }
  if (sizes.some((s) => s <= 0)) return null;
  return splitInto(x, xv, sizes, axis, backend, false);
}

function unpack(inputs: Record<string, TensorInfo>, backend: MathBackendCPU, attrs: Record<string, unknown>): TensorInfo[] | null {
  const { value } = inputs;
  const xv = values(backend, value);
  if (!value || !xv || value.shape.length === 0 || value.shape.length > MAX_RANK || sizeOf(value.shape) === 0) return null;
  let axis = attrs.axis as number;
  if (axis < 0) axis += value.shape.length;
  if (!Number.isInteger(axis) || axis < 0 || axis >= value.shape.length) return null;
  const num = value.shape[axis] as number;
  return splitInto(value, xv, new Array<number>(num).fill(1), axis, backend, true);
}

function pack(inputs: Record<string, TensorInfo> | TensorInfo[], backend: MathBackendCPU, attrs: Record<string, unknown>): TensorInfo | null {
  const list = tensorList(inputs);
  if (!list || list.length < 2) return null;
  const first = list[0] as TensorInfo;
  const rank = first.shape.length;
  if (rank + 1 > MAX_RANK || sizeOf(first.shape) === 0) return null;
  let axis = attrs.axis as number;
  if (axis < 0) axis += rank + 1;
  if (!Number.isInteger(axis) || axis < 0 || axis > rank) return null;
  const shape = first.shape.slice();
  shape.splice(axis, 0, 1);
  const parts: Array<{ v: Values; shape: number[] }> = [];
  for (const t of list) {
    const v = values(backend, t);
    if (!v || t.dtype !== first.dtype || !util.arraysEqual(t.shape, first.shape)) return null;
    parts.push({ v, shape });
  }
  const outShape = first.shape.slice();
  outShape.splice(axis, 0, list.length);
  const out = alloc(first.dtype, sizeOf(outShape));
  concatInto(parts, out, outShape, axis);
  return backend.makeTensorInfo(outShape, first.dtype, out);
}

/** Kernel bodies by tfjs kernel name. */
export const COPY_BODIES: ReadonlyArray<readonly [string, FastBody]> = [
  [Slice, (i, b, a) => slice(i as Record<string, TensorInfo>, b, a)],
  [Concat, concat],
  [SplitV, (i, b, a) => splitV(i as Record<string, TensorInfo>, b, a)],
  [Unpack, (i, b, a) => unpack(i as Record<string, TensorInfo>, b, a)],
  [Pack, pack],
];
