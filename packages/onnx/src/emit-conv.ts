import { OnnxEmitError } from './errors.js';
import { attr, type GraphBuilder, type KnownShape } from './graph-builder.js';
import {
  addFloat,
  addInt64,
  channelsOf,
  checkInput,
  checkTensor,
  checkVector,
  mapDim,
  prefixOf,
  setFloat,
  show,
  triple,
  type Triple,
} from './internal/emit-util.js';
import { CONV_SAME_CLAMPS, planWindow } from './internal/window.js';
import {
  conv3dFilterToOnnx,
  conv3dTransposeFilterToOnnx,
  depthwiseFilterToOnnx,
  type TensorData,
} from './layout.js';
import type { ConvPadding } from './internal/window.js';

export type { ConvPadding } from './internal/window.js';

/** Options of {@link emitConv3d}. */
export interface EmitConv3dOptions {
  /** voxnas / tfjs layout `[kd, kh, kw, cIn / groups, cOut]` (converted with {@link conv3dFilterToOnnx}). */
  readonly weight: TensorData;
  /** `[cOut]`; default none. */
  readonly bias?: Float32Array;
  /** Per axis [d, h, w] or one number. Default 1. */
  readonly stride?: number | readonly [number, number, number];
  /** Per axis [d, h, w] or one number. Default 1. */
  readonly dilation?: number | readonly [number, number, number];
  /** Channel groups (cIn and cOut divisible by it). Default 1. */
  readonly groups?: number;
  /** Default `'same'`. */
  readonly padding?: ConvPadding;
  /** Prefix of the node, output and initializer names (`<name>/weight`, `<name>/bias`). Default `'conv3d'`. */
  readonly name?: string;
}

/**
 * Emits an ONNX `Conv` equal to `@voxnas/ops` `conv3d` (plus an optional bias) on NCDHW input. The
 * filter is given in voxnas layout `[kd, kh, kw, cIn/groups, cOut]` and stored as `<name>/weight`
 * `[cOut, cIn/groups, kd, kh, kw]`. Returns the output name (NCDHW `[n, cOut, d', h', w']`).
 *
 * @throws OnnxEmitError for a filter that does not match the input channels, a bias of the wrong
 *   length, a bad stride / dilation / groups / padding, or a static input smaller than the kernel.
 * @example
 * const y = emitConv3d(b, x, { weight: { data: w, shape: [3, 3, 3, 2, 8] }, stride: 2, name: 'enc0/conv' });
 */
export function emitConv3d(b: GraphBuilder, input: string, options: EmitConv3dOptions): string {
  const who = `emitConv3d(${prefixOf(options?.name, 'conv3d')})`;
  const shape = checkInput(b, who, input);
  if (options === null || typeof options !== 'object') {
    throw new OnnxEmitError(`${who}: options must be an object with a weight`);
  }
  checkTensor(who, 'weight', options.weight);
  if (options.weight.shape.length !== 5) {
    throw new OnnxEmitError(
      `${who}: weight has shape [${options.weight.shape.join(', ')}], expected rank 5 [kd, kh, kw, cIn/groups, cOut]`,
    );
  }
  const [kd, kh, kw, cInGroup, cOut] = options.weight.shape as [number, number, number, number, number];
  const groups = options.groups ?? 1;
  if (!Number.isSafeInteger(groups) || groups < 1 || cOut % groups !== 0) {
    throw new OnnxEmitError(
      `${who}: groups must be a positive integer dividing cOut=${cOut}, got ${show(groups)}`,
    );
  }
  const cIn = channelsOf(shape);
  if (cIn !== undefined && cIn !== cInGroup * groups) {
    throw new OnnxEmitError(
      `${who}: weight [${options.weight.shape.join(', ')}] with groups=${groups} expects ${cInGroup * groups} input channels, input "${input}" has ${cIn}`,
    );
  }
  if (options.bias !== undefined) checkVector(who, 'bias', options.bias, cOut);
  const stride = triple(who, 'stride', options.stride ?? 1);
  const dilation = triple(who, 'dilation', options.dilation ?? 1);
  const kernel: Triple = [kd, kh, kw];
  const extent = kernel.map((k, a) => (k - 1) * dilation[a]! + 1) as Triple;
  const prefix = prefixOf(options.name, 'conv3d');
  const plan = planWindow(b, {
    who,
    prefix,
    input,
    shape,
    padding: options.padding ?? 'same',
    extent,
    stride,
    dilated: dilation.some((d) => d > 1),
    clampSame: CONV_SAME_CLAMPS,
    channels: cOut,
  });
  const w = conv3dFilterToOnnx(options.weight);
  const inputs = [plan.input, addFloat(b, `${prefix}/weight`, w.data, w.shape)];
  if (options.bias !== undefined) inputs.push(addFloat(b, `${prefix}/bias`, options.bias, [cOut]));
  const [y] = b.node('Conv', {
    inputs,
    name: prefix,
    attributes: {
      kernel_shape: attr.ints(kernel),
      strides: attr.ints(stride),
      dilations: attr.ints(dilation),
      group: attr.int(groups),
      ...plan.attributes,
    },
  });
  setFloat(b, y!, plan.outShape);
  return y!;
}

