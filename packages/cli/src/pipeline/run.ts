import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { initBackend } from '@voxnas/ops';
import { createLosses, type LossKind } from '@voxnas/metrics';
import { hasCheckpoint, openRunDir, type RunDir, type ValidationCase } from '@voxnas/train/node';
import { loaderSource, type LossFn } from '@voxnas/train';
import * as tf from '@tensorflow/tfjs-core';
import { readConfigFile, resolveConfig, applyOverrides, type VoxnasConfig } from '../config.js';
import { ConfigError, UsageError } from '../errors.js';
import { absolutePlugins, loadPlugins } from './plugins.js';
import { openLoader, prepareData, type PreparedData } from './data.js';

/** Flags shared by the commands that start or resume a run. */
export interface RunFlags {
  config?: string;
  set?: string[];
  seed?: string;
  out?: string;
  resume?: string;
}

const RUN_PACKAGES = ['voxnas', '@voxnas/search', '@voxnas/train', '@voxnas/supernet', '@voxnas/unet', '@voxnas/ops', '@voxnas/metrics', '@voxnas/volume'];

/**
 * Resolves the config of a new run (file, then `--set` overrides, then `--seed`) or of a run to
 * resume (its saved `config.json`; other config flags are refused, so a resumed run is the same run).
 */
export async function resolveRunConfig(flags: RunFlags, command: string): Promise<{ cfg: VoxnasConfig; dir: string; resume: boolean }> {
  if (flags.resume) {
    if (flags.config || flags.set?.length || flags.seed !== undefined || flags.out) {
      throw new UsageError(`voxnas ${command} --resume: give only the run directory; the run keeps its saved config`);
    }
    const dir = resolve(flags.resume);
    const file = join(dir, 'config.json');
    if (!existsSync(file)) throw new ConfigError(`voxnas ${command} --resume ${flags.resume}: no config.json in that directory`);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { config: unknown };
    const cfg = resolveConfig(saved.config, file);
    await loadPlugins(cfg);
    return { cfg, dir, resume: true };
  }
  // The file, then --set, then --seed; validated once, every problem reported together.
  const partial = applyOverrides(flags.config ? await readConfigFile(flags.config) : {}, flags.set ?? []);
  if (flags.seed !== undefined) partial.seed = Number(flags.seed);
  const cfg = absolutePlugins(resolveConfig(partial, flags.config ?? '--set/--seed'));
  await loadPlugins(cfg);
  if (!flags.out) throw new UsageError(`voxnas ${command}: --out <run-dir> is required (or --resume <run-dir>)`);
  const dir = resolve(flags.out);
  if (existsSync(join(dir, 'config.json'))) {
    throw new ConfigError(`voxnas ${command} --out ${flags.out}: a run already exists there; use --resume ${flags.out} or another --out`);
  }
  return { cfg, dir, resume: false };
}

/** A started run: its directory, prepared data and backend. */
export interface StartedRun {
  readonly cfg: VoxnasConfig;
  readonly run: RunDir;
  readonly data: PreparedData;
  readonly backend: string;
}

/**
 * Takes `<dir>/run.lock` for this process: a run directory used by two live processes at once would
 * interleave its log and checkpoints. A lock left by a dead process (a crash, SIGKILL) is taken over.
 */
export async function lockRunDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const lock = join(dir, 'run.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lock, `${process.pid}\n`, { flag: 'wx' });
      const release = () => {
        try {
          if (readFileSync(lock, 'utf8').trim() === String(process.pid)) unlinkSync(lock);
        } catch {
          // already gone
        }
      };
      process.once('exit', release);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (pid === process.pid) return;
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new ConfigError(`run directory ${dir} is in use by process ${pid} (${lock}); wait for it or stop it first`);
      }
      await rm(lock, { force: true });
    }
  }
  throw new ConfigError(`run directory ${dir}: could not take ${lock}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Initialises the backend, prepares the data and opens (or reopens) the run directory. */
export async function startRun(cfg: VoxnasConfig, dir: string, log: (line: string) => void): Promise<StartedRun> {
  const choice = await initBackend({ logger: log });
  await lockRunDir(dir);
  const data = await prepareData(cfg, dir);
  const run = await openRunDir(dir, {
    config: cfg,
    seed: cfg.seed,
    dataHash: data.dataHash,
    packages: RUN_PACKAGES,
  });
  return { cfg, run, data, backend: choice.summary };
}

/** The configured loss over integer class labels. */
export function lossFromConfig(cfg: VoxnasConfig): LossFn {
  const losses = createLosses(tf);
  const byKind: Record<LossKind, LossFn> = {
    'dice-ce': (out, b) => losses.diceCe(out, b.label),
    dice: (out, b) => losses.softDice(out, b.label),
    ce: (out, b) => losses.crossEntropy(out, b.label),
    focal: (out, b) => losses.focal(out, b.label),
  };
  return byKind[cfg.train.loss];
}

/** A resumable batch source over `caseIds` (integer labels). */
export function batchSource(cfg: VoxnasConfig, data: PreparedData, caseIds: readonly string[], seed: number) {
  return loaderSource({
    open: (startBatch) => openLoader(cfg, data, caseIds, seed, startBatch),
    numClasses: data.classes,
    labels: 'index',
  });
}

/** The validation cases of the fold (preprocessed images and labels). */
export async function validationCases(data: PreparedData): Promise<ValidationCase[]> {
  const out: ValidationCase[] = [];
  for (const id of data.val) {
    const c = await data.dataset.loadCase(id);
    out.push({ caseId: id, image: c.image, label: c.label! });
  }
  return out;
}

/** Labels scored in validation and evaluation: every foreground class. */
export function foregroundLabels(data: PreparedData): number[] {
  return Array.from({ length: data.classes - 1 }, (_, i) => i + 1);
}

/**
 * Restores the last checkpoint of a run when there is one (and drops the log records written after it,
 * so the log reads as if the run never stopped); returns the step resumed from, or null for a new run.
 */
export async function resumeFromCheckpoint(
  run: RunDir,
  trainer: { loadCheckpoint(dir: string): Promise<unknown>; readonly stepsDone: number },
  log: (line: string) => void,
  what: string,
  totalSteps: number,
): Promise<number | null> {
  if (!(await hasCheckpoint(run.checkpointDir))) {
    await run.log.truncateFrom(0);
    return null;
  }
  await trainer.loadCheckpoint(run.checkpointDir);
  await run.log.truncateFrom(trainer.stepsDone);
  log(`voxnas ${what}: resumed ${run.dir} at step ${trainer.stepsDone}/${totalSteps}`);
  return trainer.stepsDone;
}
