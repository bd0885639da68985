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
import { ConfigError } from '../errors.js';
import { atomicWrite } from '@voxnas/core/node';
import { createProgress } from '../progress.js';
import { buildNetwork, countParameters, matchedUNetSpec, spaceFromConfig, type NetworkSpec } from '../pipeline/network.js';
import {
  batchSource,
  foregroundLabels,
  lossFromConfig,
  resolveRunConfig,
  resumeFromCheckpoint,
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

/** What `voxnas train` produced. */
export interface TrainSummary {
  readonly runDir: string;
  readonly arch: string;
  readonly params: number;
  /** Mean Dice per foreground class name over the validation cases. */
  readonly dice: Record<string, number>;
  readonly meanDice: number;
  readonly hd95: Record<string, number>;
  readonly steps: number;
  readonly resumedFrom: number | null;
}

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

async function readGenotype(path: string): Promise<Genotype> {
  const file = resolve(path);
  if (!existsSync(file)) throw new ConfigError(`--arch ${path}: no such genotype file (expected unet, random or a genotype.json)`);
  return parseGenotype(await readFile(file, 'utf8'), { source: path });
}

/**
 * The `--arch` / `--match` of a train run, saved in `arch.json` when it starts (before the network
 * is decided, so a run that failed there resumes with them) and read back by `--resume`.
 */
async function archOf(flags: TrainFlags, dir: string): Promise<TrainFlags> {
  const file = join(dir, 'arch.json');
  const given = {
    arch: flags.arch === undefined || flags.arch === 'unet' || flags.arch === 'random' ? flags.arch : resolve(flags.arch),
    match: flags.match === undefined ? undefined : resolve(flags.match),
  };
  if (flags.resume && existsSync(file)) {
    const saved = JSON.parse(await readFile(file, 'utf8')) as { arch?: string; match?: string };
    for (const key of ['arch', 'match'] as const) {
      if (given[key] !== undefined && given[key] !== saved[key]) {
        throw new ConfigError(`voxnas train --resume ${flags.resume}: the run was started with --${key} ${saved[key] ?? '(none)'}, not ${given[key]} (a resumed run is the same run)`);
      }
    }
    return { ...flags, arch: saved.arch, match: saved.match };
  }
  if (!flags.resume) await atomicWrite(file, `${JSON.stringify(given, null, 2)}\n`);
  return { ...flags, ...given };
}

/** Decides the network of a train run (saved as `network.json`, reused on resume). */
async function networkSpecOf(
  cfg: VoxnasConfig,
  data: PreparedData,
  flags: TrainFlags,
  dir: string,
  log: (line: string) => void,
): Promise<NetworkSpec> {
  const saved = join(dir, 'network.json');
  if (existsSync(saved)) return JSON.parse(await readFile(saved, 'utf8')) as NetworkSpec;
  const arch = flags.arch ?? 'unet';
  const rng = new Rng(cfg.seed);
  const space = spaceFromConfig(cfg, data.channels, data.classes);
  if (arch === 'random') {
    return { kind: 'child', genotype: sampleRandomGenotype(space, rng.fork('random-architecture')), origin: 'random' };
  }
  if (arch === 'unet') {
    if (flags.match) {
      // sized against the genotype as it would run on this task (stem and head transferred)
      const g = transferGenotype(await readGenotype(flags.match), data.channels, data.classes, () => {});
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
  return { kind: 'child', genotype: transferGenotype(await readGenotype(arch), data.channels, data.classes, log), origin: 'file' };
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
  const { cfg, dir } = await resolveRunConfig(flags, 'train');
  const { run, data } = await startRun(cfg, dir, log);
  const spec = await networkSpecOf(cfg, data, await archOf(flags, dir), dir, log);
  await atomicWrite(join(dir, 'network.json'), `${JSON.stringify(spec, null, 2)}\n`);
  const rng = new Rng(cfg.seed);
  const network: Network = buildNetwork(spec, rng.fork('init'));
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
    const progress = createProgress({ label: 'train', total: cfg.train.steps });
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
      log: logAndTick as unknown as typeof run.log,
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
    await run.log.append({ type: 'train-done', ...(summary as unknown as Record<string, JsonValue>) });
    return summary;
  } finally {
    await source.close();
    trainer.dispose();
    network.dispose();
  }
}
