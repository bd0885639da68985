// The README example, verbatim apart from imports, the temp dir and assertions, so it cannot rot.
import { saveWeights } from '@voxnas/ops/node';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks, withTempDir } from '@voxnas/testing';
import { Rng } from '@voxnas/core';
import { expect, it } from 'vitest';
import { UNet, UNET_PRESETS } from './index.js';

it('README example', async () => {
  await expectNoLeaks(async () => {
    await withTempDir(async (dir) => {
      const net = new UNet({ rng: new Rng(1), levels: 3, baseChannels: 4, upsampling: 'trilinear', deepSupervision: true });
      const x = tf.randomNormal([1, 8, 12, 16, 1]) as tf.Tensor5D; // NDHWC; sizes multiples of 2^(levels−1)
      const logits = net.apply(x); // [1, 8, 12, 16, 2]
      const [full, half] = net.applyDeepSupervision(x); // [1, 8, 12, 16, 2], [1, 4, 6, 8, 2]
      const opt = tf.train.adam(1e-3);
      opt.minimize(() => tf.mean(tf.square(net.apply(x))) as tf.Scalar, false, net.trainableVariables());
      await saveWeights(net, dir); // model.json + weights.bin

      const baseline = new UNet({ ...UNET_PRESETS.matched, rng: new Rng(2) }); // 5.6 M parameters

      expect(logits.shape).toEqual([1, 8, 12, 16, 2]);
      expect(full!.shape).toEqual([1, 8, 12, 16, 2]);
      expect(half!.shape).toEqual([1, 4, 6, 8, 2]);
      expect(baseline.parameterCount()).toBe(5_600_930);
      tf.dispose([x, logits, full!, half!]);
      opt.dispose();
      net.dispose();
      baseline.dispose();
    });
  });
});
