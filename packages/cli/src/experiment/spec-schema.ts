import { DERIVE_OPERATORS } from '@voxnas/supernet';
import { z } from 'zod';

// The experiment spec (`voxnas experiment run <spec.yaml>`), declared once, in the style of the run
// config (config-schema.ts): every field has a type, a default where one makes sense and a
// description; unknown fields are rejected. The run config itself is not repeated here: `config`
// sections hold partial run configs, validated by the run config's own schema (see spec.ts).

/** A name that becomes a directory: any text but '/', control characters, '.' and '..'. */
const dirName = () =>
  z
    .string()
    .min(1)
    .max(120)
    .refine((s) => ![...s].some((c) => c === '/' || c === '\\' || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) && s !== '.' && s !== '..' && s.trim() === s, {
      message: "must not contain '/', '\\' or control characters, start or end with a space, or be '.' or '..'",
    });

/**
 * A partial run config (a `voxnas.yaml` as an object, or the path of one relative to the spec file);
 * validated against the run config's schema.
 */
const runConfig = () =>
  z
    .union([z.string().min(1), z.record(z.string(), z.unknown())])
    .default({})
    .describe('a partial run config — the fields of voxnas.yaml, or the path of such a file (relative to the spec) — merged over the sections above it');

const resources = z
  .strictObject({
    partition: z.string().min(1).optional().describe('Slurm partition (default: the cluster default)'),
    gpus: z.int().min(0).default(0).describe('GPUs per job (`--gres=gpu:N`); 0 for none'),
    cpus: z.int().min(1).default(1).describe('CPU cores per job (`--cpus-per-task`; the local executor gives each job this many threads)'),
    mem: z
      .string()
      .regex(/^\d+[KMGT]?$/, 'must be a Slurm memory size such as 4G or 1500M')
      .default('4G')
      .describe('memory per job (`--mem`), e.g. 4G'),
    time: z
      .string()
      .regex(/^(\d+-)?\d+(:\d{2}){0,2}$/, 'must be a Slurm time limit such as 30, 4:00:00 or 1-12:00:00')
      .default('24:00:00')
      .describe('wall-time limit (`--time`), e.g. 4:00:00'),
    requeue: z.boolean().default(true).describe('let Slurm requeue (preempt) the job (`--requeue`); jobs resume from their checkpoint'),
    sbatch: z.array(z.string().startsWith('--')).default([]).describe('further sbatch options, each one argument (e.g. `--account=lab`, `--qos=long`)'),
  })
  .prefault({});

const ARM_COMMON = {
  name: dirName().describe('the arm as the report names it (also its directory name)'),
  config: runConfig(),
};

const searchedArm = z.strictObject({
  kind: z.literal('searched').describe('the network found by the search (see `search`)'),
  ...ARM_COMMON,
  derive: z
    .strictObject({
      from: z.enum(['best', 'final']).default('final').describe("whose α: `final` (the search's last snapshot) or `best` (the snapshot it kept)"),
      operators: z
        .enum(DERIVE_OPERATORS)
        .default('edge')
        .describe("`edge`: each kept edge its most probable operator (DARTS); `cell`: one operator per cell type, the one with the most probability summed over the type's edges"),
    })
    .optional()
    .describe(
      "derive the genotype again from the search's α (`voxnas derive`, in the training job) instead of training the search's genotype.json; several searched arms with different rules share one search, so they compare paired",
    ),
});
const unetArm = z.strictObject({
  kind: z.literal('unet').describe('a 3D U-Net baseline'),
  ...ARM_COMMON,
  size: z
    .enum(['matched', 'preset'])
    .default('matched')
    .describe("`matched`: width chosen so its parameter count matches the searched network's (per fold and seed); `preset`: the run config's search.levels and search.baseChannels"),
});
const randomArm = z.strictObject({
  kind: z.literal('random').describe('R random genotypes of the same search space'),
  ...ARM_COMMON,
  count: z.int().min(1).max(100).default(3).describe('R: how many independent random genotypes (each trained on every fold and seed)'),
});
const genotypeArm = z.strictObject({
  kind: z.literal('genotype').describe("a genotype file of yours (e.g. another study's result)"),
  ...ARM_COMMON,
  file: z.string().min(1).describe('the genotype.json (relative to the spec file)'),
});
const transferArm = z.strictObject({
  kind: z.literal('transfer').describe("the genotype searched on another task, trained on this one (the paper's transfer study)"),
  ...ARM_COMMON,
  from: z.string().min(1).describe("the task whose search is reused (per-fold protocol: that task's search of the same fold index and seed)"),
});

