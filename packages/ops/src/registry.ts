import type * as tf from '@tensorflow/tfjs-core';
import { closestMatch, type Rng } from '@voxnas/core';
import { OperatorDefinitionError, OperatorInputError, UnknownOperatorError } from './errors.js';
import { upsampleCost } from './internal/cost.js';
import { checkNdhwc } from './internal/validate.js';
import { Module } from './module.js';
import type { OnnxEmitContext } from './onnx-hook.js';
import { Upsample3d } from './modules/resample.js';
import type { OperatorCost, OperatorSpec, Shape5, Stride } from './operator-spec.js';
import { BUILTIN_OPERATORS } from './operators/index.js';

const userOperators = new Map<string, OperatorSpec>();

function allOperators(): OperatorSpec[] {
  return [...BUILTIN_OPERATORS, ...userOperators.values()];
}

/**
 * Adds an operator (made by `defineOperator`) to the registry, so search spaces, genotypes and cost
 * reports can name it. A name that is already registered (built-in or user) is an error.
 *
 * @example
 * registerOperator(scaledConv);
 * buildOperator('scaled-conv-1x1x1', { channelsIn: 4, channelsOut: 4, rng });
 */
export function registerOperator(spec: OperatorSpec): OperatorSpec {
  if (spec === null || typeof spec !== 'object' || !Object.isFrozen(spec) || typeof spec.build !== 'function') {
    throw new OperatorDefinitionError('registerOperator: pass the result of defineOperator({ name, summary, build, cost })');
  }
  if (allOperators().some((s) => s.name === spec.name)) {
    throw new OperatorDefinitionError(`registerOperator: an operator named "${spec.name}" is already registered`);
  }
  userOperators.set(spec.name, spec);
  return spec;
}

/**
 * Removes a user-registered operator (built-ins cannot be removed). Returns whether it was registered.
 *
 * @example
 * unregisterOperator('scaled-conv-1x1x1');
 */
export function unregisterOperator(name: string): boolean {
  return userOperators.delete(name);
}

/**
 * The operator named `name`; unknown names throw `UnknownOperatorError` with the closest match and
 * every known name.
 *
 * @example
 * getOperator('conv-3x3x3').summary; // 'ReLU → conv 3×3×3 → InstanceNorm'
 */
export function getOperator(name: string): OperatorSpec {
  const ops = allOperators();
  const found = ops.find((s) => s.name === name);
  if (found !== undefined) return found;
  const names = ops.map((s) => s.name);
  throw new UnknownOperatorError(String(name), names, closestMatch(String(name), names, { maxDistance: Infinity }));
}

/**
 * Every registered operator: the built-ins in their documented order, then the user's in
 * registration order.
 *
 * @example
 * listOperators().map((s) => s.name); // ['zero', 'identity', 'conv-3x3x3', ...]
 */
export function listOperators(): OperatorSpec[] {
  return allOperators();
}

/** Where an operator instance sits in the network. */
export interface OperatorConfig {
  readonly channelsIn: number;
  readonly channelsOut: number;
  /** 2 on reduction edges. Default 1. */
  readonly stride?: Stride;
  /** 2 on expansion edges (every spatial size doubles). Default 1. Not combined with stride 2. */
  readonly upsample?: 1 | 2;
  /** Operator-specific JSON options. */
  readonly options?: Readonly<Record<string, unknown>>;
}

/**
 * An operator instance: validates its input (rank 5, channel count, minimum size) and output shape,
 * naming the operator in every error. Children: `up` (on expansion edges of `'pre'` operators) and `op`.
 */
export class OperatorModule extends Module<tf.Tensor5D, tf.Tensor5D> {
  readonly stride: Stride;
  readonly upsample: 1 | 2;
  private readonly up: Upsample3d | undefined;
  private readonly op: Module<tf.Tensor5D, tf.Tensor5D>;
  constructor(
    readonly spec: OperatorSpec,
    readonly config: OperatorConfig,
    rng: Rng,
  ) {
    super();
    this.stride = config.stride ?? 1;
    this.upsample = config.upsample ?? 1;
    const options = { ...(config.options ?? {}) };
    if (this.upsample === 2 && spec.upsample === 'pre') this.up = this.addModule('up', new Upsample3d({ scale: 2, mode: 'trilinear' }));
    if (this.upsample === 2 && spec.upsample === 'native') options.upsample = 2;
    this.op = this.addModule(
      'op',
      spec.build({ channelsIn: config.channelsIn, channelsOut: config.channelsOut, stride: this.stride, rng, options }),
    );
  }

