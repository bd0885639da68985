import type { JsonValue, RngState } from '@voxnas/core';
import type { HasNamedVariables } from '@voxnas/ops';
import { loadWeights, saveWeights } from '@voxnas/ops/node';
import type * as tf from '@tensorflow/tfjs-core';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from '@voxnas/train';
import { checkpointStateFile, describeIssues, optimizerStateFile } from './checkpoint-files.js';
import { atomicWrite, syncDir, tempName } from '@voxnas/core/node';
import type { Optimizer, OptimizerSpec, OptimizerState } from '@voxnas/train';

/** What a network must offer to be checkpointed: its variables by path (every `@voxnas/ops` `Network` does). */
export type CheckpointableNetwork = HasNamedVariables;

/** The JSON part of a checkpoint (`state.json`). */
export interface CheckpointState {
  /** Optimiser updates done; the schedule's next step. */
  readonly step: number;
  /** Every RNG stream by name. */
  readonly rng: Readonly<Record<string, RngState>>;
  /** Position of the data source (its own `getState()`). */
  readonly data: JsonValue;
  /** Anything else the caller needs to resume (best score, architecture sampler state, …). */
  readonly extra: JsonValue;
}

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  readonly network: CheckpointableNetwork;
  /** Optimisers by name (e.g. `{ weights, arch }`). */
  readonly optimizers: Readonly<Record<string, Optimizer>>;
  readonly state: CheckpointState;
  /** Pointer files to point at this checkpoint. Default `['latest']`; add `'best'` on a new best. */
  readonly pointers?: readonly string[];
  /** Step directories to keep besides those a pointer names. Default 2. */
  readonly keep?: number;
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  readonly network: CheckpointableNetwork;
  readonly optimizers: Readonly<Record<string, Optimizer>>;
  /** Pointer file (`latest`, `best`) or step directory name (`step-00000012`). Default `latest`. */
  readonly name?: string;
}

const FORMAT = 'voxnas-checkpoint@1';
/** `step-00000012`, or `step-00000012-r1` for a step saved a second time. */
const STEP_DIR = /^step-\d+(-r\d+)?$/;
const OPT_FORMAT = 'voxnas-optimizer@1';

/** The directory name of the checkpoint at `step`. */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/**
 * Writes a checkpoint into `dir` (a run's `checkpoints/`): the network weights (`model/`, tfjs
 * weights manifest), each optimiser's slots and step counts (`optimizer-<name>.json/.bin`), and
 * `state.json` (step, every RNG stream, data position, extra JSON). Everything is written into a
 * temporary directory that is renamed to `step-<step>` (`step-<step>-r<k>` if that step was saved
 * before) only when complete; then the pointer files
 * (`latest`, optionally `best`) are replaced atomically. A crash at any point leaves the previous
 * checkpoint loadable. Old step directories beyond `keep` are removed unless a pointer names them.
 *
 * @example
 * await saveCheckpoint('runs/a/checkpoints', {
 *   network: net, optimizers: { weights: opt },
 *   state: { step: 100, rng: { data: dataRng.getState() }, data: loader.getState(), extra: { bestDice: 0.8 } },
 *   pointers: ['latest', 'best'],
 * });
 */