/** Options of {@link emitDepthwiseConv3d}. */
export interface EmitDepthwiseConv3dOptions {
  /** voxnas layout `[kd, kh, kw, C, multiplier]` (output channel `c·m + j`). */
  readonly weight: TensorData;
  /** `[C · multiplier]`; default none. */
  readonly bias?: Float32Array;
  readonly stride?: number | readonly [number, number, number];
  readonly dilation?: number | readonly [number, number, number];
  /** Default `'same'`. */
  readonly padding?: ConvPadding;
  /** Default `'depthwiseConv3d'`. */
  readonly name?: string;
}

/**
 * Emits `@voxnas/ops` `depthwiseConv3d` as an ONNX `Conv` with `group = C` and weight
 * `[C·m, 1, kd, kh, kw]` (see {@link depthwiseFilterToOnnx}). Returns the output name.
 *
 * @throws OnnxEmitError as {@link emitConv3d}; also when the filter's C differs from the input channels.
 * @example
 * const y = emitDepthwiseConv3d(b, x, { weight: { data: w, shape: [3, 3, 3, 4, 1] }, stride: 2 });
 */
export function emitDepthwiseConv3d(
  b: GraphBuilder,
  input: string,
  options: EmitDepthwiseConv3dOptions,
): string {
  const who = `emitDepthwiseConv3d(${prefixOf(options?.name, 'depthwiseConv3d')})`;
  const shape = checkInput(b, who, input);
  if (options === null || typeof options !== 'object') {
    throw new OnnxEmitError(`${who}: options must be an object with a weight`);
  }
  checkTensor(who, 'weight', options.weight);
  if (options.weight.shape.length !== 5) {
    throw new OnnxEmitError(
      `${who}: weight has shape [${options.weight.shape.join(', ')}], expected rank 5 [kd, kh, kw, C, multiplier]`,
    );
  }
  const [kd, kh, kw, c, m] = options.weight.shape as [number, number, number, number, number];
  const cIn = channelsOf(shape);
  if (cIn !== undefined && cIn !== c) {
    throw new OnnxEmitError(
      `${who}: weight [${options.weight.shape.join(', ')}] is for ${c} channels, input "${input}" has ${cIn}`,
    );
  }
  if (options.bias !== undefined) checkVector(who, 'bias', options.bias, c * m);
  const stride = triple(who, 'stride', options.stride ?? 1);
  const dilation = triple(who, 'dilation', options.dilation ?? 1);
  const kernel: Triple = [kd, kh, kw];
  const extent = kernel.map((k, a) => (k - 1) * dilation[a]! + 1) as Triple;
  const prefix = prefixOf(options.name, 'depthwiseConv3d');
  const plan = planWindow(b, {
    who,
    prefix,
    input,
    shape,
    padding: options.padding ?? 'same',
    extent,
    stride,
    dilated: dilation.some((d) => d > 1),
    clampSame: CONV_SAME_CLAMPS,
    channels: c * m,
  });
  const w = depthwiseFilterToOnnx(options.weight);
  const inputs = [plan.input, addFloat(b, `${prefix}/weight`, w.data, w.shape)];
  if (options.bias !== undefined) inputs.push(addFloat(b, `${prefix}/bias`, options.bias, [c * m]));
  const [y] = b.node('Conv', {
    inputs,
    name: prefix,
    attributes: {
      kernel_shape: attr.ints(kernel),
      strides: attr.ints(stride),
      dilations: attr.ints(dilation),
      group: attr.int(c),
      ...plan.attributes,
    },
  });
  setFloat(b, y!, plan.outShape);
  return y!;
}

/** Options of {@link emitConv3dTranspose}. */
export interface EmitConv3dTransposeOptions {
  /** voxnas / tfjs layout `[kd, kh, kw, cOut, cIn]` (converted with {@link conv3dTransposeFilterToOnnx}). */
  readonly weight: TensorData;
  /** `[cOut]`; default none. */
  readonly bias?: Float32Array;
  /** The upsampling factor per axis. Default 1. */
  readonly stride?: number | readonly [number, number, number];
  /** `'same'` (default): output = input · stride, as voxnas. `'valid'`: output = (input − 1) · stride + k. */
  readonly padding?: 'same' | 'valid';
  /** Default `'conv3dTranspose'`. */
  readonly name?: string;
  /**
   * `'conv-transpose'` (default): one `ConvTranspose` node. `'conv'`: the same values as zero insertion
   * (`Unsqueeze` → `Pad` → `Reshape` per strided axis, rank ≤ 6), a `Pad` and a stride-1 `Conv` with the
   * flipped filter — for runtimes without 3-D `ConvTranspose` (ONNX Runtime Web's WebGPU kernels).
   */
  readonly lowering?: 'conv-transpose' | 'conv';
}

