import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { validateConfig, type VoxnasConfig } from '../config.js';
import { ExperimentSpecError } from './errors.js';
import { minimumPatch } from './step-time.js';
import { JOB_FILES, layout } from './layout.js';
import { budgetConfig, foldsRun, mergeConfig, taskSourceOf, type ResolvedSpec } from './spec.js';
import type { ArmSpec, Stage } from './spec-schema.js';
import type { PreparedTask } from './tasks.js';

/** One command a job runs: `argv` for `voxnas`, or `resume` instead once the run directory holds a run. */
export interface JobStep {
  readonly argv: readonly string[];
  /** Used instead of `argv` when `<dir>/config.json` exists (the run started before). */
  readonly resume?: readonly string[];
}

/** What the report needs to know about a job. */
export interface JobMeta {
  readonly task?: string;
  readonly fold?: number;
  readonly seed?: number;
  readonly arm?: string;
  readonly armKind?: ArmSpec['kind'];
  /** Random arms: which of the R genotypes. */
  readonly genotype?: number;
  /** Trainings of a searched genotype: the task it was searched on. */
  readonly searchedOn?: string;
  /** The search job whose genotype a training uses (searched, transfer and matched U-Net arms). */
  readonly search?: string;
  /** Evaluations: some held-out case of this fold was among the cases searched on (protocol once). */
  readonly sawSearchCases?: boolean;
  /** The fold has one training case, repeated for the run's inner validation. */
  readonly repeatedCase?: boolean;
  /** Evaluations: the held-out case ids scored. */
  readonly test?: readonly string[];
}

/** A job as a stage builder describes it; {@link StageContext.job} completes it. */
export type JobDraft = Omit<PlannedJob, 'hash' | 'resolvedConfig' | 'totalSteps'> & {
  /** Content the job reads besides its config (hashes of genotype files, case lists): part of its hash. */
  readonly inputs?: Readonly<Record<string, unknown>>;
  /** Training steps of a job without a run config of its own (search-quality: all its stand-alone trainings). */
  readonly totalSteps?: number;
};

/** One job of an experiment: an ordinary voxnas run directory and the commands that fill it. */
export interface PlannedJob {
  /** The job's directory relative to the experiment (`jobs/<task>/fold-0/unet/seed-1/train`); unique. */
  readonly id: string;
  readonly kind: Stage;
  /** Absolute directory of the job (a voxnas run directory for searches and trainings). */
  readonly dir: string;
  /** Ids of the jobs that must finish first. */
  readonly deps: readonly string[];
  readonly steps: readonly JobStep[];
  /** The partial run config the job's command reads (`job-config.json`), or null. */
  readonly config: Record<string, unknown> | null;
  /** Steps of the search or training (for progress and the cost estimate). */
  readonly totalSteps: number | null;
  /** The resolved run config (searches and trainings). */
  readonly resolvedConfig: VoxnasConfig | null;
  readonly meta: JobMeta;
  /** sha256 over what the job does (commands, config, inputs, its dependencies' hashes), relative to the experiment directory. */
  readonly hash: string;
}

/** The job graph of an experiment, in an order where every job comes after its dependencies. */
export interface JobGraph {
  readonly jobs: readonly PlannedJob[];
  readonly byId: ReadonlyMap<string, PlannedJob>;
  /** Adaptations the planner made (each one line), e.g. inner folds reduced to the cases a fold has. */
  readonly notes: readonly string[];
}

/** What a stage builder gets. */
export interface StageContext {
  readonly resolved: ResolvedSpec;
  readonly expDir: string;
  readonly tasks: readonly PreparedTask[];
  /** Jobs of earlier stages. */
  readonly jobs: ReadonlyMap<string, PlannedJob>;
  /** Adds a note to the plan. */
  note(line: string): void;
  /** Finishes a job: computes its hash (from its dependencies' hashes) and validates its config. */
  job(j: JobDraft): PlannedJob;
}

/**
 * A stage of the job graph. The experiment's graph is {@link STAGE_BUILDERS} run in order; a new kind
 * of stage (e.g. a search-quality diagnostic run after each search, depending on its search job) is one
 * more builder here plus its `Stage` name and resources entry in the spec schema — the executors,
 * `status` and the hashing handle any job.
 */
export type StageBuilder = (ctx: StageContext) => PlannedJob[];

