import { z } from 'zod';
import { LOSS_KINDS } from '@voxnas/metrics';
import { SEARCH_MODES } from '@voxnas/search';
import { ALPHA_SHARING, CELL_RECOMPUTE_MODES, SAMPLER_KINDS, TEMPERATURE_SCHEDULE_KINDS } from '@voxnas/supernet';
import { OPTIMIZER_KINDS, SCHEDULE_KINDS } from '@voxnas/train';

// The run config, declared once. Everything else is derived from this file: the TypeScript type
// (`VoxnasConfig`), the defaults (`DEFAULT_CONFIG`), validation with field-named errors
// (`resolveConfig`), the published JSON Schema (`voxnas.schema.json`, `pnpm --filter voxnas schema`)
// and the per-field help (`voxnas help config`). To add a field: add it to its section below with a
// type, a `.default(…)` and a `.describe(…)`; add a section as a `z.strictObject({…}).prefault({})`.
// Choices that belong to a domain package come from that package's own list.

/** A positive integer (≥ 1). */
const count = () => z.int().min(1);
/** A step count of a loop (≥ 0 allowed). */
const steps0 = () => z.int().min(0);
/** A learning rate or temperature: a finite number > 0. */
const positive = () => z.number().positive();

const dataSection = z
  .strictObject({
    dataset: z
      .string()
      .min(1)
      .default('phantom')
      .describe('dataset directory (MSD, nnU-Net v2 or folder pairs), or `phantom` (built-in synthetic data)'),
    phantomCases: z.int().min(2).default(8).describe('cases of the phantom dataset (ignored for a dataset directory)'),
    fold: z.int().min(0).default(0).describe('validation fold'),
    folds: z.int().min(2).default(4).describe('number of folds'),
    plan: z
      .string()
      .min(1)
      .default('auto')
      .describe(
        "`auto`: fingerprint the dataset and plan its preparation (target spacing, cropping, normalisation, patch and batch size) when the run starts, saved as <run>/plan.json; or a plan.json written by `voxnas plan`. Fields this config sets win over the plan's",
      ),
    spacingMm: z
      .union([z.literal('auto'), z.tuple([positive(), positive(), positive()])])
      .default('auto')
      .describe("voxel spacing in mm (x y z) every case is resampled to; `auto`: the plan's (median spacing; a low percentile along a very anisotropic axis, nnU-Net's rule)"),
    normalization: z
      .union([z.literal('auto'), z.array(z.enum(['auto', 'ct', 'z-score', 'none'])).min(1)])
      .default('auto')
      .describe(
        'intensity normalisation per channel: `ct` (clip to the dataset foreground 0.5/99.5 percentiles, z-score with its mean and sd), `z-score` (per case), `none`; `auto` (all or per channel): from dataset.json `modality`/`channel_names` (CT → ct, else z-score)',
      ),
    patchSize: z
      .tuple([count(), count(), count()])
      .default([32, 32, 32])
      .describe("patch (and sliding window) size in voxels, x y z; multiples of 2^search.levels. Not set: the plan's patch size"),
    batchSize: count().default(2).describe("patches per step. Not set: the plan's batch size"),
    sampler: z
      .enum(['foreground', 'class-balanced'])
      .default('foreground')
      .describe('patch sampler: `foreground` (nnU-Net: foregroundFraction of each batch forced to contain a foreground class) or `class-balanced` (each patch forced to contain a class drawn by classRatios — reaches thin structures)'),
    foregroundFraction: z.number().min(0).max(1).default(0.33).describe('foreground sampler: fraction of patches forced to contain foreground (nnU-Net: a third)'),
    classRatios: z
      .union([z.literal('uniform'), z.array(z.number().min(0)).min(2)])
      .default('uniform')
      .describe('class-balanced sampler: relative share of patches forced to contain each class, background first (one number per class); `uniform`: equal shares'),
    augmentation: z
      .enum(['default', 'light', 'none'])
      .default('default')
      .describe('training augmentation: `default` (nnU-Net-like: rotation, scaling, noise, blur, brightness/contrast, low resolution, gamma, mirroring), `light` (cheaper on a CPU), `none`'),
    workers: z.int().min(0).max(64).default(0).describe('loader worker threads (0 = main thread)'),
  })
  .prefault({})
  .describe('the dataset, its fold split and the training patches');