/**
 * Emits `@voxnas/ops` `conv3dTranspose` as an ONNX `ConvTranspose` (or, with `lowering: 'conv'`, as a
 * zero-inserting `Conv`). For `'same'` the pads are those of
 * the forward convolution whose adjoint it is: k − s per axis, ⌊(k − s)/2⌋ in front and the rest at the
 * end, which do not depend on the input size, so the output is exactly input · stride for every input
 * size. When the kernel is smaller than the stride that padding is negative (tfjs then starts the
 * output with a zero voxel, not ends it as ONNX `output_padding` would), and a `Pad` node adds the
 * voxels. Returns the output name.
 *
 * @throws OnnxEmitError for a filter that does not match the input channels, a bad stride or padding.
 * @example
 * const up = emitConv3dTranspose(b, x, { weight: { data: w, shape: [2, 2, 2, 8, 16] }, stride: 2 }); // 16 → 8 channels, ×2
 */
export function emitConv3dTranspose(
  b: GraphBuilder,
  input: string,
  options: EmitConv3dTransposeOptions,
): string {
  const who = `emitConv3dTranspose(${prefixOf(options?.name, 'conv3dTranspose')})`;
  const shape = checkInput(b, who, input);
  if (options === null || typeof options !== 'object') {
    throw new OnnxEmitError(`${who}: options must be an object with a weight`);
  }
  checkTensor(who, 'weight', options.weight);
  if (options.weight.shape.length !== 5) {
    throw new OnnxEmitError(
      `${who}: weight has shape [${options.weight.shape.join(', ')}], expected rank 5 [kd, kh, kw, cOut, cIn]`,
    );
  }
  const [kd, kh, kw, cOut, cInW] = options.weight.shape as [number, number, number, number, number];
  const cIn = channelsOf(shape);
  if (cIn !== undefined && cIn !== cInW) {
    throw new OnnxEmitError(
      `${who}: weight [${options.weight.shape.join(', ')}] expects ${cInW} input channels, input "${input}" has ${cIn}`,
    );
  }
  if (options.bias !== undefined) checkVector(who, 'bias', options.bias, cOut);
  const stride = triple(who, 'stride', options.stride ?? 1);
  const padding = options.padding ?? 'same';
  if (padding !== 'same' && padding !== 'valid') {
    throw new OnnxEmitError(`${who}: padding must be 'same' or 'valid', got ${show(padding)}`);
  }
  const kernel: Triple = [kd, kh, kw];
  // tfjs's 'same' is the adjoint of a forward 'same' conv on the n·s output: total padding k − s per axis
  // (independent of n), front ⌊total/2⌋ — negative when k < s, where the output starts with a zero voxel.
  const front: number[] = [];
  const back: number[] = [];
  for (let a = 0; a < 3; a++) {
    const total = padding === 'same' ? kernel[a]! - stride[a]! : 0;
    front.push(Math.floor(total / 2));
    back.push(total - Math.floor(total / 2));
  }
  const outDim = (n: number, a: number) =>
    padding === 'same' ? n * stride[a]! : (n - 1) * stride[a]! + kernel[a]!;
  const unchanged =
    padding === 'same' ? stride.every((s) => s === 1) : kernel.every((k, a) => k === 1 && stride[a] === 1);
  const outShape: KnownShape | undefined =
    shape === undefined
      ? undefined
      : [shape[0], cOut, ...[0, 1, 2].map((a) => mapDim(shape[a + 2], (n) => outDim(n, a), unchanged))];
  const prefix = prefixOf(options.name, 'conv3dTranspose');
  if (options.lowering === 'conv') {
    const y = emitTransposeAsConv(b, input, { prefix, weight: options.weight, bias: options.bias, kernel, stride, front, back });
    setFloat(b, y, outShape);
    return y;
  }
  if (options.lowering !== undefined && options.lowering !== 'conv-transpose') {
    throw new OnnxEmitError(`${who}: lowering must be 'conv-transpose' or 'conv', got ${show(options.lowering)}`);
  }
  const w = conv3dTransposeFilterToOnnx(options.weight);
  const grow = [...front, ...back].some((p) => p < 0);
  const inputs = [input, addFloat(b, `${prefix}/weight`, w.data, w.shape)];
  if (options.bias !== undefined && !grow) inputs.push(addFloat(b, `${prefix}/bias`, options.bias, [cOut]));
  let [y] = b.node('ConvTranspose', {
    inputs,
    name: grow ? `${prefix}/transposed` : prefix,
    attributes: {
      kernel_shape: attr.ints(kernel),
      strides: attr.ints(stride),
      pads: attr.ints([...front, ...back].map((p) => Math.max(p, 0))),
    },
  });
  if (grow) {
    // Negative pads add zero voxels (then the bias, as tfjs's conv3dTranspose + bias gives there).
    const extra = [0, 0, ...front.map((p) => Math.max(-p, 0)), 0, 0, ...back.map((p) => Math.max(-p, 0))];
    [y] = b.node('Pad', {
      inputs: [y!, addInt64(b, `${prefix}/pads`, extra)],
      name: options.bias === undefined ? prefix : `${prefix}/pad`,
    });
    if (options.bias !== undefined) {
      [y] = b.node('Add', {
        inputs: [y!, addFloat(b, `${prefix}/bias`, options.bias, [cOut, 1, 1, 1])],
        name: prefix,
      });
    }
  }
  setFloat(b, y!, outShape);
  return y!;
}