function rel(expDir: string, path: string): string {
  return relative(expDir, path).split(sep).join('/');
}

/** Replaces the experiment directory in every string of `v` by `<exp>` (hashes survive a move). */
function portable(v: unknown, expDir: string): unknown {
  if (typeof v === 'string') return v.startsWith(expDir) ? `<exp>${v.slice(expDir.length).split(sep).join('/')}` : v;
  if (Array.isArray(v)) return v.map((x) => portable(x, expDir));
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, x]) => [k, portable(x, expDir)]),
    );
  }
  return v;
}

function fileHash(path: string): string {
  return existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'missing';
}

/** The search seed a training seed uses. */
function searchSeed(resolved: ResolvedSpec, seed: number): number {
  return resolved.spec.search.repeat === 'per-seed' ? seed : resolved.spec.seeds[0]!;
}

/** The directory of the search whose genotype `task`'s trainings of `fold`, `seed` use. */
export function searchDirFor(resolved: ResolvedSpec, expDir: string, task: string, fold: number, seed: number): string {
  const s = searchSeed(resolved, seed);
  return resolved.spec.search.protocol === 'once'
    ? layout.onceSearch(expDir, resolved.spec.search.task!, s)
    : layout.foldSearch(expDir, task, fold, s);
}

/** Which tasks get per-fold searches: those with a searched or matched-U-Net arm, and transfer sources. */
function searchedTasks(resolved: ResolvedSpec): Set<string> {
  const { spec } = resolved;
  const out = new Set<string>();
  const needs = spec.arms.some((a) => a.kind === 'searched' || (a.kind === 'unet' && a.size === 'matched'));
  if (spec.search.protocol === 'once') {
    if (needs || spec.arms.some((a) => a.kind === 'transfer')) out.add(spec.search.task!);
    return out;
  }
  if (needs) for (const t of spec.tasks) out.add(t.name);
  for (const a of spec.arms) if (a.kind === 'transfer') out.add(a.from);
  return out;
}

/** The run config of a job on `task` of fold `fold`, before the inner split is fitted. */
function jobConfig(
  ctx: StageContext,
  o: { task: PreparedTask; layer: Record<string, unknown>; kind: 'search' | 'train'; seed: number; dataset: string; trainCases: number | null; where: string; fold: number | null },
): Record<string, unknown> {
  const { spec } = ctx.resolved;
  const merged = mergeConfig(spec.config, spec.tasks[o.task.index]!.config, o.layer, budgetConfig(spec, o.kind), { seed: o.seed, data: { dataset: o.dataset } });
  const r = validateConfig(merged);
  if (!r.ok) throw new ExperimentSpecError(`${o.where}: ${r.problems.join('; ')}`, { issues: r.problems });
  const min = minimumPatch(r.config);
  if (min && r.config.data.patchSize.some((n, a) => n < min[a]!)) {
    const problem = `${o.where}: field 'data.patchSize' is [${r.config.data.patchSize.join(', ')}], but the search space's networks need at least [${min.join(', ')}] (x, y, z: 2^(levels−1) × the candidate operators' smallest input); a patch may be larger than the images (it is padded)`;
    throw new ExperimentSpecError(problem, { issues: [problem] });
  }
  // The run's own (inner) split of the cases it sees: never more folds than cases.
  if (o.trainCases !== null) {
    const folds = Math.min(r.config.data.folds, Math.max(2, o.trainCases));
    const fold = Math.min(r.config.data.fold, folds - 1);
    if (folds !== r.config.data.folds || fold !== r.config.data.fold) {
      ctx.note(
        `task '${o.task.name}'${o.fold === null ? ' (search cases)' : ` fold ${o.fold}`}: the runs' inner split data.folds ${r.config.data.folds} → ${folds}, data.fold ${r.config.data.fold} → ${fold} (${o.trainCases} training case(s))`,
      );
      return mergeConfig(merged, { data: { folds, fold } });
    }
  }
  return merged;
}

