import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '@voxnas/testing';
import { generatePhantomDataset, parsePlan } from '@voxnas/datasets';
import { createSearchSpace, estimateChildStepMemory, estimateSearchStepMemory, heaviestChild } from '@voxnas/supernet';
import { runCli } from '../../test/run-cli.js';

describe('the data plan sizes patch and batch with the memory estimator', () => {
  it.each([
    { sampler: 'gumbel' },
    { sampler: 'full' },
  ])('search.sampler=$sampler: the planned step fits the budget and is the estimators\' larger peak', async ({ sampler }) => {
    await withTempDir(async (dir) => {
      const data = await generatePhantomDataset({ dir: join(dir, 'ds'), cases: 3, shape: [96, 96, 64], spacingMm: [1, 1, 1], seed: 2 });
      const out = join(dir, 'plan.json');
      const r = await runCli(['plan', data, '--out', out, '--set', 'search.levels=3', '--set', 'search.baseChannels=8', '--set', `search.sampler=${sampler}`]);
      expect(r.code, r.err).toBe(0);
      const plan = parsePlan(JSON.parse(await readFile(out, 'utf8')), out);
      expect(plan.memory.rule).toContain('heaviest child');
      expect(plan.memory.estimateBytes).toBeLessThanOrEqual(plan.memory.budgetBytes);
      // independent reference: the estimators at the planned patch (x y z → NDHWC) and batch
      const [x, y, z] = plan.patchSize;
      const channels = plan.fingerprint.dataset.modalities.length;
      const classes = Math.max(2, Object.keys(plan.fingerprint.dataset.labels).length);
      const space = createSearchSpace({ levels: 3, baseChannels: 8, nodes: 3, inputChannels: channels, classes });
      const shape = [plan.batchSize, z!, y!, x!, channels] as const;
      const kernels = plan.memory.rule.includes('native kernels') ? 'native' : 'js';
      const search = estimateSearchStepMemory(space, { inputShape: shape, sampler: sampler === 'full' ? { kind: 'full' } : { kind: 'gumbel', k: 1 }, kernels });
      const child = estimateChildStepMemory(heaviestChild(space, shape), { inputShape: shape, kernels });
      expect(plan.memory.estimateBytes).toBe(Math.max(search.totalBytes, child.totalBytes));
    });
  });
});
