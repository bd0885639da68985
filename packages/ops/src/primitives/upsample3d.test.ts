import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { fixedTensor, gradsOf, torchReference } from '../../test/torch-reference.js';
import { checkGradients } from '../testing/gradient-check.js';
import { upsample3d, type Upsample3dOptions } from './upsample3d.js';

const cases: Array<{ title: string; options: Upsample3dOptions }> = [
  { title: 'trilinear scale=2', options: { mode: 'trilinear', scale: 2 } },
  { title: 'trilinear scale=[1,2,3]', options: { mode: 'trilinear', scale: [1, 2, 3] } },
  { title: 'nearest scale=2', options: { mode: 'nearest', scale: 2 } },
  { title: 'nearest scale=[3,1,2]', options: { mode: 'nearest', scale: [3, 1, 2] } },
];
const X = [1, 3, 4, 5, 2];

describe('upsample3d', () => {
  it.each(cases)('gradients match central differences: x=[1,3,4,5,2] $title', async ({ options }) => {
    await expectNoLeaks(() => {
      const x = fixedTensor(X, 1);
      const res = checkGradients((a) => upsample3d(a as tf.Tensor5D, options), [x]);
      x.dispose();
      expect(res.ok, res.report).toBe(true);
    });
  });

  it('matches PyTorch F.interpolate(align_corners=False) forward and backward', async () => {
    await expectNoLeaks(() => {
      const xs = cases.map((_, i) => fixedTensor(X, 10 + i));
      const f = (i: number) => (a: tf.Tensor) => upsample3d(a as tf.Tensor5D, cases[i]!.options);
      const shapes = cases.map((_, i) => tf.tidy(() => f(i)(xs[i]!).shape));
      const gs = shapes.map((s, i) => fixedTensor(s, 40 + i));
      const t = (v: number | readonly number[] | undefined) => (typeof v === 'number' ? [v, v, v] : (v ?? [2, 2, 2]));
      const refs = torchReference(
        cases.map((c, i) => ({ op: 'upsample', tensors: { x: xs[i]!, g: gs[i]! }, params: { mode: c.options.mode, scale: t(c.options.scale) } })),
      );
      cases.forEach((_, i) => {
        const { y, grads } = gradsOf(f(i), [xs[i]!], gs[i]!);
        expect(shapes[i]).toEqual(refs[i]!.y.shape);
        expectClose(y, refs[i]!.y.data, { atol: 1e-5, rtol: 1e-5 });
        expectClose(grads[0]!, refs[i]!.dx!.data, { atol: 1e-5, rtol: 1e-5 });
      });
      tf.dispose([...xs, ...gs]);
    });
  });

  it('rejects a non-integer scale', () => {
    const x = tf.zeros([1, 3, 4, 5, 2]) as tf.Tensor5D;
    expect(() => upsample3d(x, { scale: 1.5 })).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: upsample3d: scale must be a positive integer or [d, h, w] of them, got 1.5]`);
    x.dispose();
  });
});