/**
 * A transposed convolution as a convolution: zeros inserted after every input voxel along each strided
 * axis (length n·s), then padded by k − 1 − front in front and k − 1 − back − (s − 1) at the end
 * (negative pads crop), then correlated at stride 1 with the spatially flipped filter
 * `[cOut, cIn, kd, kh, kw]`: the output length is (n − 1)·s + k − front − back, as `ConvTranspose`.
 */
function emitTransposeAsConv(
  b: GraphBuilder,
  input: string,
  o: {
    prefix: string;
    weight: TensorData;
    bias: Float32Array | undefined;
    kernel: Triple;
    stride: Triple;
    front: readonly number[];
    back: readonly number[];
  },
): string {
  const { prefix, kernel, stride } = o;
  let x = input;
  for (let a = 0; a < 3; a++) {
    const s = stride[a]!;
    if (s === 1) continue;
    const axis = a + 2; // NCDHW spatial axis; the new axis goes right after it
    const [shape] = b.node('Shape', { inputs: [x], name: `${prefix}/zeros${a}/shape` });
    const [u] = b.node('Unsqueeze', { inputs: [x, addInt64(b, `${prefix}/zeros${a}/axis`, [axis + 1])], name: `${prefix}/zeros${a}/unsqueeze` });
    const pads = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    pads[6 + axis + 1] = s - 1; // end of the new axis (rank 6: begins 0–5, ends 6–11)
    const [padded] = b.node('Pad', { inputs: [u!, addInt64(b, `${prefix}/zeros${a}/pads`, pads)], name: `${prefix}/zeros${a}/pad` });
    const scale = [1, 1, 1, 1, 1];
    scale[axis] = s;
    const [target] = b.node('Mul', { inputs: [shape!, addInt64(b, `${prefix}/zeros${a}/scale`, scale)], name: `${prefix}/zeros${a}/size` });
    [x] = b.node('Reshape', { inputs: [padded!, target!], name: `${prefix}/zeros${a}` }) as [string];
  }
  const begin = [0, 1, 2].map((a) => kernel[a]! - 1 - o.front[a]!);
  const end = [0, 1, 2].map((a) => kernel[a]! - 1 - o.back[a]! - (stride[a]! - 1));
  if ([...begin, ...end].some((p) => p !== 0)) {
    [x] = b.node('Pad', { inputs: [x, addInt64(b, `${prefix}/pads`, [0, 0, ...begin, 0, 0, ...end])], name: `${prefix}/pad` }) as [string];
  }
  // ConvTranspose filter [kd, kh, kw, cOut, cIn] → Conv filter [cOut, cIn, kd, kh, kw], flipped in space.
  const [kd, kh, kw, cOut, cIn] = o.weight.shape as [number, number, number, number, number];
  const w = new Float32Array(o.weight.data.length);
  for (let i = 0; i < kd; i++)
    for (let j = 0; j < kh; j++)
      for (let k = 0; k < kw; k++)
        for (let co = 0; co < cOut; co++)
          for (let ci = 0; ci < cIn; ci++) {
            const src = (((i * kh + j) * kw + k) * cOut + co) * cIn + ci;
            const dst = (((co * cIn + ci) * kd + (kd - 1 - i)) * kh + (kh - 1 - j)) * kw + (kw - 1 - k);
            w[dst] = o.weight.data[src]!;
          }
  const inputs = [x, addFloat(b, `${prefix}/weight`, w, [cOut, cIn, kd, kh, kw])];
  if (o.bias !== undefined) inputs.push(addFloat(b, `${prefix}/bias`, o.bias, [cOut]));
  const [y] = b.node('Conv', { inputs, name: prefix, attributes: { kernel_shape: attr.ints(kernel), strides: attr.ints([1, 1, 1]) } });
  return y!;
}
