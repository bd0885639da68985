import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '@voxnas/core';
import { createSearchSpace, sampleRandomGenotype, stringifyGenotype } from '@voxnas/supernet';
import { withTempDir } from '@voxnas/testing';
import { generatePlantedDataset } from '@voxnas/datasets';
import { runCli } from '../../test/run-cli.js';
import { ExperimentSpecError } from './errors.js';
import { loadExperimentSpec, resolveExperimentSpec, validateExperimentSpec } from './spec.js';
import { prepareTasks } from './tasks.js';

const TASK = { name: 'p', dataset: 'phantom' };
const ok = (extra: Record<string, unknown> = {}) => ({ tasks: [TASK], arms: [{ kind: 'unet', name: 'unet', size: 'preset' }], ...extra });

function problems(input: unknown, baseDir = '/nonexistent'): string[] {
  const r = validateExperimentSpec(input, { baseDir });
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

describe('experiment spec validation', () => {
  it('fills the defaults', () => {
    const r = resolveExperimentSpec(ok(), { baseDir: '/x' });
    expect(r.spec.folds).toBe(5);
    expect(r.spec.seeds).toEqual([0]);
    expect(r.spec.search.protocol).toBe('per-fold');
    expect(r.spec.resources.train).toEqual({ gpus: 0, cpus: 1, mem: '4G', time: '24:00:00', requeue: true, sbatch: [] });
    expect(r.sources).toEqual([{ kind: 'phantom' }]);
  });

  it.each([
    ['unknown top-level field', { ...ok(), sedds: [1] }, `unknown field 'sedds', expected one of name, out, seed, seeds, folds, runFolds, config, budget, tasks, search, searchQuality, arms, report, resources (did you mean 'seeds'?)`],
    ['unknown arm kind', ok({ arms: [{ kind: 'unte', name: 'u' }] }), `field 'arms[0].kind' must be one of 'searched', 'unet', 'random', 'genotype', 'transfer', got 'unte' (did you mean 'unet'?)`],
    ['unknown enum value', ok({ arms: [{ kind: 'unet', name: 'u', size: 'matchd' }] }), `field 'arms[0].size' must be one of 'matched', 'preset', got 'matchd' (did you mean 'matched'?)`],
    ['unknown arm field', ok({ arms: [{ kind: 'random', name: 'r', cont: 3 }] }), `unknown field 'arms[0].cont', expected one of kind, name, config, count (did you mean 'count'?)`],
    ['folds below 2', ok({ folds: 1 }), `field 'folds' must be an integer ≥ 2 ≤ 20, got 1`],
    ['search quality with one sample', ok({ searchQuality: { samples: 1 } }), `field 'searchQuality.samples' must be an integer ≥ 2 ≤ 1000, got 1`],
    ['a task name with a slash', ok({ tasks: [{ name: 'a/b', dataset: 'phantom' }] }), `field 'tasks[0].name' must not contain '/', '\\' or control characters, start or end with a space, or be '.' or '..', got 'a/b'`],
    ['a task without dataset', ok({ tasks: [{ name: 'p' }] }), `field 'tasks[0].dataset' is required (a dataset directory (MSD, nnU-Net v2 or folder pairs; relative to the spec file), \`phantom\`, \`planted:in-plane\` / \`planted:long-range\` (tasks whose best operators are known), or \`atlas:human-deep-grey\` / \`atlas:macaque-basal-ganglia\`)`],
    ['unknown planted task', ok({ tasks: [{ name: 'p', dataset: 'planted:in-plain' }] }), `field 'tasks[0].dataset' is 'planted:in-plain', expected planted:in-plane or planted:long-range (did you mean 'in-plane'?)`],
    ['unknown atlas task', ok({ tasks: [{ name: 'p', dataset: 'atlas:human-deep-gray' }] }), `field 'tasks[0].dataset' is 'atlas:human-deep-gray', expected atlas:human-deep-grey or atlas:macaque-basal-ganglia (did you mean 'human-deep-grey'?)`],
    ['runFolds beyond folds', ok({ folds: 3, runFolds: [0, 3] }), `field 'runFolds' is [0,3], expected folds < folds (3), got 3`],
    ['runFolds repeated', ok({ folds: 3, runFolds: [1, 1] }), `field 'runFolds' is [1,1], expected distinct folds`],
    ['protocol once without task', ok({ search: { protocol: 'once' } }), `field 'search.task' is required with protocol 'once' (the task searched on)`],
    ['transfer from an unknown task', ok({ arms: [{ kind: 'transfer', name: 't', from: 'q' }] }), `field 'arms[0].from' is 'q', expected one of the tasks: 'p' (did you mean 'p'?)`],
    ['base run config', ok({ config: { train: { lr: 0 } } }), `config: field 'train.lr' must be a number > 0, got 0`],
    ['task run config', ok({ tasks: [{ ...TASK, config: { search: { levles: 2 } } }] }), `tasks[0].config: unknown field 'search.levles', expected one of levels, baseChannels, nodes, candidates, sampler, k, weightSampler, alphaSharing, tauStart, tauEnd, tauSchedule, mode, warmupSteps, steps, weightLr, archLr, deriveEvery, score, checkpointEvery, recompute (did you mean 'levels'?)`],
    ['a field the experiment sets', ok({ config: { data: { dataset: '/data' } } }), `field 'config.data.dataset' is set by the experiment; use the task's \`dataset\``],
    ['Slurm memory size', ok({ resources: { train: { mem: 'lots' } } }), `field 'resources.train.mem' must be a Slurm memory size such as 4G or 1500M, got 'lots'`],
  ])('%s', (_title, input, message) => {
    expect(problems(input)).toContain(message);
  });

  it('reports every problem at once, as one ExperimentSpecError', () => {
    const input = {
      ...ok(),
      seeds: [0, 0],
      tasks: [TASK, { ...TASK, config: { train: { steps: 2, warmupSteps: 5 } } }],
      arms: [{ kind: 'unet', name: 'u', size: 'preset' }, { kind: 'random', name: 'u' }],
      search: { protocol: 'per-fold', task: 'p' },
    };
    let err: unknown;
    try {
      resolveExperimentSpec(input, { baseDir: '/x', source: 'study.yaml' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExperimentSpecError);
    expect((err as ExperimentSpecError).code).toBe('E_EXPERIMENT_SPEC');
    expect((err as Error).message).toMatchInlineSnapshot(`
      "study.yaml: 5 problems:
        - field 'tasks': two tasks are named 'p', expected unique names
        - field 'arms': two arms are named 'u', expected unique names
        - field 'seeds' is [0,0], expected distinct seeds
        - field 'search.task' is only used with protocol 'once' (per-fold searches every task)
        - tasks[1].config: field 'train.warmupSteps' is 5, expected < train.steps (2)"
    `);
  });

  it('each run-config section is checked as its jobs see it: search.config may fix what the search budget breaks', () => {
    // The base warm-up (50) is not shorter than the 50-step search budget: a problem of the base…
    const base = { config: { search: { warmupSteps: 50 } }, budget: { searchSteps: 50, trainSteps: 20 } };
    expect(problems(ok(base))).toEqual([`config: field 'search.warmupSteps' is 50, expected < search.steps (50)`]);
    // … unless search.config, which only the searches read, shortens it; the trainings never read it.
    expect(validateExperimentSpec(ok({ ...base, search: { config: { search: { warmupSteps: 16 } } } }), { baseDir: '/x' }).ok).toBe(true);
    // A problem that search.config brings is reported there, not at the base.
    expect(problems(ok({ ...base, search: { config: { search: { warmupSteps: 60 } } } }))).toEqual([
      `search.config: field 'search.warmupSteps' is 60, expected < search.steps (50)`,
    ]);
    // The training budget applies to the trainings only: a train warm-up is checked against it.
    expect(problems(ok({ ...base, search: { config: { search: { warmupSteps: 16 } } }, arms: [{ kind: 'unet', name: 'u', size: 'preset', config: { train: { warmupSteps: 30 } } }] }))).toEqual([
      `arms[0].config: field 'train.warmupSteps' is 30, expected < train.steps (20)`,
    ]);
  });

  it('an arm naming a genotype file that does not exist or is not a genotype', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'bad.json'), '{"schema": "voxnas/genotype@1"}');
      const p = problems(ok({ arms: [{ kind: 'genotype', name: 'g', file: 'missing.json' }, { kind: 'genotype', name: 'h', file: 'bad.json' }] }), dir);
      expect(p[0]).toBe(`field 'arms[0].file' is 'missing.json', but ${join(dir, 'missing.json')} does not exist (expected a genotype.json)`);
      expect(p[1]).toMatch(/^field 'arms\[1\]\.file': /);
      expect(p[1]).toContain('bad.json');
      // a real genotype file is read
      const g = sampleRandomGenotype(createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2, inputChannels: 1, classes: 2 }), new Rng(1));
      await writeFile(join(dir, 'g.json'), stringifyGenotype(g));
      const r = resolveExperimentSpec(ok({ arms: [{ kind: 'genotype', name: 'g', file: 'g.json' }] }), { baseDir: dir });
      expect(r.genotypes.get('g')!.genotype.choices).toEqual(g.choices);
    });
  });

  it('run-config sections given as files are read relative to the spec, their problems named with the file', async () => {
    await withTempDir(async (dir) => {
      const spec = join(dir, 'study.yaml');
      await writeFile(join(dir, 'run.yaml'), 'train: { lr: 0 }\n');
      await writeFile(spec, 'config: run.yaml\ntasks: [{ name: p, dataset: phantom, config: task.yaml }]\narms: [{ kind: unet, name: u, size: preset }]\n');
      const err = await loadExperimentSpec(spec).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExperimentSpecError);
      expect((err as Error).message).toBe(`${spec}: field 'tasks[0].config' is 'task.yaml', but ${join(dir, 'task.yaml')} does not exist (expected a voxnas.yaml run config)`);
      await writeFile(join(dir, 'task.yaml'), 'search: { levels: 2 }\n');
      const err2 = await loadExperimentSpec(spec).catch((e: unknown) => e);
      expect((err2 as Error).message).toBe(`${spec}: config (run.yaml): field 'train.lr' must be a number > 0, got 0`);
      await writeFile(join(dir, 'run.yaml'), 'train: { lr: 0.01 }\n');
      const ok = await loadExperimentSpec(spec);
      expect(ok.spec.config).toEqual({ train: { lr: 0.01 } });
      expect(ok.spec.tasks[0]!.config).toEqual({ search: { levels: 2 } });
    });
  });

  it('a planted task is generated into the experiment as generatePlantedDataset writes it, labels named', async () => {
    await withTempDir(async (dir) => {
      const spec = ok({ seed: 3, folds: 2, tasks: [{ name: 'in-plane', dataset: 'planted:in-plane', planted: { cases: 4, shape: [16, 16, 8] } }] });
      const r = resolveExperimentSpec(spec, { baseDir: dir });
      expect(r.sources).toEqual([{ kind: 'planted', task: 'in-plane' }]);
      const [task] = await prepareTasks(r, join(dir, 'exp'));
      expect(task!.classes).toBe(3);
      expect(task!.labelNames).toEqual({ 0: 'background', 1: 'disk', 2: 'bar' });
      expect(task!.caseIds).toHaveLength(4);
      const reference = await generatePlantedDataset({ dir: join(dir, 'ref'), task: 'in-plane', cases: 4, shape: [16, 16, 8], seed: 3 });
      const source = join(dir, 'exp', 'data', 'in-plane', 'source');
      for (const sub of ['imagesTr', 'labelsTr']) {
        const ours = (await readdir(join(source, sub))).sort();
        expect(ours).toEqual((await readdir(join(reference, sub))).sort());
        for (const f of ours) expect((await readFile(join(source, sub, f))).equals(await readFile(join(reference, sub, f)))).toBe(true);
      }
      // Another seed is another dataset: the stamp refuses to reuse it without --force.
      const other = resolveExperimentSpec({ ...spec, seed: 4 }, { baseDir: dir });
      await expect(prepareTasks(other, join(dir, 'exp'))).rejects.toThrow(/run with --force to regenerate it/);
    });
  });

  it('a dataset directory that does not exist is an error naming the field and the path', async () => {
    await withTempDir(async (dir) => {
      const r = resolveExperimentSpec(ok({ tasks: [{ name: 'heart', dataset: 'Task02_Heart' }] }), { baseDir: dir });
      const err = await prepareTasks(r, join(dir, 'exp')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExperimentSpecError);
      expect((err as Error).message).toBe(`field 'tasks[0].dataset' is 'Task02_Heart', but ${join(dir, 'Task02_Heart')} does not exist (task 'heart')`);
    });
  });

  it('voxnas experiment run: a bad spec exits 1 with the typed error before anything is written', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'specs'));
      const spec = join(dir, 'specs', 'study.yaml');
      await writeFile(spec, 'tasks:\n  - { name: heart, dataset: ../Task02_Heart }\narms:\n  - { kind: unet, name: unet, size: preset }\n');
      const r = await runCli(['experiment', 'run', spec, '--out', join(dir, 'exp')]);
      expect(r.code).toBe(1);
      expect(r.err).toBe(
        `voxnas experiment: ExperimentSpecError [E_EXPERIMENT_SPEC]: field 'tasks[0].dataset' is '../Task02_Heart', but ${join(dir, 'Task02_Heart')} does not exist (task 'heart')`,
      );
      expect(existsSync(join(dir, 'exp', 'jobs'))).toBe(false);
      const typo = await runCli(['experiment', 'rnu', spec]);
      expect(typo.code).toBe(2);
      expect(typo.err.split('\n')[0]).toBe(`voxnas experiment: expected a subcommand run, status or report, got 'rnu' (did you mean 'run'?)`);
    });
  });
});
