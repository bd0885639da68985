import * as tf from '@tensorflow/tfjs-core';
import { createLosses } from '@voxnas/metrics';
import { Supernet, createSearchSpace, validateGenotype } from '@voxnas/supernet';
import type { JsonValue } from '@voxnas/core';
import type { BatchSource } from '@voxnas/train';
import { Rng } from '@voxnas/core';
import { expect, it } from 'vitest';
import { SearchTrainer } from './index.js';

/** Batches by index: a bright cube on noise, labels 1 inside. */
function cubes(seed: number): BatchSource {
  let position = 0;
  return {
    next() {
      const rng = new Rng(seed).fork(`b${position++}`);
      const img = new Float32Array(512);
      const lab = new Int32Array(512);
      const o = rng.int(1, 4);
      for (let i = 0; i < 512; i++) {
        const [x, y, z] = [i % 8, (i >> 3) % 8, i >> 6];
        const inside = x >= o && x < o + 3 && y >= o && y < o + 3 && z >= o && z < o + 3;
        lab[i] = inside ? 1 : 0;
        img[i] = (inside ? 1 : 0) + 0.2 * rng.normal();
      }
      return { image: tf.tensor5d(img, [1, 8, 8, 8, 1]), label: tf.tensor4d(lab, [1, 8, 8, 8], 'int32') };
    },
    getState: () => position,
    setState: (s: JsonValue) => {
      position = s as number;
    },
  };
}

it('README example runs: a short search yields a valid genotype and a snapshot history', async () => {
  const weightData = cubes(1);
  const archData = cubes(2);
  const losses = createLosses(tf);
  const space = createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2, classes: 2 });
  const supernet = new Supernet(space, { rng: new Rng(0), sampler: { kind: 'gumbel', k: 1 } });
  const search = new SearchTrainer({
    supernet,
    weightData,
    archData,
    loss: (out, batch) => losses.diceCe(out, batch.label),
    weightOptimizer: { kind: 'adamw' },
    weightSchedule: { kind: 'cosine', lr: 3e-3, totalSteps: 8 },
    archLr: 0.05,
    temperature: { kind: 'exponential', from: 5, to: 0.5, steps: 8 },
    warmupSteps: 2,
  });
  const { bestGenotype, history } = await search.fit({ steps: 8, deriveEvery: 4 });
  expect(validateGenotype(bestGenotype, { space })).toEqual(bestGenotype);
  expect(history.map((h) => h.step)).toEqual([3, 7]);
  expect(history[1]!.tau).toBeCloseTo(5 * 0.1 ** (7 / 8), 10);
  search.dispose();
  supernet.dispose();
});
