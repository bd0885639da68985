// Checks and helpers shared by the emitters.
import { OnnxEmitError } from '../errors.js';
import type { Dim, GraphBuilder, KnownShape } from '../graph-builder.js';
import type { TensorData } from '../layout.js';

export type Triple = [number, number, number];

/** A positive integer or [d, h, w] of them. */
export function triple(who: string, name: string, v: number | readonly number[]): Triple {
  const t = typeof v === 'number' ? [v, v, v] : Array.isArray(v) ? v : [];
  if (t.length !== 3 || !t.every((x) => Number.isSafeInteger(x) && x >= 1)) {
    throw new OnnxEmitError(
      `${who}: ${name} must be a positive integer or [d, h, w] of them, got ${show(v)}`,
    );
  }
  return t as Triple;
}

/** Checks that `input` is a defined value and, where its shape is known, of rank 5; returns the known shape. */
export function checkInput(b: GraphBuilder, who: string, input: string): KnownShape | undefined {
  const info = b.valueInfo(input);
  if (info === undefined) {
    throw new OnnxEmitError(
      `${who}: input "${input}" is not defined in the graph, expected a graph input or an earlier emitter's output`,
    );
  }
  if (info.shape !== undefined && info.shape.length !== 5) {
    throw new OnnxEmitError(
      `${who}: input "${input}" has shape [${info.shape.map(String).join(', ')}], expected rank 5 NCDHW [n, c, d, h, w]`,
    );
  }
  return info.shape;
}

/** The static channel count (axis 1) of a known NCDHW shape. */
export function channelsOf(shape: KnownShape | undefined): number | undefined {
  const c = shape?.[1];
  return typeof c === 'number' ? c : undefined;
}

/** Checks a float32 host tensor's data length against its shape (and rank). */
export function checkTensor(who: string, name: string, t: TensorData, shape?: readonly number[]): void {
  if (t === null || typeof t !== 'object' || !(t.data instanceof Float32Array) || !Array.isArray(t.shape)) {
    throw new OnnxEmitError(`${who}: ${name} must be { data: Float32Array, shape: number[] }`);
  }
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new OnnxEmitError(
      `${who}: ${name} has shape [${t.shape.join(', ')}], expected positive integer dims`,
    );
  }
  const size = t.shape.reduce((a, d) => a * d, 1);
  if (size !== t.data.length) {
    throw new OnnxEmitError(
      `${who}: ${name} has ${t.data.length} elements, its shape [${t.shape.join(', ')}] needs ${size}`,
    );
  }
  if (shape !== undefined && (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i]))) {
    throw new OnnxEmitError(
      `${who}: ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`,
    );
  }
}

/** Checks a per-channel vector (bias, gamma, beta, …) of length `channels`. */
export function checkVector(who: string, name: string, v: Float32Array, channels: number): void {
  if (!(v instanceof Float32Array) || v.length !== channels) {
    const got = v instanceof Float32Array ? `length ${v.length}` : String(v);
    throw new OnnxEmitError(
      `${who}: ${name} must be a Float32Array of length ${channels} (one per channel), got ${got}`,
    );
  }
}

/** Adds a float32 initializer under a unique name derived from `prefix`. */
export function addFloat(
  b: GraphBuilder,
  prefix: string,
  data: Float32Array,
  shape: readonly number[],
): string {
  return b.initializer(b.uniqueName(prefix), { data, shape });
}

/** Adds an int64 initializer under a unique name derived from `prefix`. */
export function addInt64(b: GraphBuilder, prefix: string, values: readonly number[]): string {
  return b.initializer(b.uniqueName(prefix), {
    data: BigInt64Array.from(values, (v) => BigInt(v)),
    shape: [values.length],
  });
}

/** Records a float32 output of the given (partly known) shape. */
export function setFloat(b: GraphBuilder, name: string, shape: KnownShape | undefined): void {
  b.setValueInfo(name, { dtype: 'float32', ...(shape === undefined ? {} : { shape }) });
}

/** A spatial output dim from a known input dim: `f(n)` for a static size, `same` for a symbol when the size is unchanged. */
export function mapDim(d: Dim | undefined, f: (n: number) => number, unchanged: boolean): Dim | undefined {
  if (typeof d === 'number') return f(d);
  return unchanged ? d : undefined;
}

/** The node/value name prefix of an emitter call. */
export function prefixOf(name: string | undefined, fallback: string): string {
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    throw new OnnxEmitError(`${fallback}: name must be a non-empty string, got ${show(name)}`);
  }
  return name ?? fallback;
}

/** A value as it appears in a message: numbers as written (NaN too), strings quoted, arrays and objects compact. */
export function show(v: unknown): string {
  if (
    typeof v === 'number' ||
    typeof v === 'bigint' ||
    typeof v === 'boolean' ||
    v === undefined ||
    v === null
  )
    return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${'length' in v ? String(v.length) : v.byteLength})`;
  if (typeof v === 'object')
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${k}: ${show(x)}`)
      .join(', ')} }`;
  return String(v);
}
