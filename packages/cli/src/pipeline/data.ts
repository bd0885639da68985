import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { freemem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { atomicWrite, atomicWriteJson } from '@voxnas/core/node';
import { readNiftiBytes, writeNifti } from '@voxnas/volume/node';
import {
  createFingerprint,
  createLoader,
  createSplits,
  generatePhantomDataset,
  openDataset,
  parsePlan,
  planDataset,
  preparationOf,
  preprocessCase,
  writeSplits,
  type Dataset,
  type DatasetFingerprint,
  type DatasetPlan,
  type LoadedCase,
  type Loader,
  type MemoryModel,
  type Preparation,
  type SamplerSpec,
  type TransformSpec,
} from '@voxnas/datasets';
import { estimateChildStepMemory, estimateSearchStepMemory, heaviestChild } from '@voxnas/supernet';
import { currentBackend } from '@voxnas/ops';
import type { Volume } from '@voxnas/volume';
import type { VoxnasConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { searchSampler, spaceFromConfig } from './network.js';

/** How images are normalised before the network (recorded in the run and the model card): see the plan. */
export const NORMALIZATION = 'per channel as plan.json says (CT: dataset foreground clip + z-score; else per-case z-score)';

/** A dataset ready for training: plan, preprocessed copy, decoded cases, class count, and the fold's case split. */
export interface PreparedData {
  /** The dataset as given (or generated). */
  readonly sourceRoot: string;
  /** The preprocessed MSD-layout copy (written once; loader worker threads read it). */
  readonly root: string;
  /** The preprocessed dataset; `loadCase` returns the decoded cases kept in memory (no read). */
  readonly dataset: Dataset;
  /** Decoded preprocessed cases by id, shared by the loaders and the validation. */
  readonly cases: ReadonlyMap<string, LoadedCase>;
  readonly channels: number;
  /** Label value → name, background included. */
  readonly labelNames: Record<number, string>;
  readonly classes: number;
  /** Training and validation case ids of the configured fold. */
  readonly train: readonly string[];
  readonly val: readonly string[];
  /** Fingerprint of the source files (sha256 over their paths, sizes and contents). */
  readonly dataHash: string;
  /** The preparation plan (also `<run>/plan.json`). */
  readonly plan: DatasetPlan;
  /** The effective config: `data.patchSize` and `data.batchSize` from the plan unless the config set them. */
  readonly config: VoxnasConfig;
}

/**
 * Resolves `data.dataset`: the built-in `phantom` dataset is generated (seeded by the run seed) into
 * `cacheDir`; anything else is a dataset directory (MSD, nnU-Net v2 or folder pairs).
 */
export async function resolveDatasetRoot(cfg: VoxnasConfig, cacheDir: string): Promise<string> {
  if (cfg.data.dataset !== 'phantom') {
    const root = resolve(cfg.data.dataset);
    if (!existsSync(root)) throw new ConfigError(`config: field 'data.dataset' is '${cfg.data.dataset}', but ${root} does not exist`);
    return root;
  }
  const dir = join(cacheDir, 'phantom');
  if (!existsSync(join(dir, 'dataset.json'))) {
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await generatePhantomDataset({ dir: tmp, cases: cfg.data.phantomCases, testCases: 1, seed: cfg.seed });
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  }
  return dir;
}

/**
 * The memory model planning uses: the larger of the estimated peaks of one search step (the configured
 * sampler at its worst draw, `estimateSearchStepMemory` of @voxnas/supernet) and of one training step of
 * the heaviest child the search can derive (`estimateChildStepMemory` of `heaviestChild`) — weights,
 * AdamW state, gradients and the tape of the operators' activations, nothing allocated — for the kernels
 * of the active backend (`js` when none is selected yet: the larger estimate), with the activation
 * recomputation `search.recompute` / `train.recompute` configure; budget min(2 GiB, ¼ of the free memory). Patches are rounded up to the network's size rule before estimating.
 */
export function networkMemoryModel(cfg: VoxnasConfig, channels: number, classes: number): MemoryModel {
  const space = spaceFromConfig(cfg, channels, classes);
  const m = 2 ** (cfg.search.levels - 1);
  const sampler = searchSampler(cfg);
  const kernels = currentBackend()?.native ? 'native' : 'js';
  const fit = (p: number) => Math.max(2 * m, Math.ceil(p / m) * m);
  const budgetBytes = Math.min(2 * 2 ** 30, Math.floor(freemem() / 4));
  return {
    estimateBytes: (p, b) => {
      const shape = [b, fit(p[2]), fit(p[1]), fit(p[0]), channels] as const;
      const search = estimateSearchStepMemory(space, { inputShape: shape, sampler, kernels, recompute: cfg.search.recompute }).totalBytes;
      const child = estimateChildStepMemory(heaviestChild(space, shape), { inputShape: shape, kernels, recompute: cfg.train.recompute }).totalBytes;
      return Math.max(search, child);
    },
    budgetBytes,
    rule: `the larger of one search step (${sampler.kind === 'gumbel' ? `gumbel k=${sampler.k ?? 1}` : sampler.kind}, worst draw${cfg.search.recompute !== 'none' ? `, recomputed per ${cfg.search.recompute}` : ''}) and one training step of the heaviest child${cfg.train.recompute !== 'none' ? ` (recomputed per ${cfg.train.recompute})` : ''}, estimated from the operators' cost models for the ${kernels} kernels (docs/memory.md); budget min(2 GiB, ¼ free memory)`,
  };
}

/**
 * Dotted paths of the values present in a partial config as written (arrays are values) — the fields
 * the user set, which win over the plan's.
 *
 * @example
 * givenPaths({ data: { patchSize: [32, 32, 16] }, seed: 1 }); // Set { 'data.patchSize', 'seed' }
 */
export function givenPaths(partial: Record<string, unknown>, prefix = ''): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(partial)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const p of givenPaths(v as Record<string, unknown>, path)) out.add(p);
    else out.add(path);
  }
  return out;
}

