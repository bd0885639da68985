import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Trainer, type TrainableNetwork } from './index.js';
import type { BatchSource } from '../index.js';

/** y = a·x + b where only `a` is listed by trainableVariables(), though both are marked trainable. */
function twoParamNet(): TrainableNetwork & { a: tf.Variable; b: tf.Variable } {
  const a = tf.variable(tf.scalar(0.5), true);
  const b = tf.variable(tf.scalar(0.25), true);
  return {
    a,
    b,
    apply: (x: tf.Tensor5D) => tf.add(tf.mul(x, a), b) as tf.Tensor5D,
    namedVariables: () => [
      { path: 'a', variable: a, trainable: true },
      { path: 'b', variable: b, trainable: true },
    ],
    trainableVariables: () => [a],
    train: () => undefined,
    saveWeights: async () => undefined,
    loadWeights: async () => undefined,
  } as unknown as TrainableNetwork & { a: tf.Variable; b: tf.Variable };
}

const source: BatchSource = {
  next: () => ({ image: tf.ones([1, 1, 1, 2, 1]) as tf.Tensor5D, label: tf.fill([1, 1, 1, 2, 1], 2) }),
  getState: () => null,
  setState: () => undefined,
};

describe('Trainer variable selection', () => {
  it('updates only trainableVariables() when the network lists them', async () => {
    const net = twoParamNet();
    const trainer = new Trainer({
      network: net,
      optimizer: { kind: 'sgd', momentum: 0, nesterov: false },
      schedule: { kind: 'constant', lr: 0.1 },
      loss: (out, batch) => tf.mean(tf.square(tf.sub(out, batch.label))) as tf.Scalar,
      data: source,
    });
    expect(trainer.optimizer.variables()).toEqual([net.a]);
    await trainer.step();
    // d/da mean((a + b - 2)^2) = 2(a + b - 2) = -2.5 → a = 0.5 + 0.25
    expect(net.a.dataSync()[0]).toBeCloseTo(0.75, 6);
    expect(net.b.dataSync()[0]).toBe(0.25);
    trainer.dispose();
    net.a.dispose();
    net.b.dispose();
  });
});
