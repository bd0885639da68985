import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '@voxnas/core';
import { createSearchSpace, sampleRandomGenotype, stringifyGenotype } from '@voxnas/supernet';
import { withTempDir } from '@voxnas/testing';
import { planExperiment } from './plan.js';
import { loadExperimentSpec } from './spec.js';

const root = resolve(__dirname, '..', '..', '..', '..');

describe('experiment specs in the docs and examples', () => {
  it("the README's spec example loads and plans (with its run-config and genotype files present)", async () => {
    const readme = readFileSync(join(root, 'packages', 'cli', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Experiments'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'study.yaml'), yaml);
      await writeFile(join(dir, 'voxnas.yaml'), 'data: { patchSize: [32, 32, 16] }\nsearch: { levels: 3, steps: 100, warmupSteps: 10 }\n');
      await writeFile(join(dir, 'genotype.json'), stringifyGenotype(sampleRandomGenotype(createSearchSpace({ levels: 3, baseChannels: 8, nodes: 3, inputChannels: 1, classes: 2 }), new Rng(0))));
      const spec = await loadExperimentSpec(join(dir, 'study.yaml'));
      expect(spec.spec.config).toEqual({ data: { patchSize: [32, 32, 16] }, search: { levels: 3, steps: 100, warmupSteps: 10 } });
      const plan = await planExperiment({ spec: join(dir, 'study.yaml'), withoutData: true });
      expect(plan.expDir).toBe(join(dir, 'runs', 'study'));
      const count = (k: string) => plan.graph.jobs.filter((j) => j.kind === k).length;
      // 3 tasks × 5 folds searched once per fold; per task 5 folds × 3 seeds × (searched + U-Net + 3 random + mine) + transfer on 2 tasks
      expect([count('search'), count('train'), count('evaluate')]).toEqual([15, 3 * 15 * 6 + 2 * 15, 3 * 15 * 6 + 2 * 15]);
    });
  });

  it.each(['msd.experiment.yaml', 'cpu.experiment.yaml', 'efficacy.experiment.yaml'])('examples/benchmark/%s is a valid spec', async (name) => {
    const spec = await loadExperimentSpec(join(root, 'examples', 'benchmark', name));
    expect(spec.spec.tasks.length).toBeGreaterThanOrEqual(2);
    const plan = await planExperiment({ spec: join(root, 'examples', 'benchmark', name), withoutData: true });
    expect(plan.graph.jobs.length).toBeGreaterThan(10);
  });

  // The planted in-plane studies (README "The planted in-plane task …"): trainings per spec, from the
  // arms × folds × seeds they declare.
  it.each([
    ['in-plane.experiment.yaml', 5, 5 * (3 + 1 + 1 + 8)],
    ['in-plane-fold1.experiment.yaml', 5, 5 * 2],
    ['in-plane-fold1-random.experiment.yaml', 0, 3 * (1 + 8)],
    ['in-plane-fair.experiment.yaml', 3, 3],
    ['in-plane-fold1-archlr.experiment.yaml', 5, 5],
    ['in-plane-derive.experiment.yaml', 2 * 5, 2 * 5 * 4],
    ['in-plane-random.experiment.yaml', 0, 2 * 3 * 8],
    ['in-plane-shared.experiment.yaml', 2 * 5, 2 * 5 * 3],
    ['long-range.experiment.yaml', 3, 3 * 4],
    ['long-range-random.experiment.yaml', 0, 3 * 8],
    ['phantom-random.experiment.yaml', 0, 3 * 8],
    ['long-range-shared.experiment.yaml', 3, 3 * 3],
    ['long-range-budget.experiment.yaml', 0, 3 * 2],
    ['phantom-shared.experiment.yaml', 3, 3 * 3],
    ['phantom-derive.experiment.yaml', 3, 3 * 3],
  ])('examples/benchmark/%s is a valid spec: %i searches, %i trainings', async (name, searches, trainings) => {
    const plan = await planExperiment({ spec: join(root, 'examples', 'benchmark', name), withoutData: true });
    const count = (k: string) => plan.graph.jobs.filter((j) => j.kind === k).length;
    expect([count('search'), count('train')]).toEqual([searches, trainings]);
  });
});