/** Plans `fingerprint` with the config's network and the data fields it sets (the rest: planned). */
export function planFromConfig(cfg: VoxnasConfig, fingerprint: DatasetFingerprint, given: ReadonlySet<string>): DatasetPlan {
  const channels = fingerprint.dataset.modalities.length;
  const classes = Object.keys(fingerprint.dataset.labels).length;
  return planDataset(fingerprint, {
    network: { levels: cfg.search.levels },
    memory: networkMemoryModel(cfg, channels, Math.max(2, classes)),
    ...(cfg.data.spacingMm !== 'auto' ? { spacingMm: cfg.data.spacingMm } : {}),
    ...(given.has('data.patchSize') ? { patchSize: cfg.data.patchSize } : {}),
    ...(given.has('data.batchSize') ? { batchSize: cfg.data.batchSize } : {}),
    ...(cfg.data.normalization !== 'auto' ? { normalization: cfg.data.normalization } : {}),
  });
}

/** Decoded source cases (with file digests) kept between fingerprinting and preprocessing, by dataset root. */
const KEEP_BYTES = () => Math.min(4 * 2 ** 30, freemem() / 2);

const volumeBytes = (v: Volume | null) => (v ? v.data.byteLength : 0);

/**
 * Fingerprints a dataset in one read of each training case and plans it (`voxnas plan`, and a run
 * whose config has `data.plan: auto`). `keep` receives each decoded case (with its file digests) so a
 * caller that preprocesses next does not read it again; it returns false to stop keeping (memory).
 */
export async function fingerprintSource(
  source: Dataset,
  keep?: (c: LoadedCase) => boolean,
): Promise<DatasetFingerprint> {
  const acc = createFingerprint(source);
  let keeping = keep !== undefined;
  for (const id of source.caseIds) {
    const c = await source.loadCase(id, { digest: true });
    acc.add(c);
    if (keeping) keeping = keep!(c);
  }
  return acc.finish();
}

