import { saveWeights } from '@voxnas/ops/node';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { Network } from '@voxnas/ops';
import { parseGenotype, sampleRandomGenotype, genotypeCost, validateGenotype, type Genotype } from '@voxnas/supernet';
import { type JsonValue, Rng } from '@voxnas/core';
import { Trainer, evaluateCases, hasCheckpoint, segmentationValidator, writePrediction, type EvaluationCase } from '@voxnas/train/node';
import { predictCase, type OptimizerSpec, type Schedule } from '@voxnas/train';
import type { VoxnasConfig } from '../config.js';
import { ConfigError, UsageError } from '../errors.js';
import { defineCommand } from '../command.js';
import { ARCH_FILE, readJsonFile, readNetworkSpec } from '../run-files.js';
import { atomicWrite } from '@voxnas/core/node';
import { createProgress } from '../progress.js';
import { buildNetwork, countParameters, matchedUNetSpec, spaceFromConfig, type NetworkSpec } from '../pipeline/network.js';
import {
  batchSource,
  foregroundLabels,
  lossFromConfig,
  resolveRunConfig,
  resumeFromCheckpoint,
  RUN_FLAGS,
  startRun,
  validationCases,
  type RunFlags,
} from '../pipeline/run.js';
import type { PreparedData } from '../pipeline/data.js';

/** Flags of `voxnas train`. */
export interface TrainFlags extends RunFlags {
  /** `unet`, `random`, or a genotype JSON path. */
  arch?: string;
  /** With `--arch unet`: size the U-Net to this genotype's parameter count. */
  match?: string;
}

/** What `voxnas train` produced (also `train.json`). */
export type TrainSummary = {
  readonly runDir: string;
  readonly arch: string;
  readonly params: number;
  /** Mean Dice per foreground class name over the validation cases. */
  readonly dice: Record<string, number>;
  readonly meanDice: number;
  readonly hd95: Record<string, number>;
  readonly steps: number;
  readonly resumedFrom: number | null;
};

function optimizerOf(cfg: VoxnasConfig): OptimizerSpec {
  switch (cfg.train.optimizer) {
    case 'sgd':
      return { kind: 'sgd', momentum: 0.99, nesterov: true, weightDecay: cfg.train.weightDecay };
    case 'adam':
      return { kind: 'adam', weightDecay: cfg.train.weightDecay };
    case 'adamw':
      return { kind: 'adamw', weightDecay: cfg.train.weightDecay };
  }
}

function scheduleOf(cfg: VoxnasConfig): Schedule {
  const { lr, steps, warmupSteps } = cfg.train;
  if (cfg.train.schedule === 'constant') return { kind: 'constant', lr, warmupSteps };
  return { kind: cfg.train.schedule, lr, totalSteps: steps, warmupSteps };
}

async function readGenotype(path: string, flag: string): Promise<Genotype> {
  const file = resolve(path);
  if (!existsSync(file)) {
    throw new ConfigError(
      flag === '--arch'
        ? `--arch ${path}: no such genotype file (expected unet, random or a genotype.json)`
        : `--match ${path}: no such genotype file (expected a genotype.json)`,
    );
  }
  return parseGenotype(await readFile(file, 'utf8'), { source: path });
}

/** The `--arch` / `--match` of a train run, checked, with their genotypes read. */
interface ResolvedArch {
  /** `unet`, `random` or the absolute path of a genotype file; undefined: `unet`. */
  readonly arch: string | undefined;
  /** Absolute path of the genotype `--match` names. */
  readonly match: string | undefined;
  readonly genotype?: Genotype;
  readonly matchGenotype?: Genotype;
}

/**
 * Resolves the `--arch` / `--match` of a train run before anything is written: a missing or invalid
 * genotype file is an error while the run directory does not exist yet, so a retry with the same
 * `--out` works. A resumed run takes them from its `arch.json` (saved when it started, before the
 * network was decided) and refuses different ones.
 */
