import * as tf from '@tensorflow/tfjs-core';
import type { Network } from '@voxnas/ops';
import { expectNoLeaks } from '@voxnas/testing';
import { Rng } from '@voxnas/volume';
import { describe, expect, it } from 'vitest';
import { buildChild } from './child.js';
import { crossEntropy, diceOf, sphereVolume } from './internal/test-fixtures.js';
import { sampleRandomGenotype } from './random-genotype.js';
import { createSearchSpace } from './search-space.js';

/** Trains `net` with Adam until Dice > target or `maxSteps`; returns the steps used and the Dice. */
function overfit(net: Network, shape: [number, number, number], maxSteps: number, lr: number) {
  const { image, labels, mask } = sphereVolume(shape, shape[0] / 3.2);
  const opt = tf.train.adam(lr);
  const counts: number[] = [];
  let dice = 0;
  let step = 0;
  for (; step < maxSteps; step++) {
    opt.minimize(() => crossEntropy(net.apply(image), labels), false, net.trainableVariables());
    counts.push(tf.memory().numTensors);
    if (step % 5 === 4) {
      const logits = net.apply(image);
      dice = diceOf(logits, mask);
      logits.dispose();
      if (dice > 0.95) break;
    }
  }
  opt.dispose();
  tf.dispose([image, labels]);
  return { steps: step + 1, dice, counts };
}

describe('buildChild', () => {
  it('a random child overfits a sphere to Dice > 0.95 with a stable tensor count', async () => {
    await expectNoLeaks(() => {
      const space = createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2 });
      const child = buildChild(space, sampleRandomGenotype(space, new Rng(7)), { rng: new Rng(1) });
      const t0 = Date.now();
      const { steps, dice, counts } = overfit(child, [12, 12, 12], 80, 0.01);
      console.log(`child overfit: ${steps} steps, Dice ${dice.toFixed(3)}, ${Date.now() - t0} ms`);
      expect(dice).toBeGreaterThan(0.95);
      expect(new Set(counts.slice(1)).size).toBe(1);
      child.dispose();
    });
  });
});