/** `sha256:<hex>` over the sorted lines `<path relative to root>\0<size>\0<sha256 of the bytes>`. */
function dataHashOf(root: string, files: readonly { path: string; bytes: number; sha256: string }[]): string {
  const lines = files.map((f) => `${relative(root, f.path).split('\\').join('/')}\0${f.bytes}\0${f.sha256}\n`).sort();
  const h = createHash('sha256');
  for (const l of lines) h.update(l);
  return `sha256:${h.digest('hex')}`;
}

/**
 * The preparation of a run or model: `source` is a `plan.json` path (null when the file does not
 * exist: a run from before planning) or a plan object (a model card's `preprocessing.plan`), validated
 * with `parsePlan` (a `PlanError` naming `where`).
 */
export async function readPreparation(source: string | unknown, where: string): Promise<Preparation | null> {
  if (source === undefined || source === null) return null;
  if (typeof source === 'string') {
    if (!existsSync(source)) return null;
    return preparationOf(parsePlan(JSON.parse(await readFile(source, 'utf8')), where));
  }
  return preparationOf(parsePlan(source, where));
}

/** Options of {@link prepareData}. */
export interface PrepareDataOptions {
  /** Config fields the user set (dotted paths): those win over the plan (patchSize, batchSize). Default: all set. */
  readonly given?: ReadonlySet<string>;
  readonly log?: (line: string) => void;
}

/**
 * Prepares a run's data, reading each source case file once in this process (with 0 loader workers;
 * a worker thread reads the preprocessed cases it needs itself):
 *
 * 1. the plan: `<workDir>/plan.json` when it exists (a resumed run), else `data.plan` (a plan.json
 *    from `voxnas plan`), else fingerprint + plan now (`auto`) — one read per case, the decoded cases
 *    kept in memory for step 2 unless they exceed min(4 GiB, ½ free memory) (then step 2 reads them
 *    again, as nnU-Net does);
 * 2. the preprocessed copy `<workDir>/preprocessed` (crop → normalise → resample, as the plan says),
 *    written once and reused on resume when the source data hash is unchanged; its decoded cases stay
 *    in memory and are shared by the loaders and the validation (no read back);
 * 3. the fold split (`<workDir>/splits.json`).
 *
 * The prepared data carries the effective config (`config`): `data.patchSize` and `data.batchSize`
 * from the plan unless the config set them (`given`).
 *
 * @example
 * const data = await prepareData(cfg, 'runs/a', { given: new Set(['data.patchSize']) });
 * data.config.data.batchSize; // the plan's
 */
