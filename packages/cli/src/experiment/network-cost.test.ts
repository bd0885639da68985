import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@voxnas/ops';
import { Rng } from '@voxnas/core';
import { UNet } from '@voxnas/unet';
import { expectNoLeaks } from '@voxnas/testing';
import { countParameters } from '../pipeline/network.js';
import { unetCost } from './network-cost.js';

describe('unetCost', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', logger: () => {} });
  });

  it.each([
    ['3 levels, 4 channels, instance norm, transposed', { levels: 3, baseChannels: 4, convsPerLevel: 2, norm: 'instance', upsampling: 'transposed', inputChannels: 2, classes: 4 }],
    ['2 levels, 3 channels, no norm, trilinear', { levels: 2, baseChannels: 3, convsPerLevel: 1, norm: 'none', upsampling: 'trilinear', inputChannels: 1, classes: 2 }],
    ['4 levels, 2 channels, 3 convs', { levels: 4, baseChannels: 2, convsPerLevel: 3, norm: 'instance', upsampling: 'transposed', inputChannels: 1, classes: 3 }],
  ] as const)('%s: parameters equal the built network', async (_name, options) => {
    await expectNoLeaks(() => {
      const net = new UNet({ ...options, rng: new Rng(1) });
      expect(unetCost(options, [1, 16, 16, 16, options.inputChannels]).params).toBe(countParameters(net));
      net.dispose();
    });
  });

  it('FLOPs of a 2-level U-Net on a 2×2×2 input, counted by hand', () => {
    // enc0 conv 2·8·27·1·2 = 864, ReLU 16; pool 8·1·2 = 16; enc1 conv 2·1·27·2·4 = 432, ReLU 4;
    // up 2·8·4·2 = 128; dec0 conv 2·8·27·4·2 = 3456, ReLU 16; head 2·8·2·2 = 64 → 4996.
    // Parameters: 56 + 220 + 64 + 218 + 6 = 564.
    const c = unetCost({ levels: 2, baseChannels: 2, convsPerLevel: 1, norm: 'none', upsampling: 'transposed', inputChannels: 1, classes: 2 }, [1, 2, 2, 2, 1]);
    expect(c).toEqual({ params: 564, flops: 4996 });
  });
});