const searchStage: StageBuilder = (ctx) => {
  const { resolved, expDir, tasks } = ctx;
  const { spec } = resolved;
  const seeds = [...new Set(spec.seeds.map((s) => searchSeed(resolved, s)))];
  const out: PlannedJob[] = [];
  for (const task of tasks.filter((t) => searchedTasks(resolved).has(t.name))) {
    const folds = spec.search.protocol === 'once' ? [null] : foldsRun(spec);
    for (const fold of folds) {
      for (const seed of seeds) {
        const dir = fold === null ? layout.onceSearch(expDir, task.name, seed) : layout.foldSearch(expDir, task.name, fold, seed);
        const dataset = fold === null ? layout.searchCases(expDir, task.name) : layout.foldTrain(expDir, task.name, fold);
        const trainCases = task.folds.length ? (fold === null ? searchCaseCount(ctx, task) : Math.max(2, task.folds[fold]!.train.length)) : null;
        const where = `search of task '${task.name}'${fold === null ? '' : ` fold ${fold}`} seed ${seed}`;
        const config = jobConfig(ctx, { task, layer: spec.search.config, kind: 'search', seed, dataset, trainCases, where, fold });
        out.push(
          ctx.job(
            {
              id: rel(expDir, dir),
              kind: 'search',
              dir,
              deps: [],
              steps: [{ argv: ['search', '--config', join(dir, JOB_FILES.config), '--out', dir], resume: ['search', '--resume', dir] }],
              config,
              meta: { task: task.name, ...(fold === null ? {} : { fold }), seed },
              ...(fold === null ? { inputs: { searchCases: searchCaseIdsOf(ctx, task) } } : {}),
            },
          ),
        );
      }
    }
  }
  return out;
};

/** The case ids of the protocol-once search dataset (empty before the data is prepared). */
function searchCaseIdsOf(ctx: StageContext, task: PreparedTask): string[] {
  const file = join(layout.searchCases(ctx.expDir, task.name), 'dataset.json');
  if (!existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, 'utf8')) as { training: Array<{ image: string }> }).training.map((e) =>
    e.image.replace(/^.*[/\\]/, '').replace(/\.nii(\.gz)?$/i, ''),
  );
}

function searchCaseCount(ctx: StageContext, task: PreparedTask): number {
  return Math.max(2, searchCaseIdsOf(ctx, task).length);
}

const trainStage: StageBuilder = (ctx) => {
  const { resolved, expDir, tasks } = ctx;
  const { spec } = resolved;
  const out: PlannedJob[] = [];
  for (const task of tasks) {
    for (const arm of spec.arms) {
      if (arm.kind === 'transfer' && arm.from === task.name) continue;
      const genotypes = arm.kind === 'random' ? Array.from({ length: arm.count }, (_, r) => r) : [null];
      for (const fold of foldsRun(spec)) {
        for (const seed of spec.seeds) {
          for (const r of genotypes) {
            const armDir = r === null ? arm.name : `${arm.name}-${r}`;
            const dir = layout.train(expDir, task.name, fold, armDir, seed);
            const searchFrom = arm.kind === 'transfer' ? arm.from : spec.search.protocol === 'once' ? spec.search.task! : task.name;
            const searchDir = searchDirFor(resolved, expDir, searchFrom, fold, seed);
            const searchGenotype = join(searchDir, 'genotype.json');
            let arch: string[];
            let deps: string[] = [];
            let inputs: Record<string, string> = {};
            let derive: string[] | null = null;
            switch (arm.kind) {
              case 'searched':
                deps = [rel(expDir, searchDir)];
                if (arm.derive) {
                  const derived = join(dir, JOB_FILES.derivedGenotype);
                  derive = ['derive', '--run', searchDir, '--out', derived, '--from', arm.derive.from, '--operators', arm.derive.operators];
                  arch = ['--arch', derived];
                } else {
                  arch = ['--arch', searchGenotype];
                }
                break;
              case 'transfer':
                arch = ['--arch', searchGenotype];
                deps = [rel(expDir, searchDir)];
                break;
              case 'unet':
                arch = arm.size === 'matched' ? ['--arch', 'unet', '--match', searchGenotype] : ['--arch', 'unet'];
                if (arm.size === 'matched') deps = [rel(expDir, searchDir)];
                break;
              case 'random': {
                const file = layout.randomGenotype(expDir, task.name, arm.name, r!);
                arch = ['--arch', file];
                inputs = { genotype: fileHash(file) };
                break;
              }
              case 'genotype': {
                const file = resolved.genotypes.get(arm.name)!.path;
                arch = ['--arch', file];
                inputs = { genotype: fileHash(file) };
                break;
              }
            }
            const where = `arms '${arm.name}' on task '${task.name}' (tasks[${task.index}].config + arms[${spec.arms.indexOf(arm)}].config) fold ${fold} seed ${seed}`;
            const f = task.folds[fold];
            const config = jobConfig(ctx, {
              task,
              layer: arm.config,
              kind: 'train',
              seed,
              dataset: layout.foldTrain(expDir, task.name, fold),
              trainCases: f ? Math.max(2, f.train.length) : null,
              where,
              fold,
            });
            const searched = arm.kind === 'searched' || arm.kind === 'transfer';
            out.push(
              ctx.job(
                {
                  id: rel(expDir, dir),
                  kind: 'train',
                  dir,
                  deps,
                  steps: [
                    ...(derive ? [{ argv: derive }] : []),
                    { argv: ['train', '--config', join(dir, JOB_FILES.config), '--out', dir, ...arch], resume: ['train', '--resume', dir] },
                  ],
                  config,
                  meta: {
                    task: task.name,
                    fold,
                    seed,
                    arm: arm.name,
                    armKind: arm.kind,
                    ...(r === null ? {} : { genotype: r }),
                    ...(searched ? { searchedOn: searchFrom } : {}),
                    ...(deps.length ? { search: deps[0]! } : {}),
                    ...(f?.repeated ? { repeatedCase: true } : {}),
                  },
                  ...(Object.keys(inputs).length ? { inputs } : {}),
                },
              ),
            );
          }
        }
      }
    }
  }
  return out;
};