async function resolveArch(flags: TrainFlags, dir: string): Promise<ResolvedArch> {
  if (flags.match !== undefined && flags.arch !== undefined && flags.arch !== 'unet') {
    throw new UsageError(`voxnas train: --match sizes a U-Net; it needs --arch unet (or no --arch), got --arch ${flags.arch}`);
  }
  let given = {
    arch: flags.arch === undefined || flags.arch === 'unet' || flags.arch === 'random' ? flags.arch : resolve(flags.arch),
    match: flags.match === undefined ? undefined : resolve(flags.match),
  };
  const file = join(dir, 'arch.json');
  if (flags.resume && existsSync(file)) {
    const saved = await readJsonFile(file, ARCH_FILE, `voxnas train --resume ${flags.resume}`);
    for (const key of ['arch', 'match'] as const) {
      if (given[key] !== undefined && given[key] !== saved[key]) {
        throw new ConfigError(`voxnas train --resume ${flags.resume}: the run was started with --${key} ${saved[key] ?? '(none)'}, not ${given[key]} (a resumed run is the same run)`);
      }
    }
    given = { arch: saved.arch, match: saved.match };
  }
  // A resumed run whose network is decided needs no genotype file any more.
  if (flags.resume && existsSync(join(dir, 'network.json'))) return given;
  const isFile = given.arch !== undefined && given.arch !== 'unet' && given.arch !== 'random';
  return {
    ...given,
    ...(isFile ? { genotype: await readGenotype(flags.arch ?? given.arch!, '--arch') } : {}),
    ...(given.match !== undefined && (given.arch ?? 'unet') === 'unet' ? { matchGenotype: await readGenotype(flags.match ?? given.match, '--match') } : {}),
  };
}

/** Decides the network of a train run (saved as `network.json`, reused on resume). */
async function networkSpecOf(
  cfg: VoxnasConfig,
  data: PreparedData,
  arch: ResolvedArch,
  dir: string,
  log: (line: string) => void,
): Promise<NetworkSpec> {
  const saved = join(dir, 'network.json');
  if (existsSync(saved)) return readNetworkSpec(saved, `voxnas train --resume ${dir}`);
  const rng = new Rng(cfg.seed);
  const space = spaceFromConfig(cfg, data.channels, data.classes);
  if (arch.arch === 'random') {
    return { kind: 'child', genotype: sampleRandomGenotype(space, rng.fork('random-architecture')), origin: 'random' };
  }
  if (arch.genotype) {
    return { kind: 'child', genotype: transferGenotype(arch.genotype, data.channels, data.classes, log), origin: 'file' };
  }
  if (arch.matchGenotype) {
    // sized against the genotype as it would run on this task (stem and head transferred)
    const g = transferGenotype(arch.matchGenotype, data.channels, data.classes, () => {});
    const [px, py, pz] = cfg.data.patchSize;
    const target = genotypeCost(g, { inputShape: [1, pz, py, px, data.channels] }).params;
    return matchedUNetSpec(g.macro.levels, data.channels, data.classes, target, rng.fork('match')).spec;
  }
  return {
    kind: 'unet',
    options: {
      levels: cfg.search.levels,
      baseChannels: cfg.search.baseChannels,
      convsPerLevel: 2,
      norm: 'instance',
      upsampling: 'transposed',
      inputChannels: data.channels,
      classes: data.classes,
    },
  };
}

/**
 * Transfer (the paper's second experiment): a genotype searched on one task is reused on another. The
 * searched part — every cell's operations and connections, levels, widths, nodes — is kept; only the
 * task-bound ends (input channels of the stem, classes of the head) follow the new dataset.
 */
export function transferGenotype(genotype: Genotype, channels: number, classes: number, log: (line: string) => void): Genotype {
  const { inputChannels, classes: k } = genotype.macro;
  if (inputChannels === channels && k === classes) return genotype;
  log(`voxnas train: transferring the genotype: input channels ${inputChannels} → ${channels}, classes ${k} → ${classes} (cells unchanged)`);
  return validateGenotype(
    {
      ...genotype,
      macro: { ...genotype.macro, inputChannels: channels, classes },
      meta: { ...(genotype.meta ?? {}), transferredFrom: { inputChannels, classes: k } },
    },
    { source: 'transferGenotype' },
  );
}

/**
 * `voxnas train`: trains a U-Net, a random architecture or a genotype on the configured fold, keeps the
 * best checkpoint by validation Dice, writes `model/` (weights), `network.json`, predictions of the
 * validation cases on their original grids, and `metrics.json` / `metrics.csv` / `summary.csv`.
 */
