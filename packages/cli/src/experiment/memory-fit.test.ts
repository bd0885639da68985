import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatBytes } from '@voxnas/ops';
import { createSearchSpace, estimateSearchStepMemory } from '@voxnas/supernet';
import { withTempDir } from '@voxnas/testing';
import { jobStepBytes, memoryFitCheck } from './memory-fit.js';
import { planExperiment } from './plan.js';

const SPEC = {
  name: 'memory fit',
  seed: 1,
  seeds: [0],
  folds: 2,
  config: { data: { patchSize: [32, 32, 16], batchSize: 2 }, search: { levels: 3, baseChannels: 8, nodes: 2, warmupSteps: 1 }, train: { warmupSteps: 1 } },
  budget: { searchSteps: 2, trainSteps: 2 },
  tasks: [{ name: 'p', dataset: 'phantom', phantom: { cases: 4, shape: [16, 16, 16], modalities: 1 } }],
  arms: [
    { kind: 'searched', name: 'searched' },
    { kind: 'unet', name: 'unet', size: 'preset' },
  ],
};

describe('memoryFitCheck: the executors refuse a job whose estimated step exceeds its stage memory', () => {
  it('search, searched-child and U-Net trainings: refused under a tiny mem with the estimate, scheduled under a large one', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'study.yaml');
      await writeFile(file, stringify(SPEC));
      const plan = await planExperiment({ spec: file, out: join(dir, 'exp'), withoutData: true });
      const fits = memoryFitCheck(plan);
      const task = plan.tasks[0]!;
      const jobs = plan.graph.jobs;
      const search = jobs.find((j) => j.kind === 'search')!;
      const child = jobs.find((j) => j.kind === 'train' && j.meta.armKind === 'searched')!;
      const unet = jobs.find((j) => j.kind === 'train' && j.meta.armKind === 'unet')!;
      const evaluate = jobs.find((j) => j.kind === 'evaluate')!;
      const resources = plan.resolved.spec.resources;
      // independent reference for the search job: the estimator on the space the config describes
      const space = createSearchSpace({ levels: 3, baseChannels: 8, nodes: 2, inputChannels: task.channels, classes: Math.max(2, task.classes) });
      const kernels = (await import('@voxnas/ops')).currentBackend()?.native ? 'native' : 'js';
      const expected = estimateSearchStepMemory(space, { inputShape: [2, 16, 32, 32, task.channels], sampler: { kind: 'gumbel', k: 1 }, kernels }).totalBytes;
      expect(jobStepBytes(search, task)).toBe(expected);
      for (const job of [search, child, unet]) {
        const bytes = jobStepBytes(job, task)!;
        expect(bytes).toBeGreaterThan(0);
        expect(fits(job, { ...resources[job.kind], mem: '1M' })).toBe(`one ${job.kind} step needs about ${formatBytes(bytes)} (memory estimate, docs/memory.md), the stage has mem 1M`);
        expect(fits(job, { ...resources[job.kind], mem: '64G' })).toBeNull();
        // a bare number is MiB, as in Slurm
        expect(fits(job, { ...resources[job.kind], mem: '65536' })).toBeNull();
      }
      expect(jobStepBytes(evaluate, task)).toBeNull();
      expect(fits(evaluate, { ...resources.evaluate, mem: '1M' })).toBeNull();
    });
  });
});