export async function saveCheckpoint(dir: string, options: SaveCheckpointOptions): Promise<string> {
  const { state } = options;
  if (!(Number.isInteger(state.step) && state.step >= 0)) {
    throw new CheckpointError(`saveCheckpoint(${dir}): state.step is ${state.step}, expected an integer ≥ 0`);
  }
  const pointers = options.pointers ?? ['latest'];
  for (const p of pointers) {
    if (!/^[a-z][a-z0-9-]*$/.test(p) || p.startsWith('step-')) {
      throw new CheckpointError(`saveCheckpoint(${dir}): pointer name "${p}" must match [a-z][a-z0-9-]* and not start with "step-"`);
    }
  }
  await mkdir(dir, { recursive: true });
  // A step saved again (e.g. after a resume) gets a fresh name, so a pointer never names a missing directory.
  let name = checkpointName(state.step);
  for (let k = 1; await exists(join(dir, name)); k++) name = `${checkpointName(state.step)}-r${k}`;
  const final = join(dir, name);
  const tmp = tempName(join(dir, `.${name}`));
  try {
    await mkdir(tmp);
    await saveWeights(options.network, join(tmp, 'model'));
    for (const [key, opt] of Object.entries(options.optimizers)) {
      checkKey(key, dir);
      await writeOptimizer(tmp, key, await opt.getState());
    }
    const json: JsonValue = { format: FORMAT, step: state.step, rng: state.rng, data: state.data, extra: state.extra, optimizers: Object.keys(options.optimizers) };
    await atomicWrite(join(tmp, 'state.json'), `${JSON.stringify(json)}\n`);
    await syncDir(tmp);
    await rename(tmp, final);
    await syncDir(dir);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`saveCheckpoint(${dir}): writing ${name} failed`, { cause: error });
  }
  for (const p of pointers) await atomicWrite(join(dir, p), `${name}\n`);
  await syncDir(dir);
  await prune(dir, options.keep ?? 2);
  return final;
}

/**
 * Loads the checkpoint `name` (a pointer such as `latest`/`best`, or a step directory) from `dir`
 * into `network` and `optimizers` and returns its JSON state. Every optimiser named in the
 * checkpoint must be given and vice versa. Throws {@link CheckpointError} when it is missing or does
 * not fit; optimiser states are checked before anything is loaded (the network checks its own weights).
 *
 * @example
 * const state = await loadCheckpoint('runs/a/checkpoints', { network: net, optimizers: { weights: opt } });
 * dataRng.setState(state.rng.data!);
 */
export async function loadCheckpoint(dir: string, options: LoadCheckpointOptions): Promise<CheckpointState> {
  const name = await resolveCheckpoint(dir, options.name ?? 'latest');
  const path = join(dir, name);
  let text: unknown;
  try {
    text = JSON.parse(await readFile(join(path, 'state.json'), 'utf8'));
  } catch (cause) {
    throw new CheckpointError(`loadCheckpoint(${path}): cannot read state.json`, { cause });
  }
  const parsed = checkpointStateFile.safeParse(text);
  if (!parsed.success) {
    throw new CheckpointError(`loadCheckpoint(${path}): state.json is not a ${FORMAT} state: ${describeIssues(parsed.error)}`);
  }
  const raw = parsed.data;
  const saved = raw.optimizers;
  const given = Object.keys(options.optimizers);
  const missing = saved.filter((k) => !given.includes(k));
  const extra = given.filter((k) => !saved.includes(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new CheckpointError(
      `loadCheckpoint(${path}): checkpoint has optimisers [${saved.join(', ')}], got [${given.join(', ')}]`,
    );
  }
  const states = new Map<string, OptimizerState>();
  for (const key of saved) states.set(key, await readOptimizer(path, key));
  try {
    for (const [key, st] of states) options.optimizers[key]!.checkState(st);
    await loadWeights(options.network, join(path, 'model'));
    for (const [key, st] of states) options.optimizers[key]!.setState(st);
  } catch (cause) {
    throw new CheckpointError(`loadCheckpoint(${path}): the checkpoint does not fit the network/optimisers`, { cause });
  }
  return { step: raw.step, rng: raw.rng, data: raw.data, extra: raw.extra };
}

/**
 * The step directory a pointer (or a directory name) refers to, or throws {@link CheckpointError}.
 *
 * @example
 * await resolveCheckpoint('runs/a/checkpoints', 'best'); // 'step-00000040'
 */
export async function resolveCheckpoint(dir: string, name = 'latest'): Promise<string> {
  if (name.startsWith('step-')) {
    if (!(await exists(join(dir, name)))) throw new CheckpointError(`loadCheckpoint(${dir}): no checkpoint directory ${name}`);
    return name;
  }
  let target: string;
  try {
    target = (await readFile(join(dir, name), 'utf8')).trim();
  } catch (cause) {
    throw new CheckpointError(`loadCheckpoint(${dir}): no pointer file "${name}" (no checkpoint saved yet?)`, { cause });
  }
  if (!STEP_DIR.test(target) || !(await exists(join(dir, target)))) {
    throw new CheckpointError(`loadCheckpoint(${dir}): pointer "${name}" names "${target}", which is not a checkpoint directory`);
  }
  return target;
}

/** True when `dir` holds a `latest` pointer to a complete checkpoint. */
export async function hasCheckpoint(dir: string, name = 'latest'): Promise<boolean> {
  try {
    await resolveCheckpoint(dir, name);
    return true;
  } catch {
    return false;
  }
}

function checkKey(key: string, dir: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(key)) {
    throw new CheckpointError(`saveCheckpoint(${dir}): optimiser name "${key}" must match [A-Za-z0-9_-]+`);
  }
}

