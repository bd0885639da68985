/**
 * Every built-in operator of @voxnas/ops on tfjs's WebGPU backend (SwiftShader here), with
 * @voxnas/webgpu-kernels' fixes as `initBackend({ backend: 'webgpu' })` installs them. The cases are
 * those of the operator contract suite `testOperator` (input [1, 5, 6, 7, 2], every supported stride,
 * and the expansion edge): gradients against central differences (the contract's check, reading
 * asynchronously), forward and every gradient against the cpu backend in the same page, shapes,
 * leaks, and the weights round trip. Rows land in `artifacts/voxnas-ops.jsonl`.
 */
import { Rng } from '@voxnas/core';
import {
  BUILTIN_OPERATORS,
  buildOperator,
  deserializeWeights,
  initBackend,
  needsSameChannels,
  serializeWeights,
  type OperatorModule,
  type OperatorSpec,
  type Stride,
  type WeightsFile,
} from '@voxnas/ops';
import { beforeAll, describe, expect, it } from 'vitest';
import { record, relMaxDiff, resetRecord, tf, useBackend } from '../page/index.js';
import { checkGradientsAsync } from './gradient-check-async.js';

/** max |webgpu − cpu| / max |cpu| allowed for the forward pass and each gradient (float32). */
const PARITY_TOLERANCE = 1e-5;
const SIZE = [5, 6, 7] as const;
const CHANNELS_IN = 2;

interface Case {
  readonly spec: OperatorSpec;
  readonly stride: Stride;
  readonly upsample: 1 | 2;
  readonly channelsOut: number;
  readonly title: string;
}

function casesOf(spec: OperatorSpec): Case[] {
  const make = (stride: Stride, upsample: 1 | 2): Case => {
    const channelsOut = needsSameChannels(spec, stride) ? CHANNELS_IN : 3;
    return { spec, stride, upsample, channelsOut, title: `${spec.name} stride=${stride} upsample=${upsample} cOut=${channelsOut}` };
  };
  const out = spec.strides.map((s) => make(s, 1));
  if (spec.strides.includes(1)) out.push(make(1, 2));
  return out;
}

const CASES = BUILTIN_OPERATORS.flatMap(casesOf);

function build(c: Case, seed: number): OperatorModule {
  return buildOperator(c.spec, { channelsIn: CHANNELS_IN, channelsOut: c.channelsOut, stride: c.stride, upsample: c.upsample, rng: new Rng(seed) });
}

function inputValues(seed: number, size: readonly number[] = SIZE): Float32Array {
  const rng = new Rng(seed);
  const n = size.reduce((a, b) => a * b, 1) * CHANNELS_IN;
  return Float32Array.from({ length: n }, () => rng.normal());
}

function outShape(c: Case): number[] {
  return [1, ...SIZE.map((n) => Math.ceil(n / c.stride) * c.upsample), c.channelsOut];
}

/** Forward output and the gradients of Σ y·r with respect to x and every parameter, read back. */
async function forwardAndGrads(op: OperatorModule, x: tf.Tensor5D, r: tf.Tensor): Promise<Float32Array[]> {
  const xv = tf.variable(x, true);
  const vars = [xv, ...op.trainableVariables()];
  const y = tf.tidy(() => op.forward(xv as tf.Tensor as tf.Tensor5D));
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(op.forward(xv as tf.Tensor as tf.Tensor5D), r)) as tf.Scalar, vars);
  const list = vars.map((v) => grads[v.name]!);
  const out = await Promise.all([y, ...list].map(async (t) => new Float32Array(await t.data())));
  tf.dispose([y, value, ...list, xv]);
  return out;
}

beforeAll(async () => {
  await resetRecord('voxnas-ops');
  const choice = await initBackend({ backend: 'webgpu', logger: () => {} });
  expect([choice.backend, tf.getBackend()]).toEqual(['webgpu', 'webgpu']);
});