const evaluateStage: StageBuilder = (ctx) => {
  const { resolved, expDir, tasks } = ctx;
  const { spec } = resolved;
  const out: PlannedJob[] = [];
  const searchCases = new Map<string, Set<string>>();
  for (const job of ctx.jobs.values()) {
    if (job.kind !== 'train') continue;
    const m = job.meta;
    const task = tasks.find((t) => t.name === m.task)!;
    const dir = join(job.dir, '..', 'eval');
    const test = layout.foldTest(expDir, task.name, m.fold!);
    const labels = Array.from({ length: task.classes - 1 }, (_, i) => i + 1).join(',');
    let saw = false;
    if (spec.search.protocol === 'once' && m.searchedOn === task.name && task.folds.length) {
      if (!searchCases.has(task.name)) searchCases.set(task.name, new Set(searchCaseIdsOf(ctx, task)));
      saw = task.folds[m.fold!]!.test.some((id) => searchCases.get(task.name)!.has(id));
    }
    out.push(
      ctx.job(
        {
          id: rel(expDir, dir),
          kind: 'evaluate',
          dir,
          deps: [job.id],
          steps: [
            { argv: ['predict', '--run', job.dir, '--input', join(test, 'imagesTs'), '--out', join(dir, 'predictions')] },
            { argv: ['evaluate', '--pred', join(dir, 'predictions'), '--ref', join(test, 'labelsTs'), '--out', dir, '--labels', labels] },
          ],
          config: null,
          meta: { ...m, ...(saw ? { sawSearchCases: true } : {}), test: task.folds[m.fold!]?.test ?? [] },
        },
      ),
    );
  }
  return out;
};

const aggregateStage: StageBuilder = (ctx) => {
  const dir = layout.report(ctx.expDir);
  return [
    ctx.job(
      {
        id: rel(ctx.expDir, dir),
        kind: 'aggregate',
        dir,
        deps: [...ctx.jobs.values()].filter((j) => j.kind === 'evaluate' || j.kind === 'search-quality').map((j) => j.id),
        steps: [{ argv: ['experiment', 'report', ctx.expDir] }],
        config: null,
        meta: {},
      },
    ),
  ];
};

/**
 * With the spec's `searchQuality`: one `voxnas search-quality` job per search (after it), scoring
 * `samples` random genotypes and the derived one with the supernet's weights and training each alone
 * for `steps` steps (default: the budget's trainSteps, else the search's train.steps). Its threads are
 * the stage's `cpus`, like any job's, so it never competes with the other jobs for every core.
 */
