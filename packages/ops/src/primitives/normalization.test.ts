import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedTensor, gradsOf, torchReference } from '../../test/torch-reference.js';
import { checkGradients } from '../testing/gradient-check.js';
import { batchNorm3d, groupNorm3d, instanceNorm3d } from './normalization.js';

const X = [2, 3, 4, 5, 4];

// Both paths: the composite tfjs formula, and @voxnas/kernels' fused VoxnasGroupNorm kernel (with
// its gradient), which instanceNorm3d/groupNorm3d use when the backend has it.
describe.each(['composite', 'fused'] as const)('normalization (%s)', (path) => {
  let kernels: { registerFastKernels(): unknown; unregisterFastKernels(): void } | undefined;
  beforeAll(async () => {
    if (path === 'fused') {
      kernels = await import('@voxnas/kernels');
      kernels.registerFastKernels();
    }
  });
  afterAll(() => kernels?.unregisterFastKernels());

  it('runs the expected kernels', async () => {
    const x = fixedTensor(X, 1, 2) as tf.Tensor5D;
    const { kernelNames } = await tf.profile(() => [instanceNorm3d(x), groupNorm3d(x, { groups: 2 })]);
    expect(kernelNames.includes('VoxnasGroupNorm')).toBe(path === 'fused');
    x.dispose();
  });

  it.each([
    ['instanceNorm3d', (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => instanceNorm3d(x as tf.Tensor5D, { gamma: g as tf.Tensor1D, beta: b as tf.Tensor1D })],
    ['groupNorm3d groups=2', (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => groupNorm3d(x as tf.Tensor5D, { groups: 2, gamma: g as tf.Tensor1D, beta: b as tf.Tensor1D })],
    ['batchNorm3d batch statistics', (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNorm3d(x as tf.Tensor5D, { gamma: g as tf.Tensor1D, beta: b as tf.Tensor1D })],
  ] as const)('gradients match central differences: x=[2,3,4,5,4] %s', async (_name, f) => {
    await expectNoLeaks(() => {
      const x = fixedTensor(X, 1, 2);
      const g = fixedTensor([4], 2);
      const b = fixedTensor([4], 3);
      const res = checkGradients(f, [x, g, b]);
      tf.dispose([x, g, b]);
      expect(res.ok, res.report).toBe(true);
    });
  });

  it('instanceNorm3d and groupNorm3d match PyTorch forward and backward (with and without affine)', async () => {
    await expectNoLeaks(() => {
      const x = fixedTensor(X, 5, 3);
      const gamma = fixedTensor([4], 6);
      const beta = fixedTensor([4], 7);
      const g = fixedTensor(X, 8);
      const [plain, affine, group] = torchReference([
        { op: 'instance_norm', tensors: { x, g } },
        { op: 'instance_norm', tensors: { x, gamma, beta, g } },
        { op: 'group_norm', tensors: { x, gamma, beta, g }, params: { groups: 2 } },
      ]);
      const a = gradsOf((t) => instanceNorm3d(t as tf.Tensor5D), [x], g);
      expectClose(a.y, plain!.y.data, { atol: 1e-4, rtol: 1e-4 });
      expectClose(a.grads[0]!, plain!.dx!.data, { atol: 1e-4, rtol: 1e-4 });
      const b = gradsOf((t, gm, bt) => instanceNorm3d(t as tf.Tensor5D, { gamma: gm as tf.Tensor1D, beta: bt as tf.Tensor1D }), [x, gamma, beta], g);
      expectClose(b.y, affine!.y.data, { atol: 1e-4, rtol: 1e-4 });
      b.grads.forEach((gr, i) => expectClose(gr, affine![['dx', 'dgamma', 'dbeta'][i]!]!.data, { atol: 1e-4, rtol: 1e-4 }));
      const c = gradsOf((t, gm, bt) => groupNorm3d(t as tf.Tensor5D, { groups: 2, gamma: gm as tf.Tensor1D, beta: bt as tf.Tensor1D }), [x, gamma, beta], g);
      expectClose(c.y, group!.y.data, { atol: 1e-4, rtol: 1e-4 });
      c.grads.forEach((gr, i) => expectClose(gr, group![['dx', 'dgamma', 'dbeta'][i]!]!.data, { atol: 1e-4, rtol: 1e-4 }));
      tf.dispose([x, gamma, beta, g]);
    });
  });

});

describe('normalization', () => {
  it('rejects groups that do not divide the channels and a gamma of the wrong shape', () => {
    const x = tf.zeros([1, 3, 4, 5, 4]) as tf.Tensor5D;
    const gamma = tf.ones([3]) as tf.Tensor1D;
    expect(() => groupNorm3d(x, { groups: 3 })).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: groupNorm3d: groups must divide the 4 channels, got groups=3]`);
    expect(() => instanceNorm3d(x, { gamma })).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: instanceNorm3d: gamma must have shape [4], got [3]]`);
    tf.dispose([x, gamma]);
  });
});
