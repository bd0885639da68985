import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { fixedTensor, gradsOf, torchReference } from '../../test/torch-reference.js';
import { checkGradients } from '../testing/gradient-check.js';
import { depthwiseConv3d, type DepthwiseConv3dOptions } from './depthwise-conv3d.js';

const cases: Array<{ title: string; multiplier: number; options: DepthwiseConv3dOptions }> = [
  { title: 'split stride=1', multiplier: 1, options: { strategy: 'split' } },
  { title: 'split stride=2', multiplier: 1, options: { strategy: 'split', stride: 2 } },
  { title: 'split dilation=2 multiplier=2', multiplier: 2, options: { strategy: 'split', dilation: 2 } },
  { title: 'dense stride=1', multiplier: 1, options: { strategy: 'dense' } },
  { title: 'dense stride=2 multiplier=2', multiplier: 2, options: { strategy: 'dense', stride: 2 } },
];
const X = [1, 5, 6, 7, 3];

describe('depthwiseConv3d', () => {
  it.each(cases)('gradients match central differences: x=[1,5,6,7,3] $title', async ({ multiplier, options }) => {
    await expectNoLeaks(() => {
      const x = fixedTensor(X, 1);
      const w = fixedTensor([3, 3, 3, 3, multiplier], 2, 0.5);
      const res = checkGradients((a, b) => depthwiseConv3d(a as tf.Tensor5D, b as tf.Tensor5D, options), [x, w]);
      tf.dispose([x, w]);
      expect(res.ok, res.report).toBe(true);
    });
  });

  it('matches PyTorch conv3d(groups=C) forward and backward; split and dense agree', async () => {
    await expectNoLeaks(() => {
      const xs = cases.map((_, i) => fixedTensor(X, 10 + i));
      const ws = cases.map((c, i) => fixedTensor([3, 3, 3, 3, c.multiplier], 20 + i, 0.5));
      const f = (i: number) => (a: tf.Tensor, b: tf.Tensor) => depthwiseConv3d(a as tf.Tensor5D, b as tf.Tensor5D, cases[i]!.options);
      const shapes = cases.map((_, i) => tf.tidy(() => f(i)(xs[i]!, ws[i]!).shape));
      const gs = shapes.map((s, i) => fixedTensor(s, 40 + i));
      const t = (v: number | readonly number[] | undefined) => (typeof v === 'number' ? [v, v, v] : (v ?? [1, 1, 1]));
      const refs = torchReference(
        cases.map((c, i) => ({
          op: 'depthwise',
          tensors: { x: xs[i]!, w: ws[i]!, g: gs[i]! },
          params: { stride: t(c.options.stride), dilation: t(c.options.dilation), padding: 'same' },
        })),
      );
      cases.forEach((_, i) => {
        const { y, grads } = gradsOf(f(i), [xs[i]!, ws[i]!], gs[i]!);
        expectClose(y, refs[i]!.y.data, { atol: 1e-4, rtol: 1e-4 });
        expectClose(grads[0]!, refs[i]!.dx!.data, { atol: 1e-4, rtol: 1e-4 });
        expectClose(grads[1]!, refs[i]!.dw!.data, { atol: 1e-4, rtol: 1e-4 });
      });
      tf.dispose([...xs, ...ws, ...gs]);
    });
  });

  it('rejects a filter whose channels do not match the input', () => {
    const x = tf.zeros([1, 5, 6, 7, 3]) as tf.Tensor5D;
    const w = tf.zeros([3, 3, 3, 2, 1]) as tf.Tensor5D;
    expect(() => depthwiseConv3d(x, w)).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: depthwiseConv3d: filter must be [kd, kh, kw, 3, multiplier] for input [1, 5, 6, 7, 3], got [3, 3, 3, 2, 1]]`);
    tf.dispose([x, w]);
  });
});