const searchQualityStage: StageBuilder = (ctx) => {
  const quality = ctx.resolved.spec.searchQuality;
  if (!quality) return [];
  const out: PlannedJob[] = [];
  for (const search of ctx.jobs.values()) {
    if (search.kind !== 'search') continue;
    const steps = quality.steps ?? ctx.resolved.spec.budget.trainSteps ?? search.resolvedConfig!.train.steps;
    const dir = layout.searchQuality(search.dir);
    out.push(
      ctx.job({
        id: rel(ctx.expDir, dir),
        kind: 'search-quality',
        dir,
        deps: [search.id],
        steps: [{ argv: ['search-quality', '--run', search.dir, '--out', dir, '--samples', String(quality.samples), '--steps', String(steps)] }],
        config: null,
        meta: { ...search.meta, search: search.id },
        totalSteps: (quality.samples + 1) * steps,
      }),
    );
  }
  return out;
};

/** The stages of an experiment, in order (see {@link StageBuilder} to add one). */
export const STAGE_BUILDERS: readonly StageBuilder[] = [searchStage, searchQualityStage, trainStage, evaluateStage, aggregateStage];

/**
 * Expands a spec into its job graph: searches → trainings → evaluations → the report. Every job is an
 * ordinary voxnas run directory filled by ordinary commands (`voxnas search`/`train --out`, resumed
 * with `--resume`; `voxnas predict` + `voxnas evaluate --out`), so each one is resumable and
 * inspectable on its own. Each job's hash covers its commands, its run config, its input files and
 * its dependencies' hashes (paths relative to the experiment), so a changed spec is detected per job.
 * Every job's run config is validated here: a bad combination of task and arm fields fails before
 * any job starts, naming both.
 *
 * @example
 * const graph = expandGraph({ resolved, expDir: '/runs/study', tasks: await prepareTasks(resolved, '/runs/study') });
 * graph.jobs.filter((j) => j.kind === 'train').length; // tasks × arms × folds × seeds (× R for random arms)
 */
export function expandGraph(o: { resolved: ResolvedSpec; expDir: string; tasks: readonly PreparedTask[] }): JobGraph {
  const jobs = new Map<string, PlannedJob>();
  const notes: string[] = [];
  const ctx: StageContext = {
    resolved: o.resolved,
    expDir: o.expDir,
    tasks: o.tasks,
    jobs,
    note: (line) => notes.push(line),
    job: ({ inputs, totalSteps: given, ...j }) => {
      const resolvedConfig = j.config ? (validateConfig(j.config) as { ok: true; config: VoxnasConfig }).config : null;
      const totalSteps = j.kind === 'search' ? resolvedConfig!.search.steps : j.kind === 'train' ? resolvedConfig!.train.steps : (given ?? null);
      const depHashes = j.deps.map((d) => {
        const dep = jobs.get(d);
        if (!dep) throw new ExperimentSpecError(`internal: job ${j.id} depends on ${d}, which is not planned`);
        return dep.hash;
      });
      const hash = createHash('sha256')
        .update(
          JSON.stringify(
            portable(
              { kind: j.kind, steps: j.steps, config: j.config, deps: depHashes, inputs: inputs ?? null, data: dataOf(o.resolved, o.tasks, j.meta) },
              o.expDir,
            ),
          ),
        )
        .digest('hex');
      return { ...j, totalSteps, resolvedConfig, hash };
    },
  };
  for (const build of STAGE_BUILDERS) {
    for (const job of build(ctx)) {
      if (jobs.has(job.id)) throw new ExperimentSpecError(`internal: two jobs share the directory ${job.id}`);
      jobs.set(job.id, job);
    }
  }
  return { jobs: [...jobs.values()], byId: jobs, notes: [...new Set(notes)] };
}

/** The data a job uses (part of its hash: another dataset, phantom or split changes the job). */
function dataOf(resolved: ResolvedSpec, tasks: readonly PreparedTask[], meta: JobMeta): unknown {
  if (meta.task === undefined) return null;
  const task = tasks.find((t) => t.name === meta.task);
  const index = resolved.spec.tasks.findIndex((t) => t.name === meta.task);
  const source = index >= 0 ? taskSourceOf(resolved, index) : null;
  if (!task || meta.fold === undefined) return { task: meta.task, source };
  const f = task.folds[meta.fold];
  return { task: meta.task, source, fold: meta.fold, train: f?.train ?? null, test: f?.test ?? null };
}
