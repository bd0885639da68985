import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { initBackend, nativeDilatedConv } from '../backend.js';
import { OperatorInputError } from '../errors.js';
import { fixedTensor, gradsOf, torchReference } from '../../test/torch-reference.js';
import { checkGradients } from '../testing/gradient-check.js';
import { conv3d, type Conv3dOptions } from './conv3d.js';

interface Case {
  readonly title: string;
  readonly kernel: [number, number, number];
  readonly options: Conv3dOptions;
}

const cases: Case[] = [
  { title: 'k=3 stride=1 same', kernel: [3, 3, 3], options: { stride: 1, padding: 'same' } },
  { title: 'k=3 stride=2 same', kernel: [3, 3, 3], options: { stride: 2, padding: 'same' } },
  { title: 'k=3 stride=1 valid', kernel: [3, 3, 3], options: { stride: 1, padding: 'valid' } },
  { title: 'k=3 stride=2 padding=1', kernel: [3, 3, 3], options: { stride: 2, padding: 1 } },
  { title: 'k=[1,3,3] stride=[1,2,2] same', kernel: [1, 3, 3], options: { stride: [1, 2, 2], padding: 'same' } },
  { title: 'k=3 dilation=2 same', kernel: [3, 3, 3], options: { dilation: 2, padding: 'same' } },
  { title: 'k=3 dilation=2 stride=2 same', kernel: [3, 3, 3], options: { dilation: 2, stride: 2, padding: 'same' } },
  { title: 'k=3 dilation=[1,2,2] valid', kernel: [3, 3, 3], options: { dilation: [1, 2, 2], padding: 'valid' } },
];

const X_SHAPE = [1, 5, 6, 7, 2];

function torchParams(o: Conv3dOptions) {
  const t = (v: number | readonly number[] | undefined) => (typeof v === 'number' ? [v, v, v] : (v ?? [1, 1, 1]));
  const padding = o.padding === undefined ? 'same' : typeof o.padding === 'string' ? o.padding : t(o.padding);
  return { stride: t(o.stride), dilation: t(o.dilation), padding };
}

describe('conv3d', () => {
  it.each(cases)('gradients match central differences: x=[1,5,6,7,2] $title', async ({ kernel, options }) => {
    await expectNoLeaks(() => {
      const x = fixedTensor(X_SHAPE, 1);
      const w = fixedTensor([...kernel, 2, 3], 2, 0.5);
      const res = checkGradients((a, b) => conv3d(a as tf.Tensor5D, b as tf.Tensor5D, options), [x, w]);
      tf.dispose([x, w]);
      expect(res.ok, res.report).toBe(true);
    });
  });

  it.each(['cpu', 'native'] as const)('matches PyTorch forward and backward (x, w) in every case (%s kernels)', async (backend) => {
    const choice = await initBackend({ backend: backend === 'native' && !process.env.CI ? 'auto' : backend, logger: () => {} });
    if (backend === 'native' && !choice.native) return; // addon not built here (CI always builds it)
    // with the native kernels a stride-1 dilated conv runs on oneDNN's own dilation
    expect(nativeDilatedConv()).toBe(backend === 'native');
    await expectNoLeaks(() => {
      const xs = cases.map((_, i) => fixedTensor(X_SHAPE, 10 + i));
      const ws = cases.map((c, i) => fixedTensor([...c.kernel, 2, 3], 30 + i, 0.5));
      const outs = cases.map((c, i) => tf.tidy(() => conv3d(xs[i] as tf.Tensor5D, ws[i] as tf.Tensor5D, c.options)));
      const gs = outs.map((y, i) => fixedTensor(y.shape, 50 + i));
      const refs = torchReference(
        cases.map((c, i) => ({ op: 'conv3d', tensors: { x: xs[i]!, w: ws[i]!, g: gs[i]! }, params: torchParams(c.options) })),
      );
      cases.forEach((c, i) => {
        const { y, grads } = gradsOf((a, b) => conv3d(a as tf.Tensor5D, b as tf.Tensor5D, c.options), [xs[i]!, ws[i]!], gs[i]!);
        const ref = refs[i]!;
        expect(outs[i]!.shape, c.title).toEqual(ref.y.shape);
        expectClose(y, ref.y.data, { atol: 1e-4, rtol: 1e-4 });
        expectClose(grads[0]!, ref.dx!.data, { atol: 1e-4, rtol: 1e-4 });
        expectClose(grads[1]!, ref.dw!.data, { atol: 1e-4, rtol: 1e-4 });
      });
      tf.dispose([...xs, ...ws, ...outs, ...gs]);
    });
    await initBackend({ backend: 'cpu', logger: () => {} });
  });

  it('rejects a wrong rank, a channel mismatch and an input smaller than the kernel', () => {
    const x = tf.zeros([1, 2, 6, 7, 2]) as tf.Tensor5D;
    const w = tf.zeros([3, 3, 3, 2, 4]) as tf.Tensor5D;
    const w3 = tf.zeros([3, 3, 3, 3, 4]) as tf.Tensor5D;
    const rank4 = tf.zeros([2, 6, 7, 2]) as unknown as tf.Tensor5D;
    expect(() => conv3d(rank4, w)).toThrow(OperatorInputError);
    expect(() => conv3d(rank4, w)).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: conv3d: expected a rank-5 NDHWC tensor [n, z, y, x, c], got shape [2, 6, 7, 2]]`);
    expect(() => conv3d(x, w3)).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: conv3d: filter expects 3 input channels, input has 2 (shape [1, 2, 6, 7, 2])]`);
    expect(() => conv3d(x, w, { padding: 'valid' })).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: conv3d: input too small for the kernel: padded z size 2 < dilated kernel extent 3 (input [1, 2, 6, 7, 2], filter [3, 3, 3, 2, 4])]`);
    expect(() => conv3d(x, w, { stride: 0 })).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: conv3d: stride must be a positive integer or [d, h, w] of them, got 0]`);
    tf.dispose([x, w, w3, rank4]);
  });
});
