import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { NonFiniteLossError } from './errors.js';
import { gradientStep } from './gradient-step.js';
import { Optimizer } from './optimizer.js';

function variable(values: number[]) {
  const t = tf.tensor1d(values);
  const v = tf.variable(t);
  t.dispose();
  return v;
}

describe('gradientStep', () => {
  it.each([
    [100, 1], // no clipping: norm 5 < 100
    [2.5, 0.5], // clipped to norm 2.5 (PyTorch clip_grad_norm_: coef = max / (norm + 1e-6))
  ])('clipGradNorm=%d scales the update by %d (loss = c·w, ‖c‖ = 5)', async (clip, scale) => {
    await expectNoLeaks(async () => {
      const w = variable([1, 2]);
      const unused = variable([7]);
      const opt = new Optimizer({ kind: 'sgd', momentum: 0, nesterov: false }, [
        { name: 'w', variable: w },
        { name: 'unused', variable: unused },
      ]);
      const c = tf.tensor1d([3, 4]);
      const r = await gradientStep({ loss: () => tf.sum(tf.mul(w, c)), optimizer: opt, lr: 0.1, clipGradNorm: clip });
      expect(r.loss).toBe(11);
      expect(r.gradNorm).toBe(5);
      const coef = scale === 1 ? 1 : clip / (5 + 1e-6);
      expectClose(w.dataSync(), [1 - 0.1 * 3 * coef, 2 - 0.1 * 4 * coef], { atol: 1e-7, rtol: 1e-7 });
      expect(Array.from(unused.dataSync())).toEqual([7]); // no gradient → untouched
      expect((await opt.getState()).paramSteps).toEqual({ w: 1, unused: 0 });
      tf.dispose([w, unused, c]);
      opt.dispose();
    });
  });

  it('refuses a non-finite loss and leaves the weights alone', async () => {
    await expectNoLeaks(async () => {
      const w = variable([1, -1]);
      const opt = new Optimizer({ kind: 'adam' }, [{ name: 'w', variable: w }]);
      await expect(gradientStep({ loss: () => tf.sum(tf.log(w)), optimizer: opt, lr: 0.1 })).rejects.toThrowErrorMatchingInlineSnapshot(`[NonFiniteLossError: gradientStep: loss is NaN, gradient norm is 1.4142135381698608; expected finite values (try a lower learning rate or clipGradNorm)]`);
      await expect(gradientStep({ loss: () => tf.sum(tf.log(w)), optimizer: opt, lr: 0.1 })).rejects.toBeInstanceOf(NonFiniteLossError);
      expect(Array.from(w.dataSync())).toEqual([1, -1]);
      expect(opt.step).toBe(0);
      w.dispose();
      opt.dispose();
    });
  });
});