describe.each(CASES)('$title', (c) => {
  it('webgpu: shape and finite values', async () => {
    await useBackend('webgpu');
    const x = tf.tensor5d(inputValues(1), [1, ...SIZE, CHANNELS_IN]);
    const op = build(c, 7);
    const y = op.apply(x);
    expect(y.shape).toEqual(outShape(c));
    expect(Array.from(await y.data()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, y]);
    op.dispose();
  });

  it('webgpu: gradients match central differences', async () => {
    await useBackend('webgpu');
    const x = tf.tensor5d(inputValues(2), [1, ...SIZE, CHANNELS_IN]);
    const op = build(c, 8);
    const result = await checkGradientsAsync((xx) => op.forward(xx as tf.Tensor5D), [x], { variables: op.trainableVariables(), rng: new Rng(3) });
    tf.dispose(x);
    op.dispose();
    expect(result.ok, result.report).toBe(true);
    // Not vacuous: a reader returning zeros would pass 0 = 0 (the zero operator's gradient is 0).
    if (c.spec.name !== 'zero') expect(Math.max(...result.checks.map((k) => Math.abs(k.analytic)))).toBeGreaterThan(1e-3);
  });

  it(`webgpu equals cpu: forward and every gradient within ${PARITY_TOLERANCE}`, async () => {
    // Built on cpu and moved to webgpu afterwards (tfjs moves cpu → webgpu data by upload; the
    // other direction would need a synchronous GPU read).
    await useBackend('cpu');
    const op = build(c, 9);
    const x = tf.tensor5d(inputValues(4), [1, ...SIZE, CHANNELS_IN]);
    const rng = new Rng(5);
    const shape = outShape(c);
    const r = tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
    const cpu = await forwardAndGrads(op, x, r);
    await useBackend('webgpu');
    const gpu = await forwardAndGrads(op, x, r);
    const diffs = gpu.map((g, i) => relMaxDiff(g, cpu[i]!));
    await record('voxnas-ops', { case: c.title, outputs: ['y', 'dx', ...op.trainableVariables().map((_, i) => `dw${i}`)], relDiffs: diffs });
    tf.dispose([x, r]);
    op.dispose();
    diffs.forEach((d, i) => expect(d, `output ${i}`).toBeLessThanOrEqual(PARITY_TOLERANCE));
  });

  it('webgpu: no tensor leaks over forward/backward steps, weights round trip exact', async () => {
    await useBackend('webgpu');
    const x = tf.tensor5d(inputValues(6, [3, 4, 5].map((v, a) => Math.max(v, c.spec.minInputSize[a]!))), [
      1,
      ...([3, 4, 5].map((v, a) => Math.max(v, c.spec.minInputSize[a]!)) as [number, number, number]),
      CHANNELS_IN,
    ]);
    const op = build(c, 10);
    const vars = op.trainableVariables();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const loss = () => tf.mean(tf.square(op.forward(x))) as tf.Scalar;
      if (vars.length > 0) {
        const { value, grads } = tf.variableGrads(loss, vars);
        await value.data();
        tf.dispose([value, ...Object.values(grads)]);
      } else {
        const g = tf.grad((xx: tf.Tensor) => tf.mean(tf.square(op.forward(xx as tf.Tensor5D))))(x);
        await g.data();
        g.dispose();
      }
    }
    expect(tf.memory().numTensors - before).toBe(0);
    // Round trip: weights read asynchronously first (serializeWeights reads synchronously).
    await Promise.all(vars.map((v) => v.data()));
    const { file, data } = serializeWeights(op);
    const other = build(c, 11);
    deserializeWeights(other, JSON.parse(JSON.stringify(file)) as WeightsFile, data.slice());
    const [ya, yo] = [op.apply(x), other.apply(x)];
    expect(Array.from(await yo.data())).toEqual(Array.from(await ya.data()));
    tf.dispose([x, ya, yo]);
    op.dispose();
    other.dispose();
  });
});