export async function prepareData(cfg: VoxnasConfig, workDir: string, options: PrepareDataOptions = {}): Promise<PreparedData> {
  const log = options.log ?? (() => {});
  const sourceRoot = await resolveDatasetRoot(cfg, join(workDir, 'data'));
  const source = await openDataset(sourceRoot, { validate: 'files' });
  const labelValues = [...source.labels.keys()].sort((a, b) => a - b);
  if (labelValues.some((v, i) => v !== i)) {
    throw new ConfigError(`prepareData(${sourceRoot}): label values must be 0…K-1, got ${labelValues.join(', ')}; remap the labels first`);
  }
  const kept = new Map<string, LoadedCase>();
  let keptBytes = 0;
  const keep = (c: LoadedCase) => {
    keptBytes += volumeBytes(c.image) + volumeBytes(c.label);
    if (keptBytes > KEEP_BYTES()) {
      kept.clear();
      log(`voxnas: the decoded dataset exceeds ${(KEEP_BYTES() / 2 ** 30).toFixed(1)} GiB: cases are read again for preprocessing`);
      return false;
    }
    kept.set(c.id, c);
    return true;
  };

  // 1. The plan.
  const planPath = join(workDir, 'plan.json');
  let plan: DatasetPlan;
  if (existsSync(planPath)) {
    plan = parsePlan(JSON.parse(await readFile(planPath, 'utf8')), planPath);
  } else {
    if (cfg.data.plan !== 'auto') {
      const file = resolve(cfg.data.plan);
      if (!existsSync(file)) throw new ConfigError(`config: field 'data.plan' is '${cfg.data.plan}', but ${file} does not exist`);
      plan = parsePlan(JSON.parse(await readFile(file, 'utf8')), file);
      const planned = plan.fingerprint.dataset.modalities;
      if (planned.length !== source.modalities.length) {
        throw new ConfigError(`config: field 'data.plan': ${file} plans ${planned.length} channel(s) (${planned.join(', ')}), the dataset has ${source.modalities.length} (${source.modalities.join(', ')})`);
      }
    } else {
      plan = planFromConfig(cfg, await fingerprintSource(source, keep), options.given ?? new Set(['data.patchSize', 'data.batchSize']));
    }
    await mkdir(workDir, { recursive: true });
    await atomicWriteJson(planPath, plan);
  }
  const given = options.given ?? new Set(['data.patchSize', 'data.batchSize']);
  const effective: VoxnasConfig = {
    ...cfg,
    data: {
      ...cfg.data,
      patchSize: given.has('data.patchSize') ? cfg.data.patchSize : plan.patchSize,
      batchSize: given.has('data.batchSize') ? cfg.data.batchSize : plan.batchSize,
    },
  };

  // 2. The preprocessed copy.
  const root = join(workDir, 'preprocessed');
  const stampPath = join(root, 'voxnas-preprocessed.json');
  const files: { path: string; bytes: number; sha256: string }[] = [];
  const cases = new Map<string, LoadedCase>();
  const stamp = existsSync(stampPath) ? (JSON.parse(await readFile(stampPath, 'utf8')) as { dataHash?: string }) : null;
  let dataHash: string;
  if (stamp && kept.size === 0) {
    // A resumed run: hash the source files (one read each, no decoding), then reuse the copy if unchanged.
    for (const c of source.training) {
      for (const path of [...c.images, ...(c.label ? [c.label] : [])]) {
        const bytes = await readNiftiBytes(path);
        files.push({ path, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') });
      }
    }
    dataHash = dataHashOf(sourceRoot, files);
  } else {
    dataHash = '';
  }
  if (stamp && stamp.dataHash === dataHash) {
    const copy = await openDataset(root, { validate: false });
    for (const id of copy.caseIds) cases.set(id, await copy.loadCase(id));
  } else {
    const tmp = `${root}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(join(tmp, 'imagesTr'), { recursive: true });
    await mkdir(join(tmp, 'labelsTr'), { recursive: true });
    const training: Array<{ image: string; label: string }> = [];
    const report: Record<string, unknown>[] = [];
    files.length = 0;
    for (const id of source.caseIds) {
      const c = kept.get(id) ?? (await source.loadCase(id, { digest: true }));
      kept.delete(id);
      files.push(...(c.files ?? []));
      if (!c.label) throw new ConfigError(`prepareData: training case ${id} has no label`);
      const p = preprocessCase(c, plan);
      if (p.lostClasses.length) log(`voxnas: case ${id}: label value(s) ${p.lostClasses.join(', ')} vanish at the target spacing ${plan.targetSpacingMm.join(' × ')} mm`);
      await writeNifti(p.image, join(tmp, 'imagesTr', `${id}.nii.gz`));
      await writeNifti(p.label!, join(tmp, 'labelsTr', `${id}.nii.gz`));
      training.push({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` });
      report.push({ id, box: p.box, shape: p.image.shape, separateAxis: p.separateAxis, resampled: p.resampled, lostClasses: p.lostClasses });
      cases.set(id, { id, image: p.image, label: p.label });
    }
    dataHash = dataHashOf(sourceRoot, files);
    const json = {
      name: `${source.name} (voxnas preprocessed)`,
      tensorImageSize: source.modalities.length > 1 ? '4D' : '3D',
      modality: Object.fromEntries(source.modalities.map((m, i) => [String(i), m])),
      labels: Object.fromEntries([...source.labels].map(([v, n]) => [String(v), n])),
      numTraining: training.length,
      numTest: 0,
      training,
      test: [],
    };
    await atomicWrite(join(tmp, 'dataset.json'), JSON.stringify(json, null, 2));
    await atomicWriteJson(join(tmp, 'voxnas-preprocessed.json'), { dataHash, preparation: preparationOf(plan), cases: report });
    await rm(root, { recursive: true, force: true });
    await rename(tmp, root);
  }
  const copy = await openDataset(root, { validate: false });
  const dataset: Dataset = {
    ...copy,
    async loadCase(id, o) {
      const c = cases.get(id);
      return c && !o?.digest ? c : copy.loadCase(id, o);
    },
  };

  // 3. The fold split.
  if (cfg.data.folds > dataset.caseIds.length) {
    throw new ConfigError(`config: field 'data.folds' is ${cfg.data.folds}, but the dataset has only ${dataset.caseIds.length} training cases`);
  }
  const splits = createSplits({ caseIds: dataset.caseIds, folds: cfg.data.folds, seed: cfg.seed });
  await writeSplits(splits, join(workDir, 'splits.json'));
  const fold = splits.folds[cfg.data.fold]!;
  return {
    sourceRoot,
    root,
    dataset,
    cases,
    channels: source.modalities.length,
    labelNames: Object.fromEntries(source.labels),
    classes: labelValues.length,
    train: fold.train,
    val: fold.val,
    dataHash,
    plan,
    config: effective,
  };
}

