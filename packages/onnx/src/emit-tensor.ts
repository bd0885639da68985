import { OnnxEmitError } from './errors.js';
import { attr, type Dim, type GraphBuilder, type KnownShape } from './graph-builder.js';
import { addFloat, addInt64, checkInput, prefixOf, setFloat, show } from './internal/emit-util.js';

function infoOf(b: GraphBuilder, who: string, input: string) {
  const info = b.valueInfo(input);
  if (info === undefined) {
    throw new OnnxEmitError(
      `${who}: input "${input}" is not defined in the graph, expected a graph input or an earlier emitter's output`,
    );
  }
  return info;
}

function checkInputs(
  b: GraphBuilder,
  who: string,
  inputs: readonly string[],
  min: number,
  max = Infinity,
): KnownShape[] {
  if (!Array.isArray(inputs) || inputs.length < min || inputs.length > max) {
    const want = max === Infinity ? `at least ${min}` : min === max ? `${min}` : `${min}–${max}`;
    throw new OnnxEmitError(`${who}: expected ${want} input names, got ${show(inputs)}`);
  }
  return inputs.map((x) => infoOf(b, who, x).shape).filter((s): s is KnownShape => s !== undefined);
}

/**
 * Emits the elementwise sum of two or more tensors of one shape (`Add`, or `Sum` for three and more):
 * a cell node adding its incoming edges, a residual connection.
 *
 * @example
 * const node = emitAdd(b, [edgeA, edgeB, edgeC]);
 */
export function emitAdd(
  b: GraphBuilder,
  inputs: readonly string[],
  options: { readonly name?: string } = {},
): string {
  const prefix = prefixOf(options.name, 'add');
  const shapes = checkInputs(b, `emitAdd(${prefix})`, inputs, 2);
  const [y] = b.node(inputs.length === 2 ? 'Add' : 'Sum', { inputs, name: prefix });
  setFloat(b, y!, shapes[0]);
  return y!;
}

/**
 * Emits the elementwise (broadcasting) product of two tensors.
 *
 * @example
 * const gated = emitMul(b, [x, gate]);
 */
export function emitMul(
  b: GraphBuilder,
  inputs: readonly [string, string],
  options: { readonly name?: string } = {},
): string {
  const prefix = prefixOf(options.name, 'mul');
  const shapes = checkInputs(b, `emitMul(${prefix})`, inputs, 2, 2);
  const [y] = b.node('Mul', { inputs, name: prefix });
  setFloat(b, y!, shapes.length === 2 && shapes[0]!.length >= shapes[1]!.length ? shapes[0] : shapes[1]);
  return y!;
}

/**
 * Emits `Concat` along `axis` (default 1: channels of NCDHW), e.g. a U-Net skip `[skip, up]` or a cell's
 * nodes before its projection. Channels add up when they are static.
 *
 * @example
 * const merged = emitConcat(b, [skip, up]);
 */
export function emitConcat(
  b: GraphBuilder,
  inputs: readonly string[],
  options: { readonly axis?: number; readonly name?: string } = {},
): string {
  const prefix = prefixOf(options.name, 'concat');
  const who = `emitConcat(${prefix})`;
  const shapes = checkInputs(b, who, inputs, 1);
  const axis = options.axis ?? 1;
  const rank = shapes[0]?.length;
  if (!Number.isSafeInteger(axis) || (rank !== undefined && (axis < -rank || axis >= rank))) {
    throw new OnnxEmitError(`${who}: axis must be an integer in [−rank, rank), got ${show(axis)}`);
  }
  let shape: KnownShape | undefined;
  if (rank !== undefined && shapes.length === inputs.length) {
    const a = axis < 0 ? axis + rank : axis;
    for (const s of shapes) {
      if (s.length !== rank)
        throw new OnnxEmitError(
          `${who}: inputs have ranks ${shapes.map((t) => t.length).join(', ')}, expected one rank`,
        );
    }
    const sizes = shapes.map((s) => s[a]);
    const total = sizes.every((d): d is number => typeof d === 'number')
      ? sizes.reduce((x, y) => x + y, 0)
      : undefined;
    shape = shapes[0]!.map((d, i) => (i === a ? total : d));
  }
  const [y] = b.node('Concat', { inputs, name: prefix, attributes: { axis: attr.int(axis) } });
  setFloat(b, y!, shape);
  return y!;
}

/** Options of {@link emitPad}: voxels added (or, negative, removed) before and after each spatial axis [d, h, w]. */
export interface EmitPadOptions {
  readonly begin: readonly [number, number, number];
  readonly end: readonly [number, number, number];
  /** Default `'constant'`. */
  readonly mode?: 'constant' | 'reflect' | 'edge';
  /** Fill value of `'constant'`. Default 0. */
  readonly value?: number;
  readonly name?: string;
}

/**
 * Emits `Pad` of the spatial axes of NCDHW input (e.g. the shifted branch of voxnas's factorised reduce).
 *
 * @example
 * const padded = emitPad(b, x, { begin: [0, 0, 0], end: [1, 1, 1] });
 */
