import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { fixedTensor, gradsOf, torchReference } from '../../test/torch-reference.js';
import { checkGradients } from '../testing/gradient-check.js';
import { pool3d, type Pool3dOptions } from './pool3d.js';

const cases: Pool3dOptions[] = [
  { kind: 'max', kernel: 3, stride: 1 },
  { kind: 'max', kernel: 3, stride: 2 },
  { kind: 'avg', kernel: 3, stride: 1 },
  { kind: 'avg', kernel: 3, stride: 2 },
];
const X = [1, 5, 6, 7, 2];

describe('pool3d', () => {
  it.each(cases)('gradients match central differences: x=[1,5,6,7,2] $kind stride=$stride same', async (options) => {
    await expectNoLeaks(() => {
      const x = fixedTensor(X, 1);
      const res = checkGradients((a) => pool3d(a as tf.Tensor5D, options), [x]);
      x.dispose();
      expect(res.ok, res.report).toBe(true);
    });
  });

  it("'same' pooling matches PyTorch (−∞ padding for max, padding excluded for avg) forward and backward", async () => {
    await expectNoLeaks(() => {
      const xs = cases.map((_, i) => fixedTensor(X, 10 + i));
      const shapes = cases.map((c, i) => tf.tidy(() => pool3d(xs[i] as tf.Tensor5D, c).shape));
      const gs = shapes.map((s, i) => fixedTensor(s, 40 + i));
      const refs = torchReference(
        cases.map((c, i) => ({
          op: 'pool',
          tensors: { x: xs[i]!, g: gs[i]! },
          params: { kind: c.kind, kernel: [3, 3, 3], stride: [c.stride, c.stride, c.stride] },
        })),
      );
      cases.forEach((c, i) => {
        const { y, grads } = gradsOf((a) => pool3d(a as tf.Tensor5D, c), [xs[i]!], gs[i]!);
        expect(shapes[i]).toEqual(refs[i]!.y.shape);
        expectClose(y, refs[i]!.y.data, { atol: 1e-5, rtol: 1e-5 });
        expectClose(grads[0]!, refs[i]!.dx!.data, { atol: 1e-5, rtol: 1e-5 });
      });
      tf.dispose([...xs, ...gs]);
    });
  });

  it("rejects an input smaller than the window with 'valid' padding", () => {
    const x = tf.zeros([1, 2, 6, 7, 2]) as tf.Tensor5D;
    expect(() => pool3d(x, { kind: 'max', padding: 'valid' })).toThrowErrorMatchingInlineSnapshot(`[OperatorInputError: pool3d: input too small for the kernel: z size 2 < 3 (input [1, 2, 6, 7, 2])]`);
    x.dispose();
  });
});
