import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Rng } from '@voxnas/core';
import { atomicWrite } from '@voxnas/core/node';
import { sampleRandomGenotype, stringifyGenotype } from '@voxnas/supernet';
import { resolveConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { spaceFromConfig } from '../pipeline/network.js';
import { SpecChangedError } from './errors.js';
import { expandGraph, type JobGraph, type PlannedJob } from './graph.js';
import { jobFileOf, readJobFile, readJobStatus } from './job-files.js';
import { JOB_FILES, layout } from './layout.js';
import { budgetConfig, loadExperimentSpec, mergeConfig, type ResolvedSpec } from './spec.js';
import { describeTasksWithoutData, prepareTasks, type PreparedTask } from './tasks.js';

/** A planned experiment: its spec, directory, tasks and job graph. */
export interface ExperimentPlan {
  readonly resolved: ResolvedSpec;
  readonly expDir: string;
  readonly tasks: readonly PreparedTask[];
  readonly graph: JobGraph;
}

/** The experiment directory of a spec: `--out`, else the spec's `out` (relative to the spec file). */
export function experimentDir(resolved: ResolvedSpec, out?: string): string {
  if (out) return resolve(out);
  if (resolved.spec.out) return resolve(resolved.baseDir, resolved.spec.out);
  throw new UsageError(`voxnas experiment: give --out <dir> (the spec ${resolved.file ?? ''} has no 'out' field)`);
}

/** Writes `text` unless the file already holds it. */
async function writeIfChanged(path: string, text: string): Promise<void> {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  await mkdir(dirname(path), { recursive: true });
  await atomicWrite(path, text);
}

/**
 * Draws the random arms' genotypes — R per task and random arm, from the task's own search space (the
 * arm's run config, the task's channels and classes), each from `Rng(spec.seed)` forked by task, arm
 * and index — and writes them to `<exp>/genotypes/` (unchanged files are not rewritten).
 */
async function writeRandomGenotypes(resolved: ResolvedSpec, expDir: string, tasks: readonly PreparedTask[]): Promise<void> {
  const { spec } = resolved;
  for (const task of tasks) {
    for (const arm of spec.arms) {
      if (arm.kind !== 'random') continue;
      const cfg = resolveConfig(mergeConfig(spec.config, spec.tasks[task.index]!.config, arm.config, budgetConfig(spec, 'train')), `arm '${arm.name}'`);
      const space = spaceFromConfig(cfg, task.channels, task.classes);
      for (let r = 0; r < arm.count; r++) {
        const g = sampleRandomGenotype(space, new Rng(spec.seed).fork(`random/${task.name}/${arm.name}/${r}`));
        await writeIfChanged(layout.randomGenotype(expDir, task.name, arm.name, r), stringifyGenotype(g));
      }
    }
  }
}

/**
 * Plans an experiment from its spec file: validates the spec, prepares every task's data and folds
 * (unless `withoutData`, for a dry run on a machine without the datasets) and expands the job graph.
 * Nothing is written with `withoutData`.
 *
 * @example
 * const plan = await planExperiment({ spec: 'study.yaml', out: 'runs/study' });
 * plan.graph.jobs.length;
 */
export async function planExperiment(o: { spec: string; out?: string; withoutData?: boolean; force?: boolean }): Promise<ExperimentPlan> {
  const resolved = await loadExperimentSpec(o.spec);
  const expDir = experimentDir(resolved, o.out);
  if (o.withoutData) {
    const tasks = describeTasksWithoutData(resolved);
    return { resolved, expDir, tasks, graph: expandGraph({ resolved, expDir, tasks }) };
  }
  await mkdir(expDir, { recursive: true });
  const tasks = await prepareTasks(resolved, expDir, { force: o.force ?? false });
  await writeRandomGenotypes(resolved, expDir, tasks);
  return { resolved, expDir, tasks, graph: expandGraph({ resolved, expDir, tasks }) };
}

/** A job whose directory holds a run of a different spec. */
export interface ChangedJob {
  readonly id: string;
  readonly state: string;
}

/**
 * The jobs whose directory already holds work (a status file) recorded under another hash: the spec
 * changed after they ran.
 */
export async function changedJobs(graph: JobGraph): Promise<ChangedJob[]> {
  const out: ChangedJob[] = [];
  for (const job of graph.jobs) {
    const status = await readJobStatus(job.dir).catch(() => null);
    if (status && status.hash !== job.hash) out.push({ id: job.id, state: status.state });
    else if (!status && existsSync(join(job.dir, 'config.json')) && existsSync(join(job.dir, JOB_FILES.job))) {
      const recorded = await readJobFile(join(job.dir, JOB_FILES.job)).catch(() => null);
      if (recorded && recorded.hash !== job.hash) out.push({ id: job.id, state: 'started' });
    }
  }
  return out;
}

/**
 * Writes the plan into the experiment directory: `experiment.json`, and per job `job.json` and
 * `job-config.json`. Jobs that ran under another hash are refused ({@link SpecChangedError} naming
 * them) unless `force`, which moves their directories to `<exp>/replaced/<time>/` so they run again.
 *
 * @example
 * await writePlan(plan, { force: false });
 */
export async function writePlan(plan: ExperimentPlan, o: { force: boolean }): Promise<{ replaced: string[] }> {
  const { graph, expDir, resolved } = plan;
  const changed = await changedJobs(graph);
  const replaced: string[] = [];
  if (changed.length > 0) {
    if (!o.force) {
      const shown = changed.slice(0, 12).map((c) => `${c.id} (${c.state})`);
      throw new SpecChangedError(
        `the spec changed after ${changed.length} job(s) ran; their recorded spec hash differs:\n  - ${shown.join('\n  - ')}${changed.length > shown.length ? `\n  - … and ${changed.length - shown.length} more` : ''}\nrun again with --force to redo them (their directories move to ${join(expDir, 'replaced')}), or restore the spec`,
        { jobs: changed.map((c) => c.id) },
      );
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    for (const c of changed) {
      const job = graph.byId.get(c.id)!;
      const to = join(expDir, 'replaced', stamp, c.id);
      await mkdir(dirname(to), { recursive: true });
      await rename(job.dir, to);
      replaced.push(c.id);
    }
  }
  await writeIfChanged(
    layout.specFile(expDir),
    `${JSON.stringify(
      {
        schema: 'voxnas/experiment@1',
        name: resolved.name,
        specFile: resolved.file,
        specHash: resolved.hash,
        spec: resolved.spec,
        tasks: plan.tasks.map((t) => ({
          name: t.name,
          root: t.root,
          channels: t.channels,
          classes: t.classes,
          labelNames: t.labelNames,
          folds: t.folds,
        })),
        notes: graph.notes,
        jobIds: graph.jobs.map((j) => j.id),
      },
      null,
      2,
    )}\n`,
  );
  for (const job of graph.jobs) {
    await mkdir(job.dir, { recursive: true });
    const deps = job.deps.map((d) => graph.byId.get(d)!);
    const file = jobFileOf(job, { expDir, deps, threads: resolved.spec.resources[job.kind].cpus });
    await writeIfChanged(join(job.dir, JOB_FILES.job), `${JSON.stringify(file, null, 2)}\n`);
    if (job.config) await writeIfChanged(join(job.dir, JOB_FILES.config), `${JSON.stringify(job.config, null, 2)}\n`);
  }
  return { replaced };
}

/** The dependencies of `job` (planned jobs). */
export function depsOf(graph: JobGraph, job: PlannedJob): PlannedJob[] {
  return job.deps.map((d) => graph.byId.get(d)!);
}
