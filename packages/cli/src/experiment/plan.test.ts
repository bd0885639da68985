import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { withTempDir } from '@voxnas/testing';
import { SpecChangedError } from './errors.js';
import { readJobFile, writeJobStatus } from './job-files.js';
import { JOB_FILES, layout } from './layout.js';
import { launchOrder } from './local-executor.js';
import { planExperiment, writePlan } from './plan.js';

const SPEC = {
  name: 'plan test',
  seed: 5,
  seeds: [0, 1],
  folds: 3,
  config: { data: { patchSize: [16, 16, 16], batchSize: 1 }, search: { levels: 2, baseChannels: 4, nodes: 2, warmupSteps: 1 }, train: { warmupSteps: 1 } },
  budget: { searchSteps: 3, trainSteps: 3 },
  tasks: [
    { name: 'p one', dataset: 'phantom', phantom: { cases: 7, shape: [16, 16, 16], modalities: 1 } },
    { name: "p 'two' $(x)", dataset: 'phantom', phantom: { cases: 6, shape: [16, 16, 16], modalities: 2 } },
  ],
  arms: [
    { kind: 'searched', name: 'searched' },
    { kind: 'unet', name: 'unet', size: 'matched' },
    { kind: 'random', name: 'random', count: 2 },
    { kind: 'transfer', name: 'from one', from: 'p one' },
  ],
};

async function writeSpec(dir: string, spec: unknown): Promise<string> {
  const file = join(dir, 'study.yaml');
  await writeFile(file, stringify(spec));
  return file;
}