const searchSection = z
  .strictObject({
    levels: z.int().min(1).max(6).default(3).describe('resolutions of the U'),
    baseChannels: count().default(8).describe('channels at the finest level'),
    nodes: z.int().min(1).max(8).default(3).describe('intermediate nodes per cell'),
    candidates: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'candidate operators of every edge, by registry name (custom ones included); empty: the built-in defaults of @voxnas/supernet. An unknown name is an error naming it',
      ),
    sampler: z.enum(SAMPLER_KINDS).default('gumbel').describe('path sampler: `gumbel` (the paper), `full` (DARTS) or `uniform`'),
    k: count().default(1).describe('paths sampled per edge by the gumbel sampler'),
    weightSampler: z
      .enum(['same', 'uniform'])
      .default('same')
      .describe(
        'paths of the weight steps: `same` (from `sampler`, as the paper) or `uniform` (every candidate trained equally often whatever α says, as SPOS/FairNAS; α still learns through `sampler`)',
      ),
    alphaSharing: z
      .enum(ALPHA_SHARING)
      .default('cell')
      .describe(
        'α layout: `cell` (one vector per edge plus one operator vector per cell type added to all its edges\' logits, so their shared preference accumulates; measured better than `edge` on two tasks and no worse on a third, docs/method.md) or `edge` (one vector per edge only, the paper)',
      ),
    tauStart: positive().default(5).describe('initial Gumbel temperature'),
    tauEnd: positive().default(0.5).describe('final Gumbel temperature'),
    tauSchedule: z.enum(TEMPERATURE_SCHEDULE_KINDS).default('exponential').describe('temperature schedule from tauStart to tauEnd over the search steps'),
    mode: z.enum(SEARCH_MODES).default('bilevel').describe('`bilevel` (α on held-out cases) or `joint` (α and weights on the same cases)'),
    warmupSteps: steps0().default(20).describe('weight-only steps before α is updated; < search.steps'),
    steps: count().default(100).describe('search steps'),
    weightLr: positive().default(3e-3).describe('learning rate of the supernet weights'),
    archLr: positive().default(3e-3).describe('learning rate of α'),
    deriveEvery: count().default(25).describe('derive and log the genotype every n steps'),
    score: z
      .enum(['dice', 'soft-dice'])
      .default('soft-dice')
      .describe(
        'how each derived genotype is scored on the validation cases (its child with the supernet weights) to keep the best one: `soft-dice` (Dice of the probabilities; ranks even children whose argmax is all background) or `dice` (of the labels)',
      ),
    checkpointEvery: count().default(10).describe('resumable checkpoint every n steps'),
    recompute: z
      .enum(CELL_RECOMPUTE_MODES)
      .default('none')
      .describe(
        'activation recomputation (gradient checkpointing) of the supernet: `cell` (a step keeps only the cells\' inputs and outputs and recomputes one cell at a time in the backward pass: about 3× less memory for about one more forward pass), `edge` (also one edge operator at a time inside the cell: about half that again, one more forward pass of the operators) or `none`; the same gradients (docs/memory.md)',
      ),
  })
  .prefault({})
  .describe('the architecture search (voxnas search)');

const trainSection = z
  .strictObject({
    steps: count().default(200).describe('training steps'),
    optimizer: z.enum(OPTIMIZER_KINDS).default('adamw').describe('optimiser (PyTorch semantics; sgd with Nesterov momentum 0.99)'),
    lr: positive().default(3e-3).describe('peak learning rate'),
    weightDecay: z.number().min(0).default(1e-4).describe('weight decay'),
    schedule: z.enum(SCHEDULE_KINDS).default('poly').describe('learning-rate schedule after the warm-up'),
    warmupSteps: steps0().default(10).describe('linear warm-up steps; < train.steps'),
    loss: z.enum(LOSS_KINDS).default('dice-ce').describe('training loss (dice-ce: soft Dice + cross-entropy, nnU-Net\'s)'),
    validateEvery: count().default(50).describe('validation Dice every n steps (best checkpoint kept)'),
    checkpointEvery: count().default(25).describe('resumable checkpoint every n steps'),
    recompute: z
      .enum(CELL_RECOMPUTE_MODES)
      .default('none')
      .describe(
        'activation recomputation (gradient checkpointing) of the trained network: `cell` or `edge` as search.recompute for a searched network; a U-Net recomputes per level block with either — the same gradients, much less memory, more time (docs/memory.md)',
      ),
  })
  .prefault({})
  .describe('training a network (voxnas train)');

