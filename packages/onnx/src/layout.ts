import { OnnxEmitError } from './errors.js';

/** A float32 host tensor: row-major `data` (last axis fastest) and its `shape`. */
export interface TensorData {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** `perm` of ONNX `Transpose` (and of {@link transposeData}) from voxnas NDHWC `[n, z, y, x, c]` to NCDHW `[n, c, z, y, x]`. */
export const NDHWC_TO_NCDHW: readonly [0, 4, 1, 2, 3] = Object.freeze([0, 4, 1, 2, 3] as const);

/** `perm` from NCDHW `[n, c, z, y, x]` back to voxnas NDHWC `[n, z, y, x, c]`. */
export const NCDHW_TO_NDHWC: readonly [0, 2, 3, 4, 1] = Object.freeze([0, 2, 3, 4, 1] as const);

function checkTensorData(who: string, t: TensorData, rank?: number): void {
  if (t === null || typeof t !== 'object' || !(t.data instanceof Float32Array) || !Array.isArray(t.shape)) {
    throw new OnnxEmitError(`${who}: expected { data: Float32Array, shape: number[] }`);
  }
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new OnnxEmitError(`${who}: shape [${t.shape.join(', ')}] must hold integers ≥ 0`);
  }
  if (rank !== undefined && t.shape.length !== rank) {
    throw new OnnxEmitError(`${who}: expected a rank-${rank} tensor, got shape [${t.shape.join(', ')}]`);
  }
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (size !== t.data.length) {
    throw new OnnxEmitError(
      `${who}: data has ${t.data.length} elements, shape [${t.shape.join(', ')}] needs ${size}`,
    );
  }
}

/**
 * Permutes the axes of a row-major tensor: output axis i is input axis `perm[i]` (numpy / ONNX
 * `Transpose` semantics). Returns a new tensor; the input is not modified.
 *
 * @example
 * const ncdhw = transposeData({ data, shape: [2, 5, 6, 7, 3] }, NDHWC_TO_NCDHW); // shape [2, 3, 5, 6, 7]
 */
export function transposeData(t: TensorData, perm: readonly number[]): TensorData {
  checkTensorData('transposeData', t);
  const rank = t.shape.length;
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new OnnxEmitError(
      `transposeData: perm [${perm.join(', ')}] is not a permutation of the ${rank} axes of shape [${t.shape.join(', ')}]`,
    );
  }
  const inStrides = new Array<number>(rank);
  for (let a = rank - 1, s = 1; a >= 0; a--) {
    inStrides[a] = s;
    s *= t.shape[a]!;
  }
  const outShape = perm.map((p) => t.shape[p]!);
  const strides = perm.map((p) => inStrides[p]!); // input stride of each output axis
  const out = new Float32Array(t.data.length);
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = t.data[src]!;
    // Odometer over the output axes, last fastest, tracking the input offset.
    for (let a = rank - 1; a >= 0; a--) {
      if (++index[a]! < outShape[a]!) {
        src += strides[a]!;
        break;
      }
      src -= strides[a]! * (outShape[a]! - 1);
      index[a] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/**
 * A voxnas NDHWC activation `[n, z, y, x, c]` as NCDHW `[n, c, z, y, x]` — what the exported model takes.
 *
 * @example
 * const feed = ndhwcToNcdhw({ data: await x.data(), shape: x.shape }); // e.g. for onnxruntime
 */
export function ndhwcToNcdhw(t: TensorData): TensorData {
  checkTensorData('ndhwcToNcdhw', t, 5);
  return transposeData(t, NDHWC_TO_NCDHW);
}

/**
 * An NCDHW tensor `[n, c, z, y, x]` (an exported model's output) as voxnas NDHWC `[n, z, y, x, c]`.
 *
 * @example
 * const logits = ncdhwToNdhwc({ data: out.data as Float32Array, shape: out.dims }); // → tf.tensor(logits.data, logits.shape)
 */
export function ncdhwToNdhwc(t: TensorData): TensorData {
  checkTensorData('ncdhwToNdhwc', t, 5);
  return transposeData(t, NCDHW_TO_NDHWC);
}

/**
 * A voxnas / tfjs `conv3d` filter `[kd, kh, kw, cIn, cOut]` (DHW = z, y, x) as the ONNX `Conv` weight
 * `[cOut, cIn, kd, kh, kw]`. With groups, `cIn` is the channels per group in both layouts.
 *
 * @example
 * const w = conv3dFilterToOnnx({ data, shape: [3, 3, 3, 2, 8] }); // shape [8, 2, 3, 3, 3]
 */
export function conv3dFilterToOnnx(filter: TensorData): TensorData {
  checkTensorData('conv3dFilterToOnnx', filter, 5);
  return transposeData(filter, [4, 3, 0, 1, 2]);
}

/**
 * A voxnas `depthwiseConv3d` filter `[kd, kh, kw, C, m]` (output channel `c·m + j` is channel c's j-th
 * filter) as the ONNX `Conv` weight `[C·m, 1, kd, kh, kw]` for `group = C`, whose output channel
 * `c·m + j` is the same filter.
 *
 * @example
 * const w = depthwiseFilterToOnnx({ data, shape: [3, 3, 3, 4, 1] }); // shape [4, 1, 3, 3, 3]
 */
export function depthwiseFilterToOnnx(filter: TensorData): TensorData {
  checkTensorData('depthwiseFilterToOnnx', filter, 5);
  const [kd, kh, kw, c, m] = filter.shape as [number, number, number, number, number];
  const t = transposeData(filter, [3, 4, 0, 1, 2]); // [C, m, kd, kh, kw]
  return { data: t.data, shape: [c * m, 1, kd, kh, kw] };
}

/**
 * A voxnas / tfjs `conv3dTranspose` filter `[kd, kh, kw, cOut, cIn]` as the ONNX `ConvTranspose` weight
 * `[cIn, cOut, kd, kh, kw]` (group 1). Both are the adjoint of a convolution cOut → cIn with the same
 * taps, so the kernel is not flipped: `W[ci, co, a, b, c] = filter[a, b, c, co, ci]`.
 *
 * @example
 * const w = conv3dTransposeFilterToOnnx({ data, shape: [2, 2, 2, 4, 8] }); // shape [8, 4, 2, 2, 2]
 */
export function conv3dTransposeFilterToOnnx(filter: TensorData): TensorData {
  checkTensorData('conv3dTransposeFilterToOnnx', filter, 5);
  return transposeData(filter, [4, 3, 0, 1, 2]);
}
