import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { initBackend } from '@voxnas/ops';
import { createLosses, type LossKind } from '@voxnas/metrics';
import { hasCheckpoint, openRunDir, type RunDir, type ValidationCase } from '@voxnas/train/node';
import { loaderSource, type LossFn } from '@voxnas/train';
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_CONFIG, readConfigFile, resolveConfig, applyOverrides, type VoxnasConfig } from '../config.js';
import { ConfigError, UsageError } from '../errors.js';
import { absolutePlugins, loadPlugins } from './plugins.js';
import { readRunConfigFile } from '../run-files.js';
import type { FlagTable } from '../command.js';
import type { ProgressSettings } from '../progress.js';
import { givenPaths, openLoader, prepareData, type PreparedData } from './data.js';

/** Flags shared by the commands that start or resume a run. */
export interface RunFlags {
  config?: string;
  set?: string[];
  seed?: string;
  out?: string;
  resume?: string;
  /** How progress is reported (from `--quiet` / `--progress-interval`); default: a bar on a TTY, lines every 10 s otherwise. */
  progress?: ProgressSettings;
  /** Log the resolved config's non-default fields and the data split. */
  verbose?: boolean;
}

/** The flag table of {@link RunFlags} (`voxnas search`, `voxnas train`). */
export const RUN_FLAGS = {
  out: { type: 'string', value: '<run-dir>', description: 'the run directory to create (refused when it already holds a run)' },
  config: {
    type: 'string',
    value: '<file>',
    description: "config file (.yaml, .yml or .json); 'voxnas help config' lists its fields",
    default: 'none: every field at its default',
  },
  set: {
    type: 'string',
    multiple: true,
    value: '<key.path=value>',
    description: 'override one config field, value as JSON or text, e.g. --set train.steps=20 --set data.patchSize=[32,32,16]',
  },
  seed: { type: 'string', value: '<n>', config: 'seed' },
  resume: {
    type: 'string',
    value: '<run-dir>',
    description: 'continue a stopped run from its last checkpoint, with its saved config (no --out/--config/--set/--seed)',
  },
  'progress-interval': {
    type: 'string',
    value: '<seconds>',
    description: 'seconds between progress lines when stderr is not a terminal (a pipe, a batch or Slurm log); 0: every step',
    default: '10, or $VOXNAS_PROGRESS_INTERVAL',
  },
} as const satisfies FlagTable;

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
    const cfg = await readRunConfigFile(file, `voxnas ${command} --resume ${flags.resume}`);
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
  // Found now, before the run directory exists, not after the run has started.
  if (cfg.data.dataset !== 'phantom' && !existsSync(resolve(cfg.data.dataset))) {
    throw new ConfigError(`config: field 'data.dataset' is '${cfg.data.dataset}', but ${resolve(cfg.data.dataset)} does not exist`);
  }
  GIVEN.set(cfg, givenPaths(partial));
  return { cfg, dir, resume: false };
}

/** Config fields the user set for a new run (the plan fills the others); a resumed run's config is all set. */
const GIVEN = new WeakMap<VoxnasConfig, ReadonlySet<string>>();

/** `key=value` for each config field that differs from its default (dotted paths). */
export function changedFields(cfg: VoxnasConfig): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (a !== null && typeof a === 'object' && !Array.isArray(a)) {
      for (const [k, v] of Object.entries(a)) walk(v, (b as Record<string, unknown> | undefined)?.[k], path ? `${path}.${k}` : k);
    } else if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path}=${JSON.stringify(a)}`);
  };
  walk(cfg, DEFAULT_CONFIG, '');
  return out;
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

/**
 * Initialises the backend, prepares the data (plan, preprocessed copy, split) and opens (or reopens)
 * the run directory. The returned `cfg` is the effective config — `data.patchSize` and
 * `data.batchSize` from the plan unless the config set them — and is what `config.json` records.
 */
export async function startRun(
  given: VoxnasConfig,
  dir: string,
  log: (line: string) => void,
  options: { verbose?: boolean } = {},
): Promise<StartedRun> {
  const choice = await initBackend({ logger: log });
  await lockRunDir(dir);
  const data = await prepareData(given, dir, { ...(GIVEN.has(given) ? { given: GIVEN.get(given)! } : {}), log });
  const cfg = data.config;
  if (options.verbose) {
    const changed = changedFields(cfg);
    log(`voxnas: run ${dir}, config fields not at their default: ${changed.length ? changed.join(' ') : 'none'}`);
    log(
      `voxnas: data ${data.sourceRoot}: ${data.train.length} training / ${data.val.length} validation cases (fold ${cfg.data.fold} of ${cfg.data.folds}), ` +
        `${data.channels} channel(s), ${data.classes} classes`,
    );
  }
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
