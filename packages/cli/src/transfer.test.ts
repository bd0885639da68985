import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ChildNetwork, createSearchSpace, genotypeCost, sampleRandomGenotype } from '@voxnas/supernet';
import { withTempDir } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { initBackend } from '@voxnas/ops';
import { beforeAll, describe, expect, it } from 'vitest';
import { transferGenotype } from './commands/train.js';
import { runCli } from '../test/run-cli.js';

describe('transferGenotype', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', logger: () => {} });
  });
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

  it('train --arch unet --match sizes the U-Net against a genotype searched on another task', () =>
    withTempDir(async (tmp) => {
      // searched with 1 channel and 6 classes; the phantom has 2 channels and 4 classes
      const other = sampleRandomGenotype(createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2, inputChannels: 1, classes: 6 }), new Rng(9));
      const file = join(tmp, 'genotype.json');
      writeFileSync(file, JSON.stringify(other));
      const set = ['search.levels=2', 'data.patchSize=[16,16,16]', 'data.batchSize=1', 'data.phantomCases=4', 'data.folds=2', 'train.steps=1', 'train.warmupSteps=0', 'inference.overlap=0'];
      const { code, out, err } = await runCli(['train', '--out', join(tmp, 'unet'), '--arch', 'unet', '--match', file, '--json', ...set.flatMap((v) => ['--set', v])]);
      expect(code, err).toBe(0);
      const { params } = JSON.parse(out) as { params: number };
      const target = genotypeCost(transferGenotype(other, 2, 4, () => {}), { inputShape: [1, 16, 16, 16, 2] }).params;
      expect(Math.abs(params - target) / target).toBeLessThan(0.35);
    }));
});