  forward(x: tf.Tensor5D): tf.Tensor5D {
    const who = `operator "${this.spec.name}"`;
    checkNdhwc(who, x, this.config.channelsIn);
    for (let a = 0; a < 3; a++) {
      if (x.shape[a + 1]! < this.spec.minInputSize[a]!) {
        throw new OperatorInputError(
          `${who}: input too small for the kernel: ${'zyx'[a]} size ${x.shape[a + 1]} < ${this.spec.minInputSize[a]} (input [${x.shape.join(', ')}], minimum [z, y, x] = [${this.spec.minInputSize.join(', ')}])`,
        );
      }
    }
    const y = this.op.forward(this.up === undefined ? x : this.up.forward(x));
    const expected = expectedOutputShape(x.shape, this.config.channelsOut, this.stride, this.upsample);
    if (y.rank !== 5 || y.shape.some((d, i) => d !== expected[i])) {
      throw new OperatorDefinitionError(`${who}: returned shape [${y.shape.join(', ')}], expected [${expected.join(', ')}]`);
    }
    return y;
  }

  /**
   * ONNX export (see `OnnxEmittable`): the registry's upsampling on expansion edges, then the spec's
   * own `onnx` mapping when it has one, else the built module's `emitOnnx`. Errors name the operator.
   */
  emitOnnx(ctx: OnnxEmitContext, x: string): string {
    return ctx.operator(this.spec.name, () => {
      const h = this.up === undefined ? x : ctx.module(this.up, x, 'up');
      const own = this.spec.onnx;
      return ctx.module(this.op, h, 'op', own === undefined ? undefined : (c, input) => own(c, input, this.op));
    });
  }
}

function expectedOutputShape(shape: readonly number[], channelsOut: number, stride: number, upsample: number): Shape5 {
  const f = (n: number) => Math.ceil(n / stride) * upsample;
  return [shape[0]!, f(shape[1]!), f(shape[2]!), f(shape[3]!), channelsOut];
}

/** Whether `spec` at `stride` requires `channelsIn === channelsOut`. */
export function needsSameChannels(spec: OperatorSpec, stride: Stride): boolean {
  return spec.sameChannels === true || (spec.sameChannels === 'stride-1' && stride === 1);
}

function checkConfig(spec: OperatorSpec, config: OperatorConfig): void {
  const who = `operator "${spec.name}"`;
  for (const key of ['channelsIn', 'channelsOut'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) {
      throw new OperatorInputError(`${who}: ${key} must be a positive integer, got ${config[key]}`);
    }
  }
  const stride = config.stride ?? 1;
  if (!spec.strides.includes(stride)) {
    throw new OperatorInputError(`${who}: unsupported stride ${stride}; supported strides: ${spec.strides.join(', ')}`);
  }
  const upsample = config.upsample ?? 1;
  if (upsample !== 1 && upsample !== 2) throw new OperatorInputError(`${who}: upsample must be 1 or 2, got ${upsample}`);
  if (upsample === 2 && stride !== 1) throw new OperatorInputError(`${who}: upsample 2 cannot be combined with stride ${stride}`);
  if (needsSameChannels(spec, stride) && config.channelsIn !== config.channelsOut) {
    throw new OperatorInputError(
      `${who}: needs channelsIn === channelsOut${spec.sameChannels === 'stride-1' ? ' at stride 1' : ''}, got ${config.channelsIn} → ${config.channelsOut}`,
    );
  }
}

/**
 * Builds an instance of a registered operator (by name) or of a spec, wrapped in `OperatorModule`.
 *
 * @example
 * const op = buildOperator('sep-conv-3x3x3', { channelsIn: 4, channelsOut: 4, stride: 2, rng: new Rng(1) });
 * const y = op.apply(x); // [1,5,6,7,4] → [1,3,3,4,4]
 */
export function buildOperator(operator: string | OperatorSpec, config: OperatorConfig & { readonly rng: Rng }): OperatorModule {
  const spec = typeof operator === 'string' ? getOperator(operator) : operator;
  checkConfig(spec, config);
  return new OperatorModule(spec, config, config.rng);
}

/**
 * Cost (params, FLOPs, activation bytes) of an operator instance on an NDHWC input shape, including
 * the registry's upsampling on expansion edges.
 *
 * @example
 * operatorCost('conv-3x3x3', { inputShape: [1, 32, 32, 32, 16], channelsOut: 16 }).params; // 6912
 */
export function operatorCost(
  operator: string | OperatorSpec,
  config: Omit<OperatorConfig, 'channelsIn'> & { readonly inputShape: Shape5 },
): OperatorCost {
  const spec = typeof operator === 'string' ? getOperator(operator) : operator;
  const channelsIn = config.inputShape[4];
  checkConfig(spec, { ...config, channelsIn });
  const stride = config.stride ?? 1;
  const options = { ...(config.options ?? {}) };
  if (config.upsample === 2 && spec.upsample === 'pre') {
    const up = upsampleCost(config.inputShape);
    const [n, d, h, w, c] = config.inputShape;
    const inner = spec.cost({ inputShape: [n, 2 * d, 2 * h, 2 * w, c], channelsIn, channelsOut: config.channelsOut, stride, options });
    return { params: inner.params, flops: inner.flops + up.flops, activationBytes: inner.activationBytes + up.activationBytes };
  }
  if (config.upsample === 2) options.upsample = 2;
  return spec.cost({ inputShape: config.inputShape, channelsIn, channelsOut: config.channelsOut, stride, options });
}
