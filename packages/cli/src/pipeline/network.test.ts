import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { Rng } from '@voxnas/core';
import { createSearchSpace, heaviestChild, type ChildNetwork } from '@voxnas/supernet';
import type { UNet } from '@voxnas/unet';
import { expectNoLeaks } from '@voxnas/testing';
import { buildNetwork, type NetworkSpec } from './network.js';

describe('buildNetwork: train.recompute', () => {
  const unet: NetworkSpec = { kind: 'unet', options: { levels: 2, baseChannels: 3, convsPerLevel: 1, norm: 'instance', upsampling: 'transposed', inputChannels: 1, classes: 2 } };
  const space = createSearchSpace({ levels: 2, baseChannels: 3, nodes: 2 });
  const child: NetworkSpec = { kind: 'child', genotype: heaviestChild(space, [1, 8, 8, 8, 1]), origin: 'random' };

  it.each([
    { spec: unet, mode: 'edge', on: 'level' },
    { spec: child, mode: 'cell', on: 'cell' },
    { spec: child, mode: 'edge', on: 'edge' },
  ] as const)('$spec.kind, train.recompute $mode: per $on; off by default; the same forward either way', async ({ spec, mode, on }) => {
    await expectNoLeaks(() => {
      const plain = buildNetwork(spec, new Rng(1)) as UNet | ChildNetwork;
      const recomputed = buildNetwork(spec, new Rng(1), { recompute: mode }) as UNet | ChildNetwork;
      expect(plain.recompute).toBe('none');
      expect(recomputed.recompute).toBe(on);
      const x = tf.randomNormal([1, 8, 8, 8, 1], 0, 1, 'float32', 3) as tf.Tensor5D;
      const [a, b] = [plain.apply(x), recomputed.apply(x)];
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([x, a, b]);
      plain.dispose();
      recomputed.dispose();
    });
  });
});
