import { UNET_PRESETS, UNet } from '@voxnas/unet';
import { Rng } from '@voxnas/core';
import { expect, it } from 'vitest';
import { genotypeCost } from './genotype-cost.js';
import { sampleRandomGenotype } from './random-genotype.js';
import { createSearchSpace } from './search-space.js';

it('the U-Net "matched" preset is sized like children of the default search space', () => {
  const space = createSearchSpace();
  const params = Array.from({ length: 30 }, (_, i) => genotypeCost(sampleRandomGenotype(space, new Rng(i)), { inputShape: [1, 32, 32, 32, 1] }).params).sort(
    (a, b) => a - b,
  );
  const median = params[15]!;
  const unet = new UNet({ ...UNET_PRESETS.matched, rng: new Rng(1) });
  const count = unet.parameterCount();
  const ratio = count / median;
  unet.dispose();
  expect(unet.config.levels).toBe(space.macro.levels);
  expect(ratio).toBeGreaterThan(0.8);
  expect(ratio).toBeLessThan(1.25);
  expect(count).toBeGreaterThan(params[0]!);
  expect(count).toBeLessThan(params[29]!);
});
