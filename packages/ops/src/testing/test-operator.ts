import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@voxnas/core';
import { describe, expect, it } from 'vitest';
// Imported by package name, so the published testing entry shares the main entry's registry and error classes.
import {
  OperatorInputError,
  buildOperator,
  deserializeWeights,
  getOperator,
  needsSameChannels,
  operatorCost,
  serializeWeights,
  type OperatorModule,
  type OperatorSpec,
  type Stride,
  type WeightsFile,
} from '@voxnas/ops';
import { checkGradients, type GradientCheckOptions } from './gradient-check.js';

/** Options of `testOperator`. */
export interface TestOperatorOptions {
  /** Spatial input size [z, y, x]. Default [5, 6, 7] (odd, non-cubic). */
  readonly size?: readonly [number, number, number];
  /** Default 2. */
  readonly channelsIn?: number;
  /** Default 3, or `channelsIn` where the operator needs equal channels. */
  readonly channelsOut?: number;
  /** Also test the expansion-edge form (upsample 2). Default true. */
  readonly upsample?: boolean;
  /** Forward/backward steps of the leak check on the normal edge (stride 1). Default 100; 10 for the other edge kinds. */
  readonly leakSteps?: number;
  /** Spatial size of the leak check's input. Default [3, 4, 5] (at least the operator's `minInputSize`). */
  readonly leakSize?: readonly [number, number, number];
  /** Tolerances of the gradient check. */
  readonly gradient?: Omit<GradientCheckOptions, 'variables'>;
  /** Operator options passed to the builder. */
  readonly options?: Readonly<Record<string, unknown>>;
  /**
   * Whether the operator must be found in the registry under its name (what a search space needs). Default
   * true: the suite fails for an operator that is not registered. Pass false for a spec that is built
   * directly and never named in a search space.
   */
  readonly registered?: boolean;
}

interface Case {
  readonly stride: Stride;
  readonly upsample: 1 | 2;
  readonly channelsIn: number;
  readonly channelsOut: number;
  readonly title: string;
}

function cases(spec: OperatorSpec, o: TestOperatorOptions): Case[] {
  const cIn = o.channelsIn ?? 2;
  const [d, h, w] = o.size ?? [5, 6, 7];
  const make = (stride: Stride, upsample: 1 | 2): Case => {
    const cOut = needsSameChannels(spec, stride) ? cIn : (o.channelsOut ?? 3);
    return { stride, upsample, channelsIn: cIn, channelsOut: cOut, title: `x=[1,${d},${h},${w},${cIn}] cOut=${cOut} stride=${stride} upsample=${upsample}` };
  };
  const out = spec.strides.map((s) => make(s, 1));
  if (o.upsample !== false && spec.strides.includes(1)) out.push(make(1, 2));
  return out;
}

function input(c: Case, o: TestOperatorOptions, seed: number): tf.Tensor5D {
  const [d, h, w] = o.size ?? [5, 6, 7];
  const rng = new Rng(seed);
  const n = d * h * w * c.channelsIn;
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.normal();
  return tf.tensor5d(values, [1, d, h, w, c.channelsIn]);
}

function build(spec: OperatorSpec, c: Case, o: TestOperatorOptions, seed: number): OperatorModule {
  return buildOperator(spec, {
    channelsIn: c.channelsIn,
    channelsOut: c.channelsOut,
    stride: c.stride,
    upsample: c.upsample,
    options: o.options,
    rng: new Rng(seed),
  });
}

function lossOf(op: OperatorModule, x: tf.Tensor5D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(op.forward(x))) as tf.Scalar);
}

/**
 * Registers the operator contract as a vitest suite (call it at the top level of a `*.test.ts` file).
 * Every built-in operator passes it, and so must a user's: output shapes at every supported stride
 * and on expansion edges; gradients (input and parameters) against central differences; cost
 * `params` equal to the counted parameters and well-formed FLOPs/bytes; no tensor leak over
 * `leakSteps` forward/backward steps; same seed ⇒ bit-identical weights; a weights serialisation
 * round trip that reproduces the output bit for bit, and another seed ⇒ other weights; typed errors naming
 * the operator for a wrong rank, channel count and stride; and lookup by name in the registry (the suite
 * fails for an operator that is not registered unless `registered: false`).
 *
 * @example
 * // my-op.test.ts
 * import { testOperator } from '@voxnas/ops/testing';
 * testOperator(myOperator);
 */
