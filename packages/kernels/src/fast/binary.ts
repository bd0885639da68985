import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Add, Multiply, RealDiv, Sub, type TensorInfo } from '@tensorflow/tfjs-core';
import { accel } from '../internal/state.js';
import { f32, forEachOuterBlock, sizeOf, type FastBody } from './common.js';

/** Below this many elements the addon's threaded loop is not worth the call. */
const NATIVE_MIN = 1 << 14;

/** Operation codes; the switch sits outside the loops so each loop body stays monomorphic. */
const enum Op {
  Add,
  Sub,
  Mul,
  Div,
}

/**
 * out[o..] = a[..] op b[..] over `rows` × `run` elements: row starts advance by aRow/bRow, and
 * within a row a and b advance by aIn/bIn (1, or 0 for a broadcast operand).
 */
function block(
  op: Op, out: Float32Array, o: number,
  a: Float32Array, ai: number, aRow: number, aIn: number,
  b: Float32Array, bi: number, bRow: number, bIn: number,
  rows: number, run: number,
): void {
  switch (op) {
    case Op.Add:
      for (let i = 0; i < rows; i++, ai += aRow, bi += bRow) {
        for (let j = 0; j < run; j++) out[o++] = (a[ai + j * aIn] as number) + (b[bi + j * bIn] as number);
      }
      return;
    case Op.Sub:
      for (let i = 0; i < rows; i++, ai += aRow, bi += bRow) {
        for (let j = 0; j < run; j++) out[o++] = (a[ai + j * aIn] as number) - (b[bi + j * bIn] as number);
      }
      return;
    case Op.Mul:
      for (let i = 0; i < rows; i++, ai += aRow, bi += bRow) {
        for (let j = 0; j < run; j++) out[o++] = (a[ai + j * aIn] as number) * (b[bi + j * bIn] as number);
      }
      return;
    case Op.Div:
      for (let i = 0; i < rows; i++, ai += aRow, bi += bRow) {
        for (let j = 0; j < run; j++) out[o++] = (a[ai + j * aIn] as number) / (b[bi + j * bIn] as number);
      }
      return;
  }
}

/**
 * Broadcast shape of `a` and `b` (numpy rules), or null when they do not broadcast (the original
 * kernel then raises tfjs's own error).
 */
function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Elementwise `a op b` for float32 tensors whose shapes broadcast. Axes are grouped into runs with
 * the same pattern (full in both, broadcast in a, broadcast in b), strides are computed once, and
 * the last two groups are a two-level loop — [n,1,1,1,c] against [n,d,h,w,c] is 2 outer steps of a
 * (d·h·w) × c block.
 */
function binaryF32(op: Op, a: TensorInfo, b: TensorInfo, backend: MathBackendCPU): TensorInfo | null {
  const av = f32(backend, a);
  const bv = f32(backend, b);
  if (!av || !bv) return null;
  const outShape = broadcastShape(a.shape, b.shape);
  if (!outShape) return null;
  const n = sizeOf(outShape);
  if (n === 0) return null;
  // Same shapes, or a scalar against a tensor (the mixed-operation weights of a supernet and
  // their gradients): the addon's threaded loop while the native kernels are registered.
  const native = accel.addon?.binary;
  if (native && n >= NATIVE_MIN && (av.length === n || av.length === 1) && (bv.length === n || bv.length === 1)) {
    const out = new Float32Array(n);
    native(op, av, bv, out);
    return backend.makeTensorInfo(outShape, 'float32', out);
  }
  const r = outShape.length;
  // Groups of consecutive axes with the same (a full?, b full?) pattern; size-1 output axes vanish.
  const dims: number[] = [];
  const aFull: boolean[] = [];
  const bFull: boolean[] = [];
  for (let i = 0; i < r; i++) {
    const d = outShape[i] as number;
    if (d === 1) continue;
    const fa = (a.shape[a.shape.length - r + i] ?? 1) === d;
    const fb = (b.shape[b.shape.length - r + i] ?? 1) === d;
    const g = dims.length - 1;
    if (g >= 0 && aFull[g] === fa && bFull[g] === fb) dims[g] = (dims[g] as number) * d;
    else {
      dims.push(d);
      aFull.push(fa);
      bFull.push(fb);
    }
  }
  while (dims.length < 2) {
    dims.unshift(1);
    aFull.unshift(true);
    bFull.unshift(true);
  }
  const g = dims.length;
  const as = new Array<number>(g);
  const bs = new Array<number>(g);
  let accA = 1;
  let accB = 1;
  for (let k = g - 1; k >= 0; k--) {
    as[k] = aFull[k] ? accA : 0;
    bs[k] = bFull[k] ? accB : 0;
    if (aFull[k]) accA *= dims[k] as number;
    if (bFull[k]) accB *= dims[k] as number;
  }
  const out = new Float32Array(n);
  const rows = dims[g - 2] as number;
  const run = dims[g - 1] as number;
  let o = 0;
  forEachOuterBlock(dims, [as, bs], [0, 0], ([ai, bi]) => {
    block(op, out, o, av, ai as number, as[g - 2] as number, as[g - 1] as number, bv, bi as number, bs[g - 2] as number, bs[g - 1] as number, rows, run);
    o += rows * run;
  });
  return backend.makeTensorInfo(outShape, 'float32', out);
}

function binaryBody(op: Op): FastBody {
  return (inputs, backend) => {
    const { a, b } = inputs as Record<string, TensorInfo>;
    if (!a || !b) return null;
    return binaryF32(op, a, b, backend);
  };
}

/** Kernel bodies by tfjs kernel name. */
export const BINARY_BODIES: ReadonlyArray<readonly [string, FastBody]> = [
  [Add, binaryBody(Op.Add)],
  [Sub, binaryBody(Op.Sub)],
  [Multiply, binaryBody(Op.Mul)],
  [RealDiv, binaryBody(Op.Div)],
];
