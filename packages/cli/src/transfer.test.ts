import * as tf from '@tensorflow/tfjs-core';
import { ChildNetwork, createSearchSpace, sampleRandomGenotype } from '@voxnas/supernet';
import { Rng } from '@voxnas/volume';
import { describe, expect, it } from 'vitest';
import { transferGenotype } from './commands/train.js';

describe('transferGenotype', () => {
  const space = createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2, inputChannels: 2, classes: 4 });
  const searched = sampleRandomGenotype(space, new Rng(5));

  it('keeps every cell choice and adapts stem and head to the new task', () => {
    const lines: string[] = [];
    const g = transferGenotype(searched, 1, 6, (l) => lines.push(l));
    expect(g.choices).toEqual(searched.choices);
    expect(g.macro).toEqual({ ...searched.macro, inputChannels: 1, classes: 6 });
    expect(g.meta?.transferredFrom).toEqual({ inputChannels: 2, classes: 4 });
    expect(lines).toEqual(['voxnas train: transferring the genotype: input channels 2 → 1, classes 4 → 6 (cells unchanged)']);
    const net = new ChildNetwork(g, new Rng(1));
    const y = net.apply(tf.zeros([1, 8, 8, 8, 1]) as tf.Tensor5D);
    expect(y.shape).toEqual([1, 8, 8, 8, 6]);
    y.dispose();
    net.dispose();
  });

  it('returns the same genotype when the task matches', () => {
    expect(transferGenotype(searched, 2, 4, () => {})).toBe(searched);
  });
});
