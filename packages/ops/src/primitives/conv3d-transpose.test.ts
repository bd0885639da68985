import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { fixedTensor, gradsOf, torchReference } from '../../test/torch-reference.js';
import { checkGradients } from '../testing/gradient-check.js';
import { conv3dTranspose, type Conv3dTransposeOptions } from './conv3d-transpose.js';

const cases: Array<{ title: string; kernel: [number, number, number]; options: Conv3dTransposeOptions }> = [
  { title: 'k=3 stride=2 same', kernel: [3, 3, 3], options: { stride: 2, padding: 'same' } },
  { title: 'k=2 stride=2 same', kernel: [2, 2, 2], options: { stride: 2, padding: 'same' } },
  { title: 'k=3 stride=1 same', kernel: [3, 3, 3], options: { stride: 1, padding: 'same' } },
  { title: 'k=3 stride=2 valid', kernel: [3, 3, 3], options: { stride: 2, padding: 'valid' } },
  { title: 'k=[1,3,3] stride=[1,2,2] same', kernel: [1, 3, 3], options: { stride: [1, 2, 2], padding: 'same' } },
];
const X = [1, 3, 4, 5, 3];

describe('conv3dTranspose', () => {
  it.each(cases)('gradients match central differences: x=[1,3,4,5,3] $title', async ({ kernel, options }) => {
    await expectNoLeaks(() => {
      const x = fixedTensor(X, 1);
      const w = fixedTensor([...kernel, 2, 3], 2, 0.5);
      const res = checkGradients((a, b) => conv3dTranspose(a as tf.Tensor5D, b as tf.Tensor5D, options), [x, w]);
      tf.dispose([x, w]);
      expect(res.ok, res.report).toBe(true);
    });
  });

  it('matches PyTorch conv_transpose3d forward and backward', async () => {
    await expectNoLeaks(() => {
      const xs = cases.map((_, i) => fixedTensor(X, 10 + i));
      const ws = cases.map((c, i) => fixedTensor([...c.kernel, 2, 3], 20 + i, 0.5));
      const f = (i: number) => (a: tf.Tensor, b: tf.Tensor) => conv3dTranspose(a as tf.Tensor5D, b as tf.Tensor5D, cases[i]!.options);
      const shapes = cases.map((_, i) => tf.tidy(() => f(i)(xs[i]!, ws[i]!).shape));
      expect(shapes[0]).toEqual([1, 6, 8, 10, 2]);
      const gs = shapes.map((s, i) => fixedTensor(s, 40 + i));
      const t = (v: number | readonly number[] | undefined) => (typeof v === 'number' ? [v, v, v] : (v ?? [1, 1, 1]));
      const refs = torchReference(
        cases.map((c, i) => ({
          op: 'conv_transpose3d',
          tensors: { x: xs[i]!, w: ws[i]!, g: gs[i]! },
          params: { stride: t(c.options.stride), padding: c.options.padding },
        })),
      );
      cases.forEach((_, i) => {
        const { y, grads } = gradsOf(f(i), [xs[i]!, ws[i]!], gs[i]!);
        expect(shapes[i]).toEqual(refs[i]!.y.shape);
        expectClose(y, refs[i]!.y.data, { atol: 1e-4, rtol: 1e-4 });
        expectClose(grads[0]!, refs[i]!.dx!.data, { atol: 1e-4, rtol: 1e-4 });
        expectClose(grads[1]!, refs[i]!.dw!.data, { atol: 1e-4, rtol: 1e-4 });
      });
      tf.dispose([...xs, ...ws, ...gs]);
    });
  });

  it('rejects a filter whose input channels do not match', () => {
    const x = tf.zeros([1, 3, 4, 5, 3]) as tf.Tensor5D;
    const w = tf.zeros([3, 3, 3, 3, 2]) as tf.Tensor5D;
    expect(() => conv3dTranspose(x, w)).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: conv3dTranspose: filter must be [kd, kh, kw, cOut, 3] for input [1, 3, 4, 5, 3], got [3, 3, 3, 3, 2]]`);
    tf.dispose([x, w]);
  });
});