export function testOperator(spec: OperatorSpec, options: TestOperatorOptions = {}): void {
  const all = cases(spec, options);
  describe(`operator ${spec.name}`, () => {
    it.each(all)('shape and finite values: $title', (c) => {
      const x = input(c, options, 1);
      const op = build(spec, c, options, 7);
      const y = op.apply(x);
      const [d, h, w] = options.size ?? [5, 6, 7];
      const f = (n: number) => Math.ceil(n / c.stride) * c.upsample;
      expect(y.shape).toEqual([1, f(d), f(h), f(w), c.channelsOut]);
      expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
      tf.dispose([x, y]);
      op.dispose();
    });

    it.each(all)('gradients match central differences: $title', (c) => {
      const x = input(c, options, 2);
      const op = build(spec, c, options, 8);
      const result = checkGradients((xx) => op.forward(xx as tf.Tensor5D), [x], {
        variables: op.trainableVariables(),
        rng: new Rng(3),
        ...options.gradient,
      });
      tf.dispose(x);
      op.dispose();
      expect(result.ok, result.report).toBe(true);
    });

    it.each(all)('cost params equal the counted parameters: $title', (c) => {
      const op = build(spec, c, options, 9);
      const [d, h, w] = options.size ?? [5, 6, 7];
      const cost = operatorCost(spec, {
        inputShape: [1, d, h, w, c.channelsIn],
        channelsOut: c.channelsOut,
        stride: c.stride,
        upsample: c.upsample,
        options: options.options,
      });
      expect(cost.params).toBe(op.parameterCount());
      for (const v of [cost.flops, cost.activationBytes]) {
        expect(Number.isInteger(v) && v >= 0).toBe(true);
      }
      op.dispose();
    });

    it.each(all)('no tensor leaks over forward/backward steps: $title', (c) => {
      const leakSize = options.leakSize ?? ([3, 4, 5].map((v, a) => Math.max(v, spec.minInputSize[a]!)) as [number, number, number]);
      const x = input(c, { ...options, size: leakSize }, 4);
      const op = build(spec, c, options, 10);
      const vars = op.trainableVariables();
      const before = tf.memory().numTensors;
      const steps = c.stride === 1 && c.upsample === 1 ? (options.leakSteps ?? 100) : Math.min(10, options.leakSteps ?? 100);
      for (let i = 0; i < steps; i++) {
        if (vars.length > 0) {
          const { value, grads } = tf.variableGrads(() => lossOf(op, x), vars);
          tf.dispose([value, ...Object.values(grads)]);
        } else {
          tf.dispose(tf.grad((xx: tf.Tensor) => lossOf(op, xx as tf.Tensor5D))(x));
        }
      }
      expect(tf.memory().numTensors - before).toBe(0);
      op.dispose();
      x.dispose();
    });

    it.each(all)('same seed gives the same weights, serialisation round trip is exact: $title', (c) => {
      const a = build(spec, c, options, 11);
      const b = build(spec, c, options, 11);
      const other = build(spec, c, options, 12);
      const x = input(c, options, 5);
      const { file, data } = serializeWeights(a);
      expect(Array.from(serializeWeights(b).data)).toEqual(Array.from(data));
      // … and another seed gives other weights (an operator with parameters must draw them from its rng).
      if (a.parameterCount() > 0) expect(Array.from(serializeWeights(other).data)).not.toEqual(Array.from(data));
      deserializeWeights(other, JSON.parse(JSON.stringify(file)) as WeightsFile, data.slice());
      const ya = a.apply(x);
      const yo = other.apply(x);
      expect(Array.from(yo.dataSync())).toEqual(Array.from(ya.dataSync()));
      tf.dispose([x, ya, yo]);
      for (const m of [a, b, other]) m.dispose();
    });

    it('misuse raises OperatorInputError naming the operator', () => {
      const c = all[0]!;
      const op = build(spec, c, options, 13);
      const rank4 = tf.zeros([5, 6, 7, c.channelsIn]);
      const wrongChannels = tf.zeros([1, 5, 6, 7, c.channelsIn + 1]);
      for (const bad of [rank4, wrongChannels]) {
        let error: unknown;
        try {
          op.apply(bad as tf.Tensor5D);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(OperatorInputError);
        expect((error as Error).message).toContain(spec.name);
      }
      tf.dispose([rank4, wrongChannels]);
      op.dispose();
      expect(() => buildOperator(spec, { channelsIn: 2, channelsOut: 2, stride: 3 as Stride, rng: new Rng(1) })).toThrow(
        OperatorInputError,
      );
    });

    it.skipIf(options.registered === false)('is registered under its name', () => {
      // Throws UnknownOperatorError (naming the operator and every known one) when it is not registered.
      expect(getOperator(spec.name)).toBe(spec);
    });
  });
}
