import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hashFiles } from '@voxnas/train/node';
import { writeNifti } from '@voxnas/volume/node';
import { createLoader, createSplits, generatePhantomDataset, openDataset, type Dataset, type Loader } from '@voxnas/datasets';
import { zScore, type Volume } from '@voxnas/volume';
import type { VoxnasConfig } from '../config.js';
import { ConfigError } from '../errors.js';

/** How images are normalised before the network (recorded in the run and the model card). */
export const NORMALIZATION = 'z-score per channel per case (population std, whole volume)';

/** A dataset ready for training: preprocessed copy, class count, and the fold's case split. */
export interface PreparedData {
  /** The dataset as given (or generated). */
  readonly sourceRoot: string;
  /** The preprocessed MSD-layout copy the loaders read. */
  readonly root: string;
  readonly dataset: Dataset;
  readonly channels: number;
  /** Label value → name, background included. */
  readonly labelNames: Record<number, string>;
  readonly classes: number;
  /** Training and validation case ids of the configured fold. */
  readonly train: readonly string[];
  readonly val: readonly string[];
  /** Fingerprint of the source files. */
  readonly dataHash: string;
}

/** Normalises one image the way the network saw its training data. */
export function normalizeImage(image: Volume): Volume {
  return zScore(image);
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
 * Opens and validates the dataset (every case read: a bad case fails here, named by its id, not hours
 * into a run), writes a normalised copy under `<workDir>/preprocessed` (once; reused on resume), and
 * splits the training cases into folds (`<workDir>/splits.json`).
 */
export async function prepareData(cfg: VoxnasConfig, workDir: string): Promise<PreparedData> {
  const sourceRoot = await resolveDatasetRoot(cfg, join(workDir, 'data'));
  const source = await openDataset(sourceRoot);
  const files = source.training.flatMap((c) => [...c.images, ...(c.label ? [c.label] : [])]);
  const dataHash = await hashFiles(files, { root: sourceRoot });
  const root = join(workDir, 'preprocessed');
  const stamp = join(root, 'voxnas-preprocessed.json');
  const done = existsSync(stamp) && JSON.parse(await readFile(stamp, 'utf8')).dataHash === dataHash;
  if (!done) {
    const tmp = `${root}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(join(tmp, 'imagesTr'), { recursive: true });
    await mkdir(join(tmp, 'labelsTr'), { recursive: true });
    const training: Array<{ image: string; label: string }> = [];
    for (const id of source.caseIds) {
      const c = await source.loadCase(id);
      if (!c.label) throw new ConfigError(`prepareData: training case ${id} has no label`);
      await writeNifti(normalizeImage(c.image), join(tmp, 'imagesTr', `${id}.nii.gz`));
      await writeNifti(c.label, join(tmp, 'labelsTr', `${id}.nii.gz`));
      training.push({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` });
    }
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
    await writeFile(join(tmp, 'dataset.json'), JSON.stringify(json, null, 2));
    await writeFile(join(tmp, 'voxnas-preprocessed.json'), JSON.stringify({ dataHash, normalization: NORMALIZATION }, null, 2));
    await rm(root, { recursive: true, force: true });
    await rename(tmp, root);
  }
  const dataset = await openDataset(root, { validate: false });
  const labelValues = [...source.labels.keys()].sort((a, b) => a - b);
  if (labelValues.some((v, i) => v !== i)) {
    throw new ConfigError(
      `prepareData(${sourceRoot}): label values must be 0…K-1, got ${labelValues.join(', ')}; remap the labels first`,
    );
  }
  if (cfg.data.folds > dataset.caseIds.length) {
    throw new ConfigError(
      `config: field 'data.folds' is ${cfg.data.folds}, but the dataset has only ${dataset.caseIds.length} training cases`,
    );
  }
  const splits = createSplits({ caseIds: dataset.caseIds, folds: cfg.data.folds, seed: cfg.seed });
  await writeFile(join(workDir, 'splits.json'), JSON.stringify(splits, null, 2));
  const fold = splits.folds[cfg.data.fold]!;
  return {
    sourceRoot,
    root,
    dataset,
    channels: source.modalities.length,
    labelNames: Object.fromEntries(source.labels),
    classes: labelValues.length,
    train: fold.train,
    val: fold.val,
    dataHash,
  };
}

/** The augmentation used for training patches (MONAI/nnU-Net-like, light enough for a 2-core CPU). */
export const TRAIN_TRANSFORMS = [
  { type: 'spatial', options: { p: 0.3, elastic: false } },
  { type: 'flip' },
  { type: 'gamma', options: { p: 0.2 } },
  { type: 'noise', options: { p: 0.1 } },
] as const;

/** Opens a patch loader over `caseIds` of the prepared data, starting at batch `startBatch`. */
export function openLoader(
  cfg: VoxnasConfig,
  data: PreparedData,
  caseIds: readonly string[],
  seed: number,
  startBatch: number,
): Promise<Loader> {
  return createLoader({
    dataset: data.root,
    caseIds: [...caseIds],
    patchShape: cfg.data.patchSize,
    batchSize: cfg.data.batchSize,
    seed,
    sampler: { type: 'foreground', fraction: cfg.data.foregroundFraction },
    transforms: TRAIN_TRANSFORMS.map((t) => ({ ...t })) as never,
    workers: cfg.data.workers,
    startBatch,
  });
}
