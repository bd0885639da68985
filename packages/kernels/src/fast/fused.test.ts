import '@tensorflow/tfjs'; // registers tfjs's gradients (tfjs-core's Node build has none)
import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeStatus, registerNativeKernels } from '../native-kernels.js';
import { accel } from '../internal/state.js';
import { GROUP_NORM, GROUP_NORM_GRAD, RELU_GRAD } from './fused.js';
import { fastKernelStatus, registerFastKernels, unregisterFastKernels } from './register.js';
import { randn, withOriginalKernels } from '../../test/fast-support.js';

registerNativeKernels();
// Every case runs on the JavaScript loops and, when the addon is built (always in CI), on its
// threaded loops.
const paths = nativeStatus.loaded || process.env.CI ? (['js', 'native'] as const) : (['js'] as const);

function onPath<T>(path: 'js' | 'native', fn: () => T): T {
  const saved = accel.addon;
  if (path === 'js') accel.addon = null;
  else if (!saved) throw new Error(`native path requested but the addon is not loaded: ${nativeStatus.reason ?? ''}`);
  try {
    return fn();
  } finally {
    accel.addon = saved;
  }
}

/** Group norm of [n, …, c] written with tfjs ops (run on tfjs-backend-cpu's own kernels). */
function composite(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, groups: number, eps: number): tf.Tensor {
  const n = x.shape[0] as number;
  const c = x.shape[x.rank - 1] as number;
  const xg = tf.reshape(x, [n, -1, groups, c / groups]);
  const { mean, variance } = tf.moments(xg, [1, 3], true);
  const y = tf.reshape(tf.div(tf.sub(xg, mean), tf.sqrt(tf.add(variance, eps))), x.shape);
  return tf.add(tf.mul(y, gamma), beta);
}

function fused(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, groups: number, eps: number): tf.Tensor {
  const [y] = tf.engine().runKernel(GROUP_NORM, { x, gamma, beta }, { groups, eps } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return y as tf.Tensor;
}

const cases = [
  { name: 'instance norm, odd sizes', shape: [2, 5, 3, 7, 3], groups: 3, offset: 0 },
  { name: 'group norm, 2 groups', shape: [1, 7, 9, 6, 4], groups: 2, offset: 0 },
  { name: 'layer norm (1 group), rank 3', shape: [3, 11, 6], groups: 1, offset: 0 },
  { name: 'instance norm, mean 1000× the spread', shape: [1, 6, 5, 4, 2], groups: 2, offset: 1000 },
  { name: 'instance norm, 64 channels over 2 threads', shape: [1, 12, 12, 12, 64], groups: 64, offset: 0 },
];

describe.each(paths)('fused kernels (%s loops)', (path) => {
  it.each(cases)('VoxnasGroupNorm equals the composite formula forward and backward: $name', ({ shape, groups, offset }) =>
    expectNoLeaks(() => {
      const rng = new Rng(`gn ${shape.join()}`);
      const c = shape[shape.length - 1] as number;
      const x = randn(rng, shape, offset);
      const gamma = randn(rng, [c], 1);
      const beta = randn(rng, [c]);
      const w = randn(rng, shape);
      const lossOf = (f: typeof fused) => (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(xx, g, b, groups, 1e-5), w));
      const run = (f: typeof fused) =>
        tf.tidy(() => {
          const y = f(x, gamma, beta, groups, 1e-5).dataSync() as Float32Array;
          const grads = tf.grads(lossOf(f))([x, gamma, beta]).map((t) => t.dataSync() as Float32Array);
          return [y, ...grads];
        });
      const ours = onPath(path, () => run(fused));
      const ref = withOriginalKernels(() => run(composite));
      const tol = offset > 0 ? { atol: 2e-3, rtol: 2e-3 } : { atol: 2e-5, rtol: 1e-4 };
      ours.forEach((v, i) => expectClose(v, ref[i] as Float32Array, tol));
      tf.dispose([x, gamma, beta, w]);
    }),
  );

  it('VoxnasGroupNorm outputs the statistics: mean and 1/sqrt(var + eps) per (sample, group)', () => {
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [1, 4, 2]); // channel 0: 1,3,5,7; channel 1: 2,4,6,8
    const outs = onPath(path, () => tf.engine().runKernel(GROUP_NORM, { x, gamma: tf.ones([2]), beta: tf.zeros([2]) }, { groups: 2, eps: 0 } as unknown as tf.NamedAttrMap) as tf.Tensor[]);
    expect(Array.from(outs[1]!.dataSync())).toEqual([4, 5]);
    expectClose(outs[2]!.dataSync() as Float32Array, [1 / Math.sqrt(5), 1 / Math.sqrt(5)], { atol: 1e-7, rtol: 1e-6 });
    expectClose(outs[0]!.dataSync() as Float32Array, [-3, -3, -1, -1, 1, 1, 3, 3].map((v) => v / Math.sqrt(5)), { atol: 1e-6, rtol: 1e-6 });
    tf.dispose([x, ...outs]);
  });

  it('Relu, Step and ReLU gradient equal tfjs-backend-cpu, NaN and infinities included', () =>
    expectNoLeaks(() => {
      const rng = new Rng('relu');
      const base = Array.from({ length: 70_000 }, () => rng.normal()); // above the threading threshold
      const special = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30];
      const x = tf.tensor1d([...special, ...base]);
      const dy = tf.tensor1d([...special.map((_, i) => (i === 3 ? Infinity : 2)), ...base.map((v) => v * 3)]);
      const run = () =>
        tf.tidy(() => [
          tf.relu(x).dataSync() as Float32Array,
          tf.step(x, 0.25).dataSync() as Float32Array,
          tf.grad((t: tf.Tensor) => tf.relu(t))(x, dy).dataSync() as Float32Array,
        ]);
      const ours = onPath(path, run);
      const ref = withOriginalKernels(run);
      ours.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(ref[i] as Float32Array)));
      tf.dispose([x, dy]);
    }),
  );
});