export function emitPad(b: GraphBuilder, input: string, options: EmitPadOptions): string {
  const prefix = prefixOf(options?.name, 'pad');
  const who = `emitPad(${prefix})`;
  const shape = checkInput(b, who, input);
  const ok = (v: unknown) => Array.isArray(v) && v.length === 3 && v.every((x) => Number.isSafeInteger(x));
  if (options === null || typeof options !== 'object' || !ok(options.begin) || !ok(options.end)) {
    throw new OnnxEmitError(`${who}: begin and end must be [d, h, w] integers, got ${show(options)}`);
  }
  const mode = options.mode ?? 'constant';
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') {
    throw new OnnxEmitError(`${who}: mode must be 'constant', 'reflect' or 'edge', got ${show(mode)}`);
  }
  const value = options.value ?? 0;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new OnnxEmitError(`${who}: value must be a finite number, got ${show(value)}`);
  }
  const pads = addInt64(b, `${prefix}/pads`, [0, 0, ...options.begin, 0, 0, ...options.end]);
  const inputs =
    mode === 'constant'
      ? [input, pads, addFloat(b, `${prefix}/value`, Float32Array.of(value), [])]
      : [input, pads];
  const [y] = b.node('Pad', { inputs, name: prefix, attributes: { mode } });
  const grow = (d: Dim | undefined, a: number) => {
    const delta = options.begin[a]! + options.end[a]!;
    return typeof d === 'number' ? d + delta : delta === 0 ? d : undefined;
  };
  setFloat(
    b,
    y!,
    shape === undefined ? undefined : [shape[0], shape[1], ...[0, 1, 2].map((a) => grow(shape[a + 2], a))],
  );
  return y!;
}

/** Options of {@link emitSlice}: a spatial crop `[begin, end)` per axis [d, h, w]. */
export interface EmitSliceOptions {
  /** First voxel per axis (negative counts from the end). */
  readonly begin: readonly [number, number, number];
  /** One past the last voxel per axis (negative counts from the end); default: to the end. */
  readonly end?: readonly [number, number, number];
  readonly name?: string;
}

/**
 * Emits `Slice` of the spatial axes (2, 3, 4) of NCDHW input.
 *
 * @example
 * const shifted = emitSlice(b, x, { begin: [1, 1, 1] }); // drops the first voxel of every axis
 */
export function emitSlice(b: GraphBuilder, input: string, options: EmitSliceOptions): string {
  const prefix = prefixOf(options?.name, 'slice');
  const who = `emitSlice(${prefix})`;
  const shape = checkInput(b, who, input);
  const ok = (v: unknown) => Array.isArray(v) && v.length === 3 && v.every((x) => Number.isSafeInteger(x));
  if (
    options === null ||
    typeof options !== 'object' ||
    !ok(options.begin) ||
    (options.end !== undefined && !ok(options.end))
  ) {
    throw new OnnxEmitError(`${who}: begin (and end) must be [d, h, w] integers, got ${show(options)}`);
  }
  const end = options.end ?? [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  const [y] = b.node('Slice', {
    inputs: [
      input,
      addInt64(b, `${prefix}/starts`, options.begin),
      addInt64(b, `${prefix}/ends`, end),
      addInt64(b, `${prefix}/axes`, [2, 3, 4]),
    ],
    name: prefix,
  });
  const size = (d: Dim | undefined, a: number): Dim | undefined => {
    if (typeof d !== 'number') return options.begin[a] === 0 && options.end === undefined ? d : undefined;
    const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + d : i, 0), d);
    return Math.max(clamp(end[a]!) - clamp(options.begin[a]!), 0);
  };
  setFloat(
    b,
    y!,
    shape === undefined ? undefined : [shape[0], shape[1], ...[0, 1, 2].map((a) => size(shape[a + 2], a))],
  );
  return y!;
}

/**
 * Emits `Transpose` with `perm` (output axis i is input axis `perm[i]`); with {@link NDHWC_TO_NCDHW} /
 * {@link NCDHW_TO_NDHWC} it converts between the voxnas and ONNX layouts inside the graph.
 *
 * @example
 * const ncdhw = emitTranspose(b, ndhwcInput, { perm: NDHWC_TO_NCDHW });
 */
export function emitTranspose(
  b: GraphBuilder,
  input: string,
  options: { readonly perm: readonly number[]; readonly name?: string },
): string {
  const prefix = prefixOf(options?.name, 'transpose');
  const who = `emitTranspose(${prefix})`;
  const info = infoOf(b, who, input);
  const perm = options?.perm;
  const rank = info.shape?.length ?? perm?.length;
  if (
    !Array.isArray(perm) ||
    perm.length !== rank ||
    [...perm].sort((x, y) => x - y).some((p, i) => p !== i)
  ) {
    throw new OnnxEmitError(
      `${who}: perm must be a permutation of the ${rank} axes of "${input}", got ${show(perm)}`,
    );
  }
  const [y] = b.node('Transpose', { inputs: [input], name: prefix, attributes: { perm: attr.ints(perm) } });
  b.setValueInfo(y!, {
    ...(info.dtype === undefined ? {} : { dtype: info.dtype }),
    ...(info.shape === undefined ? {} : { shape: perm.map((p) => info.shape![p]) }),
  });
  return y!;
}
