import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng, ShapeMismatchError } from '@voxnas/core';
import { initBackend, type Shape5 } from '@voxnas/ops';
import { expectNoLeaks } from '@voxnas/testing';
import { estimateUNetStepMemory } from './memory-estimate.js';
import { UNet, type UNetOptions } from './unet.js';

type Config = Omit<UNetOptions, 'rng'>;

async function measuredPeak(config: Config, shape: Shape5, recompute: 'none' | 'level' = 'none'): Promise<number> {
  return expectNoLeaks(async () => {
    const net = new UNet({ ...config, rng: new Rng(7), recompute });
    const x = tf.randomNormal([...shape], 0, 1, 'float32', 1) as tf.Tensor5D;
    const y = tf.tidy(() => tf.oneHot(tf.randomUniform(shape.slice(0, 4), 0, 2, 'int32', 2), 2));
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(net.apply(x))), -1))) as tf.Scalar, net.trainableVariables());
      tf.dispose([value, ...Object.values(grads)]);
    });
    const peak = info.peakBytes;
    tf.dispose([x, y]);
    net.dispose();
    return peak;
  });
}

const quiet = { logger: () => {} };
const probe = await initBackend(quiet);
await initBackend({ ...quiet, backend: 'cpu' });
const skipNative = !probe.native && !process.env.CI;

describe('estimateUNetStepMemory', () => {
  it.each<Config>([
    { levels: 2, baseChannels: 4 },
    { levels: 3, baseChannels: 8, norm: 'batch', upsampling: 'trilinear' },
    { levels: 4, baseChannels: 6, norm: 'group', groups: 3, convsPerLevel: 3, deepSupervision: true, inputChannels: 2, classes: 3 },
    { levels: 3, baseChannels: 5, norm: 'none' },
  ])('params equal the built network’s parameterCount: %j', (config) => {
    const net = new UNet({ ...config, rng: new Rng(1) });
    const m = 2 ** ((config.levels ?? 4) - 1);
    const e = estimateUNetStepMemory(config, { inputShape: [1, m, m, m, config.inputChannels ?? 1] });
    expect(e.params).toBe(net.parameterCount());
    net.dispose();
  });

  it.each<{ config: Config; shape: Shape5 }>([
    { config: { levels: 2, baseChannels: 4 }, shape: [1, 16, 16, 16, 1] },
    { config: { levels: 3, baseChannels: 8 }, shape: [2, 16, 32, 32, 1] },
    { config: { levels: 3, baseChannels: 8, norm: 'batch', upsampling: 'trilinear' }, shape: [1, 16, 16, 16, 1] },
  ])('within 25% of the measured tf.profile peak of one step (cpu): $config at $shape', async ({ config, shape }) => {
    const e = estimateUNetStepMemory(config, { inputShape: shape, optimizer: 'none' });
    const measured = await measuredPeak(config, shape);
    expect(e.totalBytes / measured).toBeGreaterThan(0.75);
    expect(e.totalBytes / measured).toBeLessThan(1.25);
  });

  it.each<{ config: Config; shape: Shape5 }>([
    { config: { levels: 3, baseChannels: 8 }, shape: [1, 16, 16, 16, 1] },
    { config: { levels: 3, baseChannels: 8, norm: 'batch', upsampling: 'trilinear' }, shape: [1, 16, 16, 24, 1] },
  ])("recompute: 'level' — within 25% of the measured peak (cpu), and below the estimate without: $config at $shape", async ({ config, shape }) => {
    const e = estimateUNetStepMemory(config, { inputShape: shape, optimizer: 'none', recompute: 'level' });
    expect(e.totalBytes).toBeLessThan(estimateUNetStepMemory(config, { inputShape: shape, optimizer: 'none' }).totalBytes);
    expect(e.activationBytes).toBe(estimateUNetStepMemory(config, { inputShape: shape, optimizer: 'none' }).activationBytes);
    const measured = await measuredPeak(config, shape, 'level');
    expect(e.totalBytes / measured).toBeGreaterThan(0.75);
    expect(e.totalBytes / measured).toBeLessThan(1.25);
  });

  it('bad shapes and configs are typed errors', () => {
    expect(() => estimateUNetStepMemory({ levels: 3 }, { inputShape: [1, 16, 16, 16, 1], recompute: 'cell' as 'level' })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidArgumentError: estimateUNetStepMemory: options.recompute is "cell", expected 'none' or 'level']`,
    );
    expect(() => estimateUNetStepMemory({ levels: 3 }, { inputShape: [1, 10, 16, 16, 1] })).toThrow(ShapeMismatchError);
    expect(() => estimateUNetStepMemory({ levels: 3 }, { inputShape: [1, 16, 16, 16, 2] })).toThrow(ShapeMismatchError);
    expect(() => estimateUNetStepMemory({ levels: 1 }, { inputShape: [1, 16, 16, 16, 1] })).toThrow(InvalidArgumentError);
    expect(() => estimateUNetStepMemory({}, { inputShape: [16, 16, 16] as unknown as Shape5 })).toThrow(InvalidArgumentError);
  });
});

describe.skipIf(skipNative)(`estimateUNetStepMemory, kernels: 'native'${skipNative ? ` [skipped: ${probe.notes.join('; ')}]` : ''}`, () => {
  beforeAll(() => initBackend(quiet));
  afterAll(() => initBackend({ ...quiet, backend: 'cpu' }));
  it.each<{ config: Config; shape: Shape5 }>([
    { config: { levels: 2, baseChannels: 4 }, shape: [1, 16, 16, 16, 1] },
    { config: { levels: 3, baseChannels: 8, norm: 'group', groups: 4 }, shape: [1, 16, 16, 16, 1] },
    { config: { levels: 3, baseChannels: 8, norm: 'batch', upsampling: 'trilinear' }, shape: [1, 16, 16, 16, 1] },
  ])('within 25% of the measured peak with @voxnas/kernels: $config at $shape', async ({ config, shape }) => {
    const e = estimateUNetStepMemory(config, { inputShape: shape, optimizer: 'none', kernels: 'native' });
    const measured = await measuredPeak(config, shape);
    expect(e.totalBytes / measured).toBeGreaterThan(0.75);
    expect(e.totalBytes / measured).toBeLessThan(1.25);
  });
});