const caseIdsOf = (datasetJson: string) =>
  (JSON.parse(readFileSync(datasetJson, 'utf8')) as { training: Array<{ image: string }> }).training.map((e) => e.image.replace(/^.*\//, '').replace(/\.nii(\.gz)?$/, ''));

describe('planning an experiment', () => {
  it('expands tasks × arms × folds × seeds into searches → trainings → evaluations → report, leak-free', async () => {
    await withTempDir(async (dir) => {
      const plan = await planExperiment({ spec: await writeSpec(dir, SPEC), out: join(dir, 'exp') });
      const jobs = plan.graph.jobs;
      const count = (kind: string) => jobs.filter((j) => j.kind === kind).length;
      // searches: 2 tasks × 3 folds × 2 seeds; trainings: per task searched + unet + 2 random (× 6), plus transfer on the second task only
      expect([count('search'), count('train'), count('evaluate'), count('aggregate')]).toEqual([12, 54, 54, 1]);
      // every job after its dependencies
      const seen = new Set<string>();
      for (const j of jobs) {
        for (const d of j.deps) expect(seen.has(d)).toBe(true);
        seen.add(j.id);
      }
      const byId = plan.graph.byId;
      const train = (task: string, arm: string, fold: number, seed: number) => byId.get(`jobs/${task}/fold-${fold}/${arm}/seed-${seed}/train`)!;
      expect(train('p one', 'searched', 1, 1).deps).toEqual(['jobs/p one/fold-1/search/seed-1']);
      expect(train("p 'two' $(x)", 'from one', 2, 0).deps).toEqual(['jobs/p one/fold-2/search/seed-0']);
      expect(train("p 'two' $(x)", 'from one', 2, 0).meta.searchedOn).toBe('p one');
      expect(train('p one', 'unet', 0, 0).steps[0]!.argv).toContain('--match');
      expect(train('p one', 'random-1', 0, 0).deps).toEqual([]);
      expect(byId.has('jobs/p one/fold-0/from one/seed-0/train')).toBe(false);

      // The outer folds partition the cases; a fold's searches and trainings see only its training cases.
      for (const task of plan.tasks) {
        const tests = task.folds.flatMap((f) => f.test);
        expect([...tests].sort()).toEqual([...task.caseIds].sort());
        for (const [f, fold] of task.folds.entries()) {
          const seenBySearch = caseIdsOf(join(layout.foldTrain(plan.expDir, task.name, f), 'dataset.json'));
          expect(seenBySearch.sort()).toEqual([...fold.train].sort());
          expect(seenBySearch.some((id) => fold.test.includes(id))).toBe(false);
          const linked = readdirSync(join(layout.foldTest(plan.expDir, task.name, f), 'imagesTs')).map((n) => n.replace(/\.nii(\.gz)?$/, ''));
          expect(linked.sort()).toEqual([...fold.test].sort());
        }
      }
      for (const j of jobs.filter((x) => x.kind === 'search' || x.kind === 'train')) {
        expect((j.config as { data: { dataset: string } }).data.dataset).toBe(layout.foldTrain(plan.expDir, j.meta.task!, j.meta.fold!));
        expect((j.config as { seed: number }).seed).toBe(j.meta.seed);
      }
      // the same split for every seed and arm; the random genotypes are files of the task's own space
      expect(existsSync(layout.randomGenotype(plan.expDir, "p 'two' $(x)", 'random', 1))).toBe(true);
    });
  });

  it('the local executor considers ready jobs later stages first, graph order within a stage', async () => {
    await withTempDir(async (dir) => {
      const plan = await planExperiment({ spec: await writeSpec(dir, { ...SPEC, runFolds: [0] }), out: join(dir, 'exp') });
      const order = launchOrder(plan.graph.jobs);
      const kinds = order.map((j) => j.kind);
      expect(kinds.indexOf('evaluate')).toBeLessThan(kinds.indexOf('train'));
      expect(kinds.lastIndexOf('evaluate')).toBeLessThan(kinds.indexOf('train'));
      expect(kinds.lastIndexOf('train')).toBeLessThan(kinds.indexOf('search'));
      for (const kind of ['search', 'train', 'evaluate'] as const) {
        expect(order.filter((j) => j.kind === kind).map((j) => j.id)).toEqual(plan.graph.jobs.filter((j) => j.kind === kind).map((j) => j.id));
      }
      expect(order).toHaveLength(plan.graph.jobs.length);
    });
  });

  it('searchQuality adds one search-quality job per search, after it, before the report; an arm may not take its directory name', async () => {
    await withTempDir(async (dir) => {
      const spec = { ...SPEC, runFolds: [0], searchQuality: { samples: 3 } };
      const plan = await planExperiment({ spec: await writeSpec(dir, spec), out: join(dir, 'exp') });
      const searches = plan.graph.jobs.filter((j) => j.kind === 'search');
      const quality = plan.graph.jobs.filter((j) => j.kind === 'search-quality');
      expect(quality.map((q) => q.deps)).toEqual(searches.map((s) => [s.id]));
      const q = plan.graph.byId.get('jobs/p one/fold-0/search-quality/seed-1')!;
      expect(q.steps).toEqual([
        { argv: ['search-quality', '--run', join(plan.expDir, 'jobs/p one/fold-0/search/seed-1'), '--out', join(plan.expDir, 'jobs/p one/fold-0/search-quality/seed-1'), '--samples', '3', '--steps', '3'] },
      ]);
      expect([q.meta.task, q.meta.fold, q.meta.seed, q.totalSteps]).toEqual(['p one', 0, 1, 4 * 3]);
      // the report waits for them; the launch order starts them after everything but the report
      expect(plan.graph.byId.get('report')!.deps).toEqual(expect.arrayContaining(quality.map((x) => x.id)));
      const kinds = launchOrder(plan.graph.jobs).map((j) => j.kind);
      expect(kinds.indexOf('search-quality')).toBeGreaterThan(kinds.lastIndexOf('search'));
      // steps given: they replace the training budget; without the section nothing is planned
      const steps = await planExperiment({ spec: await writeSpec(dir, { ...spec, searchQuality: { samples: 2, steps: 7 } }), out: join(dir, 'exp2') });
      expect(steps.graph.byId.get('jobs/p one/fold-0/search-quality/seed-0')!.steps[0]!.argv.slice(-4)).toEqual(['--samples', '2', '--steps', '7']);
      const none = await planExperiment({ spec: await writeSpec(dir, { ...SPEC, runFolds: [0] }), out: join(dir, 'exp3') });
      expect(none.graph.jobs.some((j) => j.kind === 'search-quality')).toBe(false);
      await expect(planExperiment({ spec: await writeSpec(dir, { ...spec, arms: [{ kind: 'random', name: 'search-quality', count: 2 }] }), out: join(dir, 'exp4') })).rejects.toThrow(
        "field 'arms[0].name' is 'search-quality', which names the search-quality jobs' directories; choose another name",
      );
      await expect(planExperiment({ spec: await writeSpec(dir, { ...spec, searchQuality: { samples: 1 } }), out: join(dir, 'exp5') })).rejects.toThrow('searchQuality.samples');
    });
  });

  it('a searched arm with derive re-derives from the same search inside its training job; a bad rule is a spec error', async () => {
    await withTempDir(async (dir) => {
      const arms = [
        { kind: 'searched', name: 'searched' },
        { kind: 'searched', name: 'per cell', derive: { operators: 'cell' } },
        { kind: 'searched', name: 'kept', derive: { from: 'best' } },
      ];
      const plan = await planExperiment({ spec: await writeSpec(dir, { ...SPEC, runFolds: [0], arms }), out: join(dir, 'exp') });
      expect(plan.graph.jobs.filter((j) => j.kind === 'search')).toHaveLength(4); // one search per task, fold and seed, shared by the arms
      const job = (arm: string) => plan.graph.byId.get(`jobs/p one/fold-0/${arm}/seed-1/train`)!;
      const search = join(plan.expDir, 'jobs/p one/fold-0/search/seed-1');
      for (const arm of ['searched', 'per cell', 'kept']) expect(job(arm).deps).toEqual(['jobs/p one/fold-0/search/seed-1']);
      expect(job('searched').steps).toHaveLength(1);
      expect(job('searched').steps[0]!.argv.slice(-2)).toEqual(['--arch', join(search, 'genotype.json')]);
      const derived = join(job('per cell').dir, JOB_FILES.derivedGenotype);
      expect(job('per cell').steps).toEqual([
        { argv: ['derive', '--run', search, '--out', derived, '--from', 'final', '--operators', 'cell'] },
        { argv: ['train', '--config', join(job('per cell').dir, JOB_FILES.config), '--out', job('per cell').dir, '--arch', derived], resume: ['train', '--resume', job('per cell').dir] },
      ]);
      expect(job('kept').steps[0]!.argv.slice(-4)).toEqual(['--from', 'best', '--operators', 'edge']);
      expect(new Set(['searched', 'per cell', 'kept'].map((a) => job(a).hash)).size).toBe(3);
      const bad = { ...SPEC, arms: [{ kind: 'searched', name: 's', derive: { operators: 'node' } }] };
      await expect(planExperiment({ spec: await writeSpec(dir, bad), out: join(dir, 'exp2') })).rejects.toThrow("arms[0].derive.operators");
    });
  });

  it('runFolds plans only the named outer folds (the split is still k-fold)', async () => {
    await withTempDir(async (dir) => {
      const plan = await planExperiment({ spec: await writeSpec(dir, { ...SPEC, runFolds: [2] }), out: join(dir, 'exp') });
      const jobs = plan.graph.jobs.filter((j) => j.kind !== 'aggregate');
      expect(new Set(jobs.map((j) => j.meta.fold))).toEqual(new Set([2]));
      // a third of the full plan: 2 tasks × 1 fold × 2 seeds searches, 18 trainings and evaluations
      expect(['search', 'train', 'evaluate'].map((k) => jobs.filter((j) => j.kind === k).length)).toEqual([4, 18, 18]);
      expect(plan.tasks[0]!.folds).toHaveLength(3);
    });
  });

  it("protocol once: one search on the named cases, reused by every task; evaluations that could have seen them are marked", async () => {
    await withTempDir(async (dir) => {
      const once = {
        ...SPEC,
        seeds: [0],
        tasks: [
          { name: 'a', dataset: 'phantom', phantom: { cases: 6, shape: [16, 16, 16], modalities: 1 } },
          { name: 'b', dataset: 'phantom', phantom: { cases: 5, shape: [16, 16, 16], modalities: 1 } },
        ],
        search: { protocol: 'once', task: 'a', cases: { fold: 0 } },
        arms: [
          { kind: 'searched', name: 'searched' },
          { kind: 'unet', name: 'unet', size: 'matched' },
        ],
      };
      const plan = await planExperiment({ spec: await writeSpec(dir, once), out: join(dir, 'exp') });
      const searches = plan.graph.jobs.filter((j) => j.kind === 'search');
      expect(searches.map((j) => j.id)).toEqual(['jobs/a/search/seed-0']);
      const a = plan.tasks[0]!;
      expect(caseIdsOf(join(layout.searchCases(plan.expDir, 'a'), 'dataset.json')).sort()).toEqual([...a.folds[0]!.train].sort());
      for (const task of ['a', 'b']) {
        for (let f = 0; f < 3; f++) {
          const train = plan.graph.byId.get(`jobs/${task}/fold-${f}/searched/seed-0/train`)!;
          expect(train.deps).toEqual(['jobs/a/search/seed-0']);
          expect(train.meta.searchedOn).toBe('a');
          const ev = plan.graph.byId.get(`jobs/${task}/fold-${f}/searched/seed-0/eval`)!;
          // fold 0's held-out cases were not searched on; folds 1 and 2 hold out cases of fold 0's training set
          expect(ev.meta.sawSearchCases ?? false).toBe(task === 'a' && f > 0);
        }
      }
    });
  });

  it('hashes per job: an unchanged spec plans the same hashes, a changed budget changes exactly the trainings after it', async () => {
    await withTempDir(async (dir) => {
      const spec = await writeSpec(dir, SPEC);
      const a = await planExperiment({ spec, out: join(dir, 'exp') });
      const b = await planExperiment({ spec, out: join(dir, 'exp') });
      expect(b.graph.jobs.map((j) => j.hash)).toEqual(a.graph.jobs.map((j) => j.hash));
      await writeSpec(dir, { ...SPEC, budget: { searchSteps: 3, trainSteps: 4 } });
      const c = await planExperiment({ spec, out: join(dir, 'exp') });
      const changed = c.graph.jobs.filter((j) => j.hash !== a.graph.byId.get(j.id)!.hash).map((j) => j.kind);
      expect(new Set(changed)).toEqual(new Set(['train', 'evaluate', 'aggregate']));
      expect(changed.filter((k) => k === 'train').length).toBe(54);
    });
  });

  it('refuses a changed spec after jobs ran, naming them; --force moves them aside', async () => {
    await withTempDir(async (dir) => {
      const small = { ...SPEC, seeds: [0], folds: 2, tasks: [SPEC.tasks[0]], arms: [{ kind: 'unet', name: 'unet', size: 'preset' }] };
      const spec = await writeSpec(dir, small);
      const out = join(dir, 'exp');
      const first = await planExperiment({ spec, out });
      await writePlan(first, { force: false });
      // the fold-0 training ran (its status recorded under its hash)
      const ran = first.graph.byId.get('jobs/p one/fold-0/unet/seed-0/train')!;
      const job = await readJobFile(join(ran.dir, JOB_FILES.job));
      expect(job.hash).toBe(ran.hash);
      await writeJobStatus(ran.dir, { schema: 'voxnas/experiment-job-status@1', id: ran.id, hash: ran.hash, state: 'done', exitCode: 0, error: null, backend: null, deviceSeconds: 1, attempts: [] });
      await writeSpec(dir, { ...small, config: { ...small.config, train: { warmupSteps: 1, lr: 0.01 } } });
      const second = await planExperiment({ spec, out });
      const err = await writePlan(second, { force: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SpecChangedError);
      expect((err as SpecChangedError).jobs).toEqual(['jobs/p one/fold-0/unet/seed-0/train']);
      expect((err as Error).message.split('\n').slice(0, 2)).toEqual([
        'the spec changed after 1 job(s) ran; their recorded spec hash differs:',
        '  - jobs/p one/fold-0/unet/seed-0/train (done)',
      ]);
      const { replaced } = await writePlan(second, { force: true });
      expect(replaced).toEqual(['jobs/p one/fold-0/unet/seed-0/train']);
      expect(existsSync(join(ran.dir, JOB_FILES.status))).toBe(false);
      expect((await readJobFile(join(ran.dir, JOB_FILES.job))).hash).toBe(second.graph.byId.get(ran.id)!.hash);
      expect(readdirSync(join(out, 'replaced')).length).toBe(1);
    });
  });
});