async function writeOptimizer(dir: string, key: string, st: OptimizerState): Promise<void> {
  const bin = `optimizer-${key}.bin`;
  const weights: tf.io.WeightsManifestEntry[] = st.slots.map((s) => ({ name: s.name, shape: s.shape.slice(), dtype: 'float32' }));
  const total = st.slots.reduce((n, s) => n + s.values.byteLength, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const s of st.slots) {
    data.set(new Uint8Array(s.values.buffer, s.values.byteOffset, s.values.byteLength), offset);
    offset += s.values.byteLength;
  }
  await writeFile(join(dir, bin), data);
  const json = {
    format: OPT_FORMAT,
    spec: st.spec,
    step: st.step,
    paramSteps: st.paramSteps,
    weightsManifest: [{ paths: [bin], weights }],
  };
  await writeFile(join(dir, `optimizer-${key}.json`), `${JSON.stringify(json)}\n`);
}

async function readOptimizer(dir: string, key: string): Promise<OptimizerState> {
  const jsonPath = join(dir, `optimizer-${key}.json`);
  let text: unknown;
  try {
    text = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (cause) {
    throw new CheckpointError(`loadCheckpoint(${jsonPath}): cannot read the optimiser state`, { cause });
  }
  const parsed = optimizerStateFile.safeParse(text);
  if (!parsed.success) {
    throw new CheckpointError(`loadCheckpoint(${jsonPath}): not a ${OPT_FORMAT} state: ${describeIssues(parsed.error)}`);
  }
  const json = parsed.data;
  let data: Buffer;
  try {
    data = await readFile(join(dir, json.weightsManifest[0]!.paths[0]!));
  } catch (cause) {
    throw new CheckpointError(`loadCheckpoint(${jsonPath}): cannot read the optimiser state`, { cause });
  }
  const slots = [];
  let offset = 0;
  for (const w of json.weightsManifest[0]!.weights) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (offset + size * 4 > data.byteLength) {
      throw new CheckpointError(`loadCheckpoint(${jsonPath}): ${json.weightsManifest[0]!.paths[0]} is truncated at slot "${w.name}"`);
    }
    const values = new Float32Array(size);
    new Uint8Array(values.buffer).set(data.subarray(offset, offset + size * 4));
    offset += size * 4;
    slots.push({ name: w.name, shape: w.shape, values });
  }
  if (offset !== data.byteLength) {
    throw new CheckpointError(`loadCheckpoint(${jsonPath}): binary has ${data.byteLength} bytes, the manifest describes ${offset}`);
  }
  // The spec's fields are checked against the live optimiser by Optimizer.checkState before use.
  return { spec: json.spec as OptimizerSpec, step: json.step, paramSteps: json.paramSteps, slots };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function prune(dir: string, keep: number): Promise<void> {
  const entries = await readdir(dir);
  const pinned = new Set<string>();
  for (const e of entries) {
    if (e.startsWith('step-') || e.startsWith('.')) continue;
    try {
      pinned.add((await readFile(join(dir, e), 'utf8')).trim());
    } catch {
      // not a pointer file
    }
  }
  const steps = entries.filter((e) => STEP_DIR.test(e)).sort();
  const drop = steps.slice(0, Math.max(0, steps.length - keep)).filter((s) => !pinned.has(s));
  // Leftovers of interrupted writes (".step-…tmp-…") of this directory are removed too.
  const stale = entries.filter((e) => e.startsWith('.step-'));
  for (const s of [...drop, ...stale]) await rm(join(dir, s), { recursive: true, force: true });
}