/** The kinds of arm an experiment can compare. */
export const ARM_KINDS = ['searched', 'unet', 'random', 'genotype', 'transfer'] as const;

const task = z.strictObject({
  name: dirName().describe('the task as the report names it (also its directory name)'),
  dataset: z
    .string()
    .min(1)
    .describe('a dataset directory (MSD, nnU-Net v2 or folder pairs; relative to the spec file), `phantom`, `planted:in-plane` / `planted:long-range` (tasks whose best operators are known), or `atlas:human-deep-grey` / `atlas:macaque-basal-ganglia`'),
  phantom: z
    .strictObject({
      cases: z.int().min(2).default(8).describe('cases'),
      shape: z.tuple([z.int().min(8), z.int().min(8), z.int().min(8)]).default([48, 40, 32]).describe('voxels x y z'),
      modalities: z.int().min(1).max(4).default(2).describe('image channels'),
    })
    .prefault({})
    .describe('the built-in phantom dataset (only with dataset: phantom)'),
  planted: z
    .strictObject({
      cases: z.int().min(2).default(8).describe('cases'),
      shape: z.tuple([z.int().min(8), z.int().min(8), z.int().min(4)]).default([32, 32, 16]).describe('voxels x y z'),
    })
    .prefault({})
    .describe('a built-in planted task (only with dataset: planted:in-plane or planted:long-range)'),
  channels: z.int().min(1).optional().describe('image channels, for --dry-run when the data is not on this machine (read from dataset.json otherwise)'),
  classes: z.int().min(2).optional().describe('classes with background, for --dry-run when the data is not on this machine'),
  config: runConfig(),
});

/**
 * The zod schema of an experiment spec. Use {@link validateExperimentSpec} (field-named errors, every
 * problem at once, cross-field rules, run-config overrides checked) rather than parsing with it directly.
 *
 * @example
 * EXPERIMENT_SPEC_SCHEMA.parse({ tasks: [{ name: 'phantom', dataset: 'phantom' }], arms: [{ kind: 'unet', name: 'unet', size: 'preset' }] }).folds; // 5
 */
