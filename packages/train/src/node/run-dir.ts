import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonValue } from '@voxnas/core';
import { TrainConfigError } from '@voxnas/train';
import { atomicWrite } from '@voxnas/core/node';
import { RunLog } from './run-log.js';

/** `config.json` of a run directory: the resolved config plus everything needed to reproduce it. */
export interface RunConfigFile {
  readonly format: 'voxnas-run@1';
  /** The resolved configuration (every default filled in). */
  readonly config: JsonValue;
  readonly seed: number;
  /** `sha256:<hex>` of the training data (see {@link hashFiles}), or null. */
  readonly dataHash: string | null;
  /** `git rev-parse HEAD` of the working directory when available. */
  readonly gitSha: string | null;
  /** node, tfjs-core and package versions. */
  readonly versions: Readonly<Record<string, string>>;
  /** The tfjs backend in use when the run started. */
  readonly backend: string;
  readonly createdAt: string;
}

/** An opened run directory (see {@link openRunDir}). */
export interface RunDir {
  readonly dir: string;
  /** `<dir>/checkpoints`. */
  readonly checkpointDir: string;
  /** `<dir>/log.jsonl`. */
  readonly log: RunLog;
  /** The `config.json` contents (the existing one when resuming). */
  readonly configFile: RunConfigFile;
  /** True when `config.json` already existed (a run to resume). */
  readonly resumed: boolean;
}

/** Options of {@link openRunDir}. */
export interface OpenRunDirOptions {
  readonly config: JsonValue;
  readonly seed: number;
  readonly dataHash?: string | null;
  /** Packages whose versions are recorded (besides node and tfjs-core). Default: the voxnas packages train uses. */
  readonly packages?: readonly string[];
  /** Directory whose git commit is recorded. Default: the current directory. */
  readonly gitDir?: string;
}

const DEFAULT_PACKAGES = ['@voxnas/train', '@voxnas/ops', '@voxnas/metrics', '@voxnas/volume'];

/**
 * Creates or reopens a run directory (docs/architecture.md "Layers of work"): `config.json` (resolved config, seed,
 * versions, git SHA, data hash; written atomically), `log.jsonl`, `checkpoints/`. Reopening a run
 * with a different config, seed or data hash throws {@link TrainConfigError} — a resumed run must be
 * the same run.
 *
 * @example
 * const run = await openRunDir('runs/heart-unet', { config, seed: 1, dataHash: await hashFiles(files) });
 * if (run.resumed) await trainer.loadCheckpoint(run.checkpointDir);
 * await trainer.fit({ steps: 1000, checkpointDir: run.checkpointDir, log: run.log });
 */
export async function openRunDir(dir: string, options: OpenRunDirOptions): Promise<RunDir> {
  if (!Number.isInteger(options.seed)) throw new TrainConfigError(`openRunDir(${dir}): seed is ${options.seed}, expected an integer`);
  const checkpointDir = join(dir, 'checkpoints');
  await mkdir(checkpointDir, { recursive: true });
  const configPath = join(dir, 'config.json');
  const dataHash = options.dataHash ?? null;
  let existing: RunConfigFile | undefined;
  try {
    existing = JSON.parse(await readFile(configPath, 'utf8')) as RunConfigFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new TrainConfigError(`openRunDir(${configPath}): cannot read the existing config.json`, { cause: error });
    }
  }
  const log = new RunLog(join(dir, 'log.jsonl'));
  if (existing) {
    const diffs: string[] = [];
    if (canonical(existing.config) !== canonical(options.config)) diffs.push('config');
    if (existing.seed !== options.seed) diffs.push(`seed (${existing.seed} vs ${options.seed})`);
    if (existing.dataHash !== dataHash) diffs.push(`dataHash (${existing.dataHash} vs ${dataHash})`);
    if (diffs.length > 0) {
      throw new TrainConfigError(
        `openRunDir(${dir}): the directory holds a different run — ${diffs.join(', ')} differ; resume with the same settings or use a new directory`,
      );
    }
    return { dir, checkpointDir, log, configFile: existing, resumed: true };
  }
  const configFile: RunConfigFile = {
    format: 'voxnas-run@1',
    config: options.config,
    seed: options.seed,
    dataHash,
    gitSha: await gitSha(options.gitDir ?? process.cwd()),
    versions: packageVersions(options.packages ?? DEFAULT_PACKAGES),
    backend: tf.getBackend() ?? 'none',
    createdAt: new Date().toISOString(),
  };
  await atomicWrite(configPath, `${JSON.stringify(configFile, null, 2)}\n`);
  return { dir, checkpointDir, log, configFile, resumed: false };
}

/**
 * `sha256:<hex>` over the files' paths (relative to `root`, sorted) and contents: a fingerprint of
 * the training data for `config.json`. Renaming, editing, adding or removing a file changes it.
 *
 * @example
 * const h = await hashFiles(['data/img1.nii.gz', 'data/lab1.nii.gz'], { root: 'data' });
 */
export async function hashFiles(paths: readonly string[], options: { root?: string } = {}): Promise<string> {
  const root = resolve(options.root ?? '.');
  const entries = paths.map((p) => ({ abs: resolve(p), rel: relative(root, resolve(p)).split('\\').join('/') }));
  entries.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const h = createHash('sha256');
  for (const e of entries) {
    const size = (await stat(e.abs)).size;
    h.update(`${e.rel}\0${size}\0`);
    h.update(await readFile(e.abs));
  }
  return `sha256:${h.digest('hex')}`;
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

function gitSha(cwd: string): Promise<string | null> {
  return new Promise((done) => {
    execFile('git', ['rev-parse', 'HEAD'], { cwd, timeout: 5000 }, (error, stdout) => {
      const sha = String(stdout).trim();
      done(error || !/^[0-9a-f]{40}$/.test(sha) ? null : sha);
    });
  });
}

function selfPath(): string {
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

function packageVersions(names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = { node: process.versions.node, '@tensorflow/tfjs-core': tf.version_core };
  const req = createRequire(selfPath());
  for (const name of names) {
    try {
      out[name] = (req(`${name}/package.json`) as { version: string }).version;
    } catch {
      out[name] = 'unknown';
    }
  }
  return out;
}
