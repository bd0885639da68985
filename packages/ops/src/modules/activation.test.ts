import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { fixedTensor } from '../../test/torch-reference.js';
import { checkGradients } from '../testing/gradient-check.js';
import { LeakyReLU, PReLU, ReLU } from './activation.js';

describe('activations', () => {
  it.each([
    ['ReLU', () => new ReLU()],
    ['LeakyReLU alpha=0.1', () => new LeakyReLU({ alpha: 0.1 })],
    ['PReLU channels=3', () => new PReLU({ channels: 3 })],
  ] as const)('gradients (input and parameters) match central differences: x=[1,3,4,5,3] %s', async (_name, make) => {
    await expectNoLeaks(() => {
      const m = make();
      const x = fixedTensor([1, 3, 4, 5, 3], 1);
      const res = checkGradients((a) => m.forward(a as tf.Tensor5D), [x], { variables: m.trainableVariables() });
      x.dispose();
      m.dispose();
      expect(res.ok, res.report).toBe(true);
    });
  });

  it('PReLU applies its per-channel slope to negative inputs only', async () => {
    await expectNoLeaks(() => {
      const m = new PReLU({ channels: 2, init: 0.5 });
      const x = tf.tensor5d([-2, 4, 3, -1], [1, 1, 1, 2, 2]);
      const y = m.apply(x);
      expect(Array.from(y.dataSync())).toEqual([-1, 4, 3, -0.5]);
      tf.dispose([x, y]);
      m.dispose();
    });
  });
});