export const EXPERIMENT_SPEC_SCHEMA = z
  .strictObject({
    $schema: z.string().optional().describe('the JSON Schema of this file, for editors (ignored)'),
    name: z.string().min(1).optional().describe('the study, as the report titles it (default: the file name)'),
    out: z.string().min(1).optional().describe('the experiment directory (relative to the spec file; `--out` overrides)'),
    seed: z
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(0)
      .describe('seed of the fold splits, the phantom data, the random genotypes and the bootstrap'),
    seeds: z
      .array(z.int().min(0).max(2 ** 32 - 1))
      .min(1)
      .default([0])
      .describe('training seeds: every (task, arm, fold) is trained once per seed'),
    folds: z.int().min(2).max(20).default(5).describe('k of the k-fold cross-validation'),
    runFolds: z
      .array(z.int().min(0))
      .min(1)
      .optional()
      .describe('the outer folds that run (default: every fold), as nnU-Net trains one fold at a time; a study of fewer folds tests on fewer cases'),
    config: runConfig().describe('the run config every job starts from (voxnas.yaml fields)'),
    budget: z
      .strictObject({
        searchSteps: z.int().min(1).optional().describe('steps of every search (overrides search.steps)'),
        trainSteps: z.int().min(1).optional().describe('steps of every training (overrides train.steps)'),
      })
      .prefault({})
      .describe('step budgets (the same for every arm, so the comparison is fair)'),
    tasks: z.array(task).min(1).describe('the datasets of the study'),
    search: z
      .strictObject({
        protocol: z
          .enum(['per-fold', 'once'])
          .default('per-fold')
          .describe("`per-fold` (leak-free): a search per fold on that fold's training cases only; `once`: one search on `task`'s `cases`, reused everywhere (the transfer setting)"),
        task: z.string().min(1).optional().describe('protocol once: the task searched on'),
        cases: z
          .union([z.literal('all'), z.array(z.string().min(1)).min(1), z.strictObject({ fold: z.int().min(0) })])
          .optional()
          .describe("protocol once: the cases searched on — `all`, a list of case ids, or `{ fold: k }` (fold k's training cases)"),
        repeat: z
          .enum(['per-seed', 'once'])
          .default('per-seed')
          .describe('`per-seed`: a search per training seed (search variance shows in the results); `once`: one search (seed = seeds[0]) shared by all seeds'),
        config: runConfig().describe('run-config fields for the searches only'),
      })
      .prefault({})
      .describe('how architectures are searched'),
    searchQuality: z
      .strictObject({
        samples: z.int().min(2).max(1000).default(8).describe('random genotypes drawn from the search space besides the derived one (≥ 2)'),
        steps: z.int().min(1).optional().describe("training steps of each stand-alone network (default: the budget's trainSteps, else the search run's train.steps)"),
      })
      .optional()
      .describe(
        'a search-quality job after every search (`voxnas search-quality`): does the supernet rank architectures like training them alone does? Kendall τ and Spearman ρ in the report',
      ),
    arms: z
      .array(z.discriminatedUnion('kind', [searchedArm, unetArm, randomArm, genotypeArm, transferArm]))
      .min(1)
      .describe('the networks compared on every task'),
    report: z
      .strictObject({
        resamples: z.int().min(100).default(2000).describe('bootstrap resamples of the confidence intervals'),
        confidence: z.number().gt(0).lt(1).default(0.95).describe('confidence level of the intervals'),
      })
      .prefault({})
      .describe('statistics of the report'),
    resources: z
      .strictObject({
        search: resources.describe('each search job'),
        'search-quality': resources.describe('each search-quality job (its stand-alone trainings run one after another in it)'),
        train: resources.describe('each training job'),
        evaluate: resources.describe('each evaluation job'),
        aggregate: resources.describe('the report job'),
      })
      .prefault({})
      .describe('per-stage resources: Slurm options, and the threads of a job under the local executor'),
  })
  .describe('A voxnas experiment spec: tasks × arms × folds × seeds, run by `voxnas experiment run`.');

type Parsed = Omit<z.output<typeof EXPERIMENT_SPEC_SCHEMA>, '$schema'>;
/** A run-config section after its file (if it named one) was read. */
type Section = Record<string, unknown>;
type WithSection<T> = T extends unknown ? Omit<T, 'config'> & { config: Section } : never;

/** A resolved experiment spec (defaults filled in, run-config files read). */
export type ExperimentSpec = WithSection<Omit<Parsed, 'tasks' | 'arms' | 'search'>> & {
  tasks: Array<WithSection<Parsed['tasks'][number]>>;
  arms: Array<WithSection<Parsed['arms'][number]>>;
  search: WithSection<Parsed['search']>;
};
/** A spec as written in a file. */
export type ExperimentSpecInput = z.input<typeof EXPERIMENT_SPEC_SCHEMA>;
/** One arm of a spec. */
export type ArmSpec = ExperimentSpec['arms'][number];
/** One task of a spec. */
export type TaskSpec = ExperimentSpec['tasks'][number];
/** Resources of one stage. */
export type StageResources = ExperimentSpec['resources']['train'];
/** The stages of an experiment's job graph, in order. */
export const STAGES = ['search', 'search-quality', 'train', 'evaluate', 'aggregate'] as const;
/** One stage. */
export type Stage = (typeof STAGES)[number];