describe('fused kernels: registration and bad input', () => {
  afterAll(() => registerFastKernels());

  it('are listed while registered; unregistering removes them and restores ReLU’s gradient', () => {
    registerFastKernels();
    for (const name of [GROUP_NORM, GROUP_NORM_GRAD, RELU_GRAD]) {
      expect(fastKernelStatus.kernels).toContain(name);
      expect(tf.getKernel(name, 'cpu')).toBeDefined();
    }
    const ours = tf.getGradient(tf.Relu);
    unregisterFastKernels();
    for (const name of [GROUP_NORM, GROUP_NORM_GRAD, RELU_GRAD]) expect(tf.getKernel(name, 'cpu')).toBeUndefined();
    expect(tf.getGradient(tf.Relu)).not.toBe(ours);
    // tfjs's own ReLU gradient is back and still right
    const g = tf.grad((t: tf.Tensor) => tf.relu(t))(tf.tensor1d([-1, 2]));
    expect(Array.from(g.dataSync())).toEqual([0, 1]);
    registerFastKernels();
    expect(tf.getGradient(tf.Relu)).toBe(ours);
  });

  it('rejects groups that do not divide the channels, a wrong gamma and non-float input with a typed error', () => {
    const x = tf.zeros([1, 2, 3, 4]);
    const run = (inputs: tf.NamedTensorMap, groups: number) => () => tf.engine().runKernel(GROUP_NORM, inputs, { groups, eps: 1e-5 } as unknown as tf.NamedAttrMap);
    const ok = { x, gamma: tf.ones([4]), beta: tf.zeros([4]) };
    expect(run(ok, 3)).toThrow(InvalidArgumentError);
    expect(run(ok, 3)).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: VoxnasGroupNorm: groups is 3, expected a positive divisor of the 4 channels]`);
    expect(run({ ...ok, gamma: tf.ones([3]) }, 2)).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: VoxnasGroupNorm: gamma must be float32 [4], got float32 [3]]`);
    expect(run({ ...ok, x: tf.zeros([1, 2, 3, 4], 'int32') }, 2)).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: VoxnasGroupNorm: x must be float32 [n, …spatial, c] of rank ≥ 3, got int32 [1, 2, 3, 4]]`);
    expect(() => tf.engine().runKernel(RELU_GRAD, { dy: tf.zeros([3]), x: tf.zeros([4]) })).toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: VoxnasReluGrad: dy and x must be float32 of one shape, got [3] and [4]]`);
  });
});