/**
 * The training augmentation of a preset, as loader transform specs:
 * - `default` — nnU-Net-like: rotation ±30° and scaling 0.7–1.4 (each p 0.2, one resampling pass with
 *   the patch extraction), Gaussian noise (p 0.1), blur (p 0.2), brightness/contrast (p 0.15),
 *   simulated low resolution (p 0.25), gamma (p 0.3), mirroring on every axis;
 * - `light` — cheaper for a CPU: a spatial transform with p 0.3, mirroring, gamma (p 0.2), noise (p 0.1);
 * - `none`.
 */
export function augmentationOf(preset: VoxnasConfig['data']['augmentation']): TransformSpec[] {
  switch (preset) {
    case 'none':
      return [];
    case 'light':
      return [
        { type: 'spatial', options: { p: 0.3, elastic: false } },
        { type: 'flip' },
        { type: 'gamma', options: { p: 0.2 } },
        { type: 'noise', options: { p: 0.1 } },
      ];
    case 'default':
      return [
        { type: 'spatial', options: { rotationDeg: [30, 30, 30], scale: [0.7, 1.4], pRotation: 0.2, pScale: 0.2, elastic: false } },
        { type: 'noise', options: { p: 0.1 } },
        { type: 'blur', options: { sigmaVoxels: [0.5, 1], p: 0.2 } },
        { type: 'brightness-contrast', options: { p: 0.15 } },
        { type: 'low-resolution', options: { factor: [1, 2], p: 0.25 } },
        { type: 'gamma', options: { range: [0.7, 1.5], p: 0.3 } },
        { type: 'flip' },
      ];
  }
}

/** The patch sampler of the config: foreground oversampling, or class-balanced with `data.classRatios`. */
export function samplerOf(cfg: VoxnasConfig, classes: number): SamplerSpec {
  if (cfg.data.sampler === 'foreground') return { type: 'foreground', fraction: cfg.data.foregroundFraction };
  const r = cfg.data.classRatios;
  if (r !== 'uniform' && r.length !== classes) {
    throw new ConfigError(`config: field 'data.classRatios' has ${r.length} entries, expected one per class (${classes}, background first)`);
  }
  return { type: 'class-balanced', ratios: Object.fromEntries(Array.from({ length: classes }, (_, c) => [c, r === 'uniform' ? 1 : r[c]!])) };
}

/** Opens a patch loader over `caseIds` of the prepared data (sharing its decoded cases), starting at batch `startBatch`. */
export function openLoader(
  cfg: VoxnasConfig,
  data: PreparedData,
  caseIds: readonly string[],
  seed: number,
  startBatch: number,
): Promise<Loader> {
  return createLoader({
    dataset: data.root,
    cases: data.cases,
    caseIds: [...caseIds],
    patchShape: cfg.data.patchSize,
    batchSize: cfg.data.batchSize,
    seed,
    sampler: samplerOf(cfg, data.classes),
    transforms: augmentationOf(cfg.data.augmentation),
    workers: cfg.data.workers,
    startBatch,
  });
}
