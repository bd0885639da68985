/**
 * @voxnas/webgpu-kernels on tfjs's WebGPU backend: each fixed kernel against the cpu backend in the
 * same page (forward and gradient), and — with the fixes unregistered — tfjs 4.22's own kernel
 * failing on the same input, so the fixes are shown to be needed and to be what `initBackend` installs.
 */
import { initBackend } from '@voxnas/ops';
import { registerWebGpuKernels, unregisterWebGpuKernels, webGpuKernelStatus } from '@voxnas/webgpu-kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareBackends, normalArray, takePageEvents, tf, type HostTensor } from '../page/index.js';

const host = (shape: number[], seed: number): HostTensor => ({ shape, values: normalArray(shape.reduce((a, b) => a * b, 1), seed) });

interface Case {
  readonly name: string;
  readonly inputs: HostTensor[];
  readonly fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

const x5 = host([2, 3, 4, 5, 3], 1);
const dy = (shape: number[]) => tf.tensor(normalArray(shape.reduce((a, b) => a * b, 1), 99), shape);
const withGrad = (f: (x: tf.Tensor) => tf.Tensor, outShape: number[]) => (x?: tf.Tensor) => {
  const r = dy(outShape);
  return [f(x!), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), r)))(x!)];
};

const CASES: Case[] = [
  {
    name: 'pad rank 5, d/h/w asymmetric, −3.4e38 (max pooling), and its gradient',
    inputs: [x5],
    fn: withGrad((x) => tf.pad(x, [[0, 0], [0, 2], [1, 0], [2, 1], [0, 0]], -3.4e38), [2, 5, 5, 8, 3]),
  },
  { name: 'pad rank 5, every axis (two passes)', inputs: [x5], fn: (x) => tf.pad(x!, [[1, 0], [0, 1], [2, 1], [1, 1], [0, 2]]) },
  { name: 'slice rank 5 and its gradient (a pad)', inputs: [x5], fn: withGrad((x) => tf.slice(x, [0, 1, 1, 1, 0], [2, 2, 3, 4, 3]), [2, 2, 3, 4, 3]) },
  {
    name: 'stridedSlice rank 5, strides [2, 2, 2, 1, 1] (dilated filter gradient)',
    inputs: [host([5, 5, 5, 2, 3], 2)],
    fn: (w) => tf.stridedSlice(w!, [0, 0, 0, 0, 0], [5, 5, 5, 2, 3], [2, 2, 2, 1, 1]),
  },
  {
    name: 'x · gamma + beta, (x − m) / s, prelu with per-channel [3] operands on rank 5, and gradients',
    inputs: [x5, host([3], 3), host([3], 4)],
    fn: (x, g, b) => {
      const f = (t: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.add(tf.prelu(tf.div(tf.sub(tf.mul(t, gg), bb), tf.add(tf.abs(gg), 1)), bb), gg);
      const r = dy([2, 3, 4, 5, 3]);
      return [f(x!, g!, b!), ...tf.grads((t, gg, bb) => tf.sum(tf.mul(f(t!, gg!, bb!), r)))([x!, g!, b!])];
    },
  },
  { name: 'addN of 12 rank-5 tensors', inputs: [x5], fn: (x) => tf.addN(Array.from({ length: 12 }, (_, i) => tf.mul(x!, i + 1))) },
];

beforeAll(async () => {
  const choice = await initBackend({ backend: 'webgpu', logger: () => {} });
  expect(choice.backend).toBe('webgpu');
  expect(webGpuKernelStatus.loaded).toBe(true);
});

afterAll(() => {
  registerWebGpuKernels();
});

describe('with @voxnas/webgpu-kernels: webgpu equals cpu', () => {
  it.each(CASES)('$name', async ({ inputs, fn }) => {
    const r = await compareBackends(inputs, fn, { backend: 'webgpu', reference: 'cpu' });
    expect(r.worst).toBeLessThanOrEqual(1e-6);
  });
});

/**
 * The same operations on other shapes (tfjs caches pipelines per shape and input count, so each
 * unfixed kernel compiles here for the first time), with tfjs's own kernels.
 */
const UNFIXED: Case[] = [
  { name: 'pad rank 5', inputs: [host([1, 3, 4, 2, 2], 5)], fn: (x) => tf.pad(x!, [[0, 0], [1, 1], [0, 1], [1, 0], [0, 0]]) },
  { name: 'slice gradient rank 5', inputs: [host([1, 4, 3, 5, 2], 6)], fn: withGrad((x) => tf.slice(x, [0, 1, 0, 1, 0], [1, 2, 3, 3, 2]), [1, 2, 3, 3, 2]) },
  { name: 'x · gamma on rank 5', inputs: [host([1, 3, 2, 4, 5], 7), host([5], 8)], fn: (x, g) => tf.mul(x!, g!) },
  { name: 'where on rank 5', inputs: [host([1, 2, 3, 4, 2], 9)], fn: (x) => tf.where(tf.greater(x!, 0), x!, tf.neg(x!)) },
  { name: 'addN of 9 rank-5 tensors', inputs: [host([1, 2, 2, 3, 4], 10)], fn: (x) => tf.addN(Array.from({ length: 9 }, (_, i) => tf.mul(x!, i + 1))) },
];

describe("without them: tfjs 4.22's kernels fail", () => {
  it.each(UNFIXED)('$name', async ({ inputs, fn }) => {
    unregisterWebGpuKernels();
    try {
      const r = await compareBackends(inputs, fn, { backend: 'webgpu', reference: 'cpu' });
      // WebGPU validation messages come from the GPU process and can lag: poll for up to 2 s.
      const consoleErrors: string[] = [];
      for (let i = 0; i < 20 && !consoleErrors.some((m) => m.startsWith('webgpu: ')); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        consoleErrors.push(...(await takePageEvents()).consoleErrors);
      }
      expect(consoleErrors.some((m) => m.startsWith('webgpu: '))).toBe(true);
      expect(r.worst).toBeGreaterThan(1e-3);
    } catch (error) {
      // tfjs refuses some ranks outright instead of compiling a broken shader.
      if (!/not yet supported/.test(String(error))) throw error;
    } finally {
      registerWebGpuKernels();
    }
  });
});
