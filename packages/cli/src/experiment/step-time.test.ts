import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@voxnas/ops';
import { Supernet } from '@voxnas/supernet';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../config.js';
import { measureStepTime } from './step-time.js';

const tiny = (search: Record<string, unknown>) =>
  resolveConfig({ data: { patchSize: [8, 8, 8], batchSize: 1 }, search: { levels: 2, baseChannels: 4, nodes: 2, ...search } });

describe('measureStepTime', () => {
  beforeAll(async () => {
    await initBackend({ logger: () => {} });
  });
  afterEach(() => vi.restoreAllMocks());

  it("search with uniform weight steps times the weight pass in the 'weights' phase and the α pass in the 'arch' phase, and frees its tensors", async () => {
    const phases = vi.spyOn(Supernet.prototype, 'setPhase');
    const before = tf.memory().numTensors;
    const t = await measureStepTime({ kind: 'search', config: tiny({ sampler: 'gumbel', k: 2, weightSampler: 'uniform' }), channels: 1, classes: 2 });
    expect(phases.mock.calls.map((c) => c[0])).toEqual(['weights', 'arch']);
    expect(t.seconds).toBeGreaterThan(0);
    expect(t.how).toBe('measured at 8×8×8 × 1');
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it("search with the paper's scheme (weightSampler same) times two passes of α's sampler, never switching phase", async () => {
    const phases = vi.spyOn(Supernet.prototype, 'setPhase');
    const before = tf.memory().numTensors;
    const t = await measureStepTime({ kind: 'search', config: tiny({ sampler: 'gumbel', k: 2 }), channels: 1, classes: 2 });
    expect(phases).not.toHaveBeenCalled();
    expect(t.seconds).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