export async function runTrain(flags: TrainFlags, log: (line: string) => void): Promise<TrainSummary> {
  const { cfg: resolved, dir, resume } = await resolveRunConfig(flags, 'train');
  const arch = await resolveArch(flags, dir);
  // the effective config: patch and batch size from the data plan unless the config set them
  const { cfg, run, data } = await startRun(resolved, dir, log, { verbose: flags.verbose ?? false });
  if (!resume) await atomicWrite(join(dir, 'arch.json'), `${JSON.stringify({ arch: arch.arch, match: arch.match }, null, 2)}\n`);
  const spec = await networkSpecOf(cfg, data, arch, dir, log);
  await atomicWrite(join(dir, 'network.json'), `${JSON.stringify(spec, null, 2)}\n`);
  const rng = new Rng(cfg.seed);
  const network: Network = buildNetwork(spec, rng.fork('init'), { recompute: cfg.train.recompute });
  const source = batchSource(cfg, data, data.train, rng.fork('data').seed32());
  const trainer = new Trainer({
    network,
    optimizer: optimizerOf(cfg),
    schedule: scheduleOf(cfg),
    loss: lossFromConfig(cfg),
    data: source,
    clipGradNorm: 12,
  });
  try {
    const resumedFrom = await resumeFromCheckpoint(run, trainer, log, 'train', cfg.train.steps);
    const valCases = await validationCases(data);
    const labels = foregroundLabels(data);
    const window = {
      windowSize: cfg.data.patchSize,
      overlap: cfg.inference.overlap,
      batchSize: cfg.inference.windowsPerBatch,
      mirror: cfg.inference.mirror,
    } as const;
    const progress = createProgress({ label: 'train', total: cfg.train.steps, from: resumedFrom ?? 0, ...flags.progress });
    const steps = cfg.train.steps;
    const logAndTick = {
      path: run.log.path,
      append: async (r: { readonly [key: string]: JsonValue }) => {
        if (r.type === 'step') progress.tick((r.step as number) + 1, `loss ${(r.loss as number).toFixed(3)}`);
        await run.log.append(r);
      },
    };
    await trainer.fit({
      steps,
      checkpointDir: run.checkpointDir,
      checkpointEvery: cfg.train.checkpointEvery,
      validateEvery: cfg.train.validateEvery,
      // Periodic validation keeps the best checkpoint; with validateEvery ≥ steps only the final
      // evaluation below runs (one pass over the validation cases instead of two).
      ...(cfg.train.validateEvery < steps
        ? { validate: segmentationValidator({ cases: valCases, labels, ...window }) }
        : {}),
      log: logAndTick,
    });
    progress.end();
    if (await hasCheckpoint(run.checkpointDir, 'best')) await trainer.loadCheckpoint(run.checkpointDir, { name: 'best' });
    await saveWeights(network, join(dir, 'model'));
    // Final evaluation of the best weights on the validation cases, predicted on their original grids.
    network.eval();
    await mkdir(join(dir, 'predictions'), { recursive: true });
    const evalCases: EvaluationCase[] = [];
    for (const c of valCases) {
      const onGrid = await predictCase(c.image, (x) => network.apply(x), window);
      const prediction = await writePrediction(onGrid, { reference: c.image, path: join(dir, 'predictions', `${c.caseId}.nii.gz`) });
      evalCases.push({ caseId: c.caseId, prediction, reference: c.label });
    }
    const report = await evaluateCases(evalCases, { outDir: dir, labels, labelNames: data.labelNames });
    const dice: Record<string, number> = {};
    const hd95: Record<string, number> = {};
    for (const c of report.summary.classes) {
      dice[c.name] = c.metrics.dice.mean;
      hd95[c.name] = c.metrics.hd95.mean;
    }
    const summary: TrainSummary = {
      runDir: dir,
      arch: spec.kind === 'unet' ? 'unet' : spec.origin === 'file' ? (flags.arch ?? 'genotype') : spec.origin,
      params: countParameters(network),
      dice,
      meanDice: report.summary.foregroundMean.dice,
      hd95,
      steps,
      resumedFrom,
    };
    await atomicWrite(join(dir, 'train.json'), `${JSON.stringify(summary, null, 2)}\n`);
    await run.log.append({ type: 'train-done', ...summary });
    return summary;
  } finally {
    await source.close();
    trainer.dispose();
    network.dispose();
  }
}

/** `voxnas train`. */
export const trainCommand = defineCommand({
  name: 'train',
  summary: 'train a U-Net, a random architecture or a genotype (resumable); evaluates it',
  usage:
    '(--out <run-dir> [--arch unet|random|<genotype.json>] [--match <genotype.json>] [--config <file>] [--set key.path=value]… [--seed n] | --resume <run-dir>) [--json]',
  flags: {
    ...RUN_FLAGS,
    arch: {
      type: 'string',
      value: '<unet|random|genotype.json>',
      description: "the network: a 3D U-Net, a random architecture of the config's search space, or a genotype (e.g. a search run's genotype.json; stem and head follow this task)",
      default: 'unet',
    },
    match: {
      type: 'string',
      value: '<genotype.json>',
      description: "with --arch unet: choose the U-Net's width so its parameter count is closest to this genotype's on this task",
    },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  async run({ flags, io, log, progress, verbose }) {
    const r = await runTrain({ ...flags, progress, verbose }, log);
    io.out(
      flags.json ? JSON.stringify(r, null, 2) : `train done: ${r.runDir} (${r.arch}, ${r.params} parameters, mean Dice ${r.meanDice.toFixed(4)})`,
    );
    return 0;
  },
});