const inferenceSection = z
  .strictObject({
    overlap: z.number().min(0).max(0.95).default(0.5).describe('sliding-window overlap (0 – 0.95)'),
    mirror: z.boolean().default(false).describe('test-time mirroring over x, y, z'),
    windowsPerBatch: count().default(2).describe('windows per forward pass'),
  })
  .prefault({})
  .describe('sliding-window inference (validation, evaluation, voxnas predict)');

/**
 * The zod schema of a voxnas run config (a `voxnas.yaml` / `.json` file). Every field is optional and
 * defaults as declared; unknown fields are rejected. Use {@link resolveConfig} (field-named
 * `ConfigError`s, every problem at once, cross-field rules) rather than parsing with it directly.
 *
 * @example
 * const cfg = CONFIG_SCHEMA.parse({ search: { steps: 10 } }); // cfg.search.levels === 3
 */
export const CONFIG_SCHEMA = z
  .strictObject({
    $schema: z.string().optional().describe('the JSON Schema of this file, for editors (ignored by voxnas)'),
    seed: z
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(0)
      .describe('root seed; forked by name into data, augment, sampler and init streams'),
    plugins: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'modules imported before any network is built — files (`./my-ops.mjs`, relative to the working directory; a run saves them absolute and re-imports them on --resume, predict and export) or package names — that register custom operators with `registerOperator` of @voxnas/ops',
      ),
    data: dataSection,
    search: searchSection,
    train: trainSection,
    inference: inferenceSection,
  })
  .describe('A voxnas run config (voxnas.yaml). Every field is optional; `voxnas help config` lists them.');

/** A resolved voxnas run config: every field present (see {@link CONFIG_SCHEMA} for meanings and defaults). */
export type VoxnasConfig = Omit<z.output<typeof CONFIG_SCHEMA>, '$schema'>;

/** A config as written in a file: every field optional. */
export type VoxnasConfigInput = z.input<typeof CONFIG_SCHEMA>;

/**
 * A rule between fields, checked after each field is valid on its own. `fields` are the dotted paths
 * it reads (the first one is where the problem is reported); `check` returns what is wrong, or null.
 */
export interface CrossFieldRule {
  readonly fields: readonly [string, ...string[]];
  check(cfg: VoxnasConfig): string | null;
}

/** The rules between config fields; `resolveConfig` reports each one that fails. */
export const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  {
    fields: ['data.fold', 'data.folds'],
    check: (c) => (c.data.fold < c.data.folds ? null : `field 'data.fold' is ${c.data.fold}, expected < data.folds (${c.data.folds})`),
  },
  ...(['search', 'train'] as const).map(
    (s): CrossFieldRule => ({
      fields: [`${s}.warmupSteps`, `${s}.steps`],
      check: (c) =>
        c[s].warmupSteps < c[s].steps
          ? null
          : `field '${s}.warmupSteps' is ${c[s].warmupSteps}, expected < ${s}.steps (${c[s].steps})`,
    }),
  ),
  {
    fields: ['data.patchSize', 'search.levels'],
    check: (c) => {
      const multiple = 2 ** c.search.levels;
      const bad = c.data.patchSize.findIndex((n) => n % multiple !== 0);
      return bad < 0
        ? null
        : `field 'data.patchSize' is [${c.data.patchSize.join(', ')}], expected multiples of 2^levels = ${multiple} (axis ${'xyz'[bad]})`;
    },
  },
];
