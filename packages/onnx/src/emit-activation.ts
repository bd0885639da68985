import { OnnxEmitError } from './errors.js';
import { attr, type GraphBuilder } from './graph-builder.js';
import { addFloat, channelsOf, checkVector, prefixOf, setFloat, show } from './internal/emit-util.js';

function defined(b: GraphBuilder, who: string, input: string) {
  const info = b.valueInfo(input);
  if (info === undefined) {
    throw new OnnxEmitError(
      `${who}: input "${input}" is not defined in the graph, expected a graph input or an earlier emitter's output`,
    );
  }
  return info;
}

/**
 * Emits `Relu`. Returns the output name.
 *
 * @example
 * const y = emitRelu(b, x, { name: 'enc0/relu1' });
 */
export function emitRelu(b: GraphBuilder, input: string, options: { readonly name?: string } = {}): string {
  const prefix = prefixOf(options.name, 'relu');
  const info = defined(b, `emitRelu(${prefix})`, input);
  const [y] = b.node('Relu', { inputs: [input], name: prefix });
  setFloat(b, y!, info.shape);
  return y!;
}

/**
 * Emits `LeakyRelu` with slope `alpha` for negative inputs (default 0.01, as voxnas `LeakyReLU`).
 *
 * @example
 * const y = emitLeakyRelu(b, x, { alpha: 0.1 });
 */
export function emitLeakyRelu(
  b: GraphBuilder,
  input: string,
  options: { readonly alpha?: number; readonly name?: string } = {},
): string {
  const prefix = prefixOf(options.name, 'leakyRelu');
  const who = `emitLeakyRelu(${prefix})`;
  const info = defined(b, who, input);
  const alpha = options.alpha ?? 0.01;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) {
    throw new OnnxEmitError(`${who}: alpha must be a finite number, got ${show(alpha)}`);
  }
  const [y] = b.node('LeakyRelu', {
    inputs: [input],
    name: prefix,
    attributes: { alpha: attr.float(alpha) },
  });
  setFloat(b, y!, info.shape);
  return y!;
}

/**
 * Emits `PRelu` with a learned per-channel slope `alpha` `[C]` (voxnas `PReLU`), stored as `[C, 1, 1, 1]`
 * so it broadcasts over NCDHW.
 *
 * @example
 * const y = emitPRelu(b, x, { alpha: new Float32Array([0.25, 0.25]) });
 */
export function emitPRelu(
  b: GraphBuilder,
  input: string,
  options: { readonly alpha: Float32Array; readonly name?: string },
): string {
  const prefix = prefixOf(options?.name, 'prelu');
  const who = `emitPRelu(${prefix})`;
  const info = defined(b, who, input);
  const c = channelsOf(info.shape) ?? options?.alpha?.length ?? 0;
  checkVector(who, 'alpha', options?.alpha, c);
  const [y] = b.node('PRelu', {
    inputs: [input, addFloat(b, `${prefix}/alpha`, options.alpha, [c, 1, 1, 1])],
    name: prefix,
  });
  setFloat(b, y!, info.shape);
  return y!;
}

/**
 * Emits `Softmax` over `axis` (default 1: the channels of NCDHW logits, giving class probabilities).
 *
 * @example
 * const probabilities = emitSoftmax(b, logits);
 */
export function emitSoftmax(
  b: GraphBuilder,
  input: string,
  options: { readonly axis?: number; readonly name?: string } = {},
): string {
  const prefix = prefixOf(options.name, 'softmax');
  const who = `emitSoftmax(${prefix})`;
  const info = defined(b, who, input);
  const axis = options.axis ?? 1;
  const rank = info.shape?.length;
  if (!Number.isSafeInteger(axis) || (rank !== undefined && (axis < -rank || axis >= rank))) {
    throw new OnnxEmitError(
      `${who}: axis must be an integer in [−rank, rank) for input "${input}"${rank === undefined ? '' : ` of rank ${rank}`}, got ${show(axis)}`,
    );
  }
  const [y] = b.node('Softmax', { inputs: [input], name: prefix, attributes: { axis: attr.int(axis) } });
  setFloat(b, y!, info.shape);
  return y!;
}
