import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { atomicWrite } from '@voxnas/core/node';
import {
  MRICRON_TEMPLATES,
  buildAtlasTask,
  createSplits,
  generatePhantomDataset,
  generatePlantedDataset,
  openDataset,
  PLANTED_LABELS,
  type Dataset,
} from '@voxnas/datasets';
import { ExperimentSpecError, SpecChangedError } from './errors.js';
import { layout } from './layout.js';
import { taskSourceOf, type ResolvedSpec, type TaskSource } from './spec.js';

/** One outer fold of a task. */
export interface TaskFold {
  readonly train: readonly string[];
  readonly test: readonly string[];
  /** True when the fold has one training case, listed twice so a run can split it (see {@link prepareTasks}). */
  readonly repeated: boolean;
}

/** A task of the experiment as its jobs see it. */
export interface PreparedTask {
  readonly index: number;
  readonly name: string;
  readonly source: TaskSource;
  /** The dataset directory (generated for phantom and atlas tasks); null when planned without data. */
  readonly root: string | null;
  readonly channels: number;
  readonly classes: number;
  /** Label value → name, background included. */
  readonly labelNames: Readonly<Record<number, string>>;
  /** Training case ids (empty when planned without data). */
  readonly caseIds: readonly string[];
  /** The outer folds (empty when planned without data). */
  readonly folds: readonly TaskFold[];
  /** Where `channels`/`classes` came from. */
  readonly described: 'dataset' | 'spec' | 'default';
}

const NII = /\.nii(\.gz)?$/i;

async function linkFile(target: string, path: string): Promise<void> {
  if (existsSync(path)) {
    try {
      if ((await readlink(path)) === target) return;
    } catch {
      // not a link: replaced below
    }
    await rm(path, { force: true });
  }
  await symlink(target, path);
}

/** The extension of a NIfTI file name (`.nii` or `.nii.gz`). */
function niiExt(file: string): string {
  return NII.exec(file)?.[0] ?? '.nii.gz';
}

async function writeJsonIfChanged(path: string, value: unknown): Promise<void> {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  await mkdir(dirname(path), { recursive: true });
  await atomicWrite(path, text);
}

/** Generates a phantom, planted or atlas task into its source directory (once; atomically by rename). */
async function materialize(resolved: ResolvedSpec, expDir: string, index: number, force: boolean): Promise<string> {
  const task = resolved.spec.tasks[index]!;
  const source = resolved.sources[index]!;
  if (source.kind === 'directory') {
    if (!existsSync(source.path)) {
      throw new ExperimentSpecError(`field 'tasks[${index}].dataset' is '${task.dataset}', but ${source.path} does not exist (task '${task.name}')`);
    }
    return source.path;
  }
  const dir = layout.taskSource(expDir, task.name);
  const stamp = `${JSON.stringify(taskSourceOf(resolved, index))}\n`;
  const stampFile = join(dir, 'voxnas-source.json');
  if (existsSync(join(dir, 'dataset.json'))) {
    const old = existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : null;
    if (old === stamp) return dir;
    if (!force) {
      throw new SpecChangedError(
        `task '${task.name}' (tasks[${index}]): its generated data ${dir} was made from ${old?.trim() ?? 'another spec'}, the spec now says ${stamp.trim()}; run with --force to regenerate it (jobs that used it are redone)`,
        { jobs: [`data/${task.name}/source`] },
      );
    }
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  if (source.kind === 'phantom') {
    const p = task.phantom;
    await generatePhantomDataset({ dir: tmp, cases: p.cases, shape: p.shape, modalities: p.modalities, seed: resolved.spec.seed });
  } else if (source.kind === 'planted') {
    await generatePlantedDataset({ dir: tmp, task: source.task, cases: task.planted.cases, shape: task.planted.shape, seed: resolved.spec.seed });
  } else {
    const missing = [source.atlas.image, source.atlas.labels].map((f) => join(MRICRON_TEMPLATES, f)).filter((f) => !existsSync(f));
    if (missing.length) {
      throw new ExperimentSpecError(
        `field 'tasks[${index}].dataset' is '${task.dataset}', but ${missing.join(' and ')} ${missing.length > 1 ? 'do' : 'does'} not exist (install Debian's mricron-data)`,
      );
    }
    await buildAtlasTask({ spec: source.atlas, outDir: tmp });
    await rename(join(tmp, source.atlas.task), `${tmp}.built`);
    await rm(tmp, { recursive: true, force: true });
    await rename(`${tmp}.built`, tmp);
  }
  await writeFile(join(tmp, 'voxnas-source.json'), stamp);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dirname(dir), { recursive: true });
  await rename(tmp, dir);
  return dir;
}

function datasetJson(name: string, ds: Dataset, entries: Array<{ image: string; label: string }>) {
  return {
    name,
    tensorImageSize: ds.modalities.length > 1 ? '4D' : '3D',
    modality: Object.fromEntries(ds.modalities.map((m, i) => [String(i), m])),
    labels: Object.fromEntries([...ds.labels].map(([v, n]) => [String(v), n])),
    numTraining: entries.length,
    numTest: 0,
    training: entries,
    test: [],
  };
}

/**
 * Prepares the data of every task before any job starts: generates phantom and atlas tasks, opens
 * each dataset (a missing directory, an unreadable dataset.json, label values that are not 0…K−1 or
 * too few cases for the folds raise {@link ExperimentSpecError} naming the task's field), splits its
 * training cases into `spec.folds` outer folds (seeded by `spec.seed`, the same for every seed and
 * arm) and writes, per fold, an MSD `dataset.json` listing only the fold's training cases (absolute
 * paths: what the fold's searches and trainings see, so nothing they decide ever sees a held-out case)
 * and a `test/` folder linking the held-out images and labels (what its evaluations score).
 *
 * A fold with a single training case lists it twice (the second time through a link named
 * `<id>~again`), so the run can still split off its inner validation case; that validation then
 * scores a training case — recorded as `repeated` and shown in the report.
 *
 * @example
 * const tasks = await prepareTasks(resolved, '/runs/study');
 * tasks[0].folds[0].test; // the held-out case ids of fold 0
 */
export async function prepareTasks(resolved: ResolvedSpec, expDir: string, options: { force?: boolean } = {}): Promise<PreparedTask[]> {
  const { spec } = resolved;
  const out: PreparedTask[] = [];
  for (const [index, task] of spec.tasks.entries()) {
    const root = await materialize(resolved, expDir, index, options.force ?? false);
    let ds: Dataset;
    try {
      ds = await openDataset(root, { validate: 'files' });
      // folder datasets name their labels from the values found, which needs every case read
      if (ds.labels.size === 0) ds = await openDataset(root, { validate: 'full' });
    } catch (cause) {
      throw new ExperimentSpecError(`field 'tasks[${index}].dataset' (task '${task.name}'): ${(cause as Error).message}`, { cause });
    }
    const labelValues = [...ds.labels.keys()].sort((a, b) => a - b);
    if (labelValues.length < 2 || labelValues.some((v, i) => v !== i)) {
      throw new ExperimentSpecError(
        `field 'tasks[${index}].dataset' (task '${task.name}'): label values must be 0…K−1 with K ≥ 2, got ${labelValues.join(', ') || 'none'} in ${root}/dataset.json`,
      );
    }
    const files = new Map(ds.training.map((c) => [c.id, c]));
    const multi = ds.training.find((c) => c.images.length > 1);
    if (multi) {
      throw new ExperimentSpecError(
        `field 'tasks[${index}].dataset' (task '${task.name}'): case ${multi.id} has ${multi.images.length} image files (nnU-Net channels); the experiment's evaluation needs one (4D) file per case — convert to MSD layout`,
      );
    }
    const caseIds = ds.caseIds.filter((id) => files.get(id)?.label);
    if (caseIds.length < spec.folds) {
      throw new ExperimentSpecError(
        `field 'folds' is ${spec.folds}, but task '${task.name}' (tasks[${index}]) has only ${caseIds.length} labelled case(s)`,
      );
    }
    const splits = createSplits({ caseIds, folds: spec.folds, seed: spec.seed });
    await writeJsonIfChanged(layout.splits(expDir, task.name), splits);
    const folds: TaskFold[] = [];
    for (const [f, fold] of splits.folds.entries()) {
      const trainDir = layout.foldTrain(expDir, task.name, f);
      const entries = fold.train.map((id) => ({ image: files.get(id)!.images[0]!, label: files.get(id)!.label! }));
      const repeated = entries.length === 1;
      if (repeated) {
        const c = entries[0]!;
        const again = join(trainDir, 'again');
        await mkdir(join(again, 'labels'), { recursive: true });
        const id = fold.train[0]!;
        const image = join(again, `${id}~again${niiExt(c.image)}`);
        const label = join(again, 'labels', `${id}~again${niiExt(c.label)}`);
        await linkFile(c.image, image);
        await linkFile(c.label, label);
        entries.push({ image, label });
      }
      await writeJsonIfChanged(join(trainDir, 'dataset.json'), datasetJson(`${task.name} fold ${f} training cases`, ds, entries));
      const testDir = layout.foldTest(expDir, task.name, f);
      await mkdir(join(testDir, 'imagesTs'), { recursive: true });
      await mkdir(join(testDir, 'labelsTs'), { recursive: true });
      for (const id of fold.val) {
        const c = files.get(id)!;
        await linkFile(c.images[0]!, join(testDir, 'imagesTs', `${id}${niiExt(c.images[0]!)}`));
        await linkFile(c.label!, join(testDir, 'labelsTs', `${id}${niiExt(c.label!)}`));
      }
      await writeJsonIfChanged(join(testDir, 'dataset.json'), {
        name: `${task.name} fold ${f} held-out cases`,
        labels: Object.fromEntries([...ds.labels].map(([v, n]) => [String(v), n])),
        cases: fold.val,
      });
      folds.push({ train: fold.train, test: fold.val, repeated });
    }
    if (spec.search.protocol === 'once' && spec.search.task === task.name) {
      const cases = searchCaseIds(spec.search.cases!, caseIds, folds, index);
      const entries = cases.map((id) => ({ image: files.get(id)!.images[0]!, label: files.get(id)!.label! }));
      if (entries.length < 2) {
        throw new ExperimentSpecError(`field 'search.cases' names ${entries.length} case, expected at least 2 (the search splits them into weight and α cases)`);
      }
      await writeJsonIfChanged(join(layout.searchCases(expDir, task.name), 'dataset.json'), datasetJson(`${task.name} search cases`, ds, entries));
    }
    out.push({
      index,
      name: task.name,
      source: resolved.sources[index]!,
      root,
      channels: ds.modalities.length,
      classes: labelValues.length,
      labelNames: Object.fromEntries(ds.labels),
      caseIds,
      folds,
      described: 'dataset',
    });
  }
  return out;
}

/** The case ids a `search.cases` of protocol once names (checked against the task's cases). */
export function searchCaseIds(
  cases: NonNullable<ResolvedSpec['spec']['search']['cases']>,
  caseIds: readonly string[],
  folds: readonly TaskFold[],
  taskIndex: number,
): string[] {
  if (cases === 'all') return [...caseIds];
  if (Array.isArray(cases)) {
    const known = new Set(caseIds);
    const unknown = cases.filter((c) => !known.has(c));
    if (unknown.length) {
      throw new ExperimentSpecError(
        `field 'search.cases' names ${unknown.map((c) => `'${c}'`).join(', ')}, not case(s) of tasks[${taskIndex}] (known: ${caseIds.slice(0, 8).join(', ')}${caseIds.length > 8 ? ', …' : ''})`,
      );
    }
    return [...new Set(cases)];
  }
  return [...folds[cases.fold]!.train];
}

/**
 * The tasks as far as they can be described without touching the data (for `--dry-run` on a machine
 * without the datasets): channels and classes from an existing dataset.json, else from the spec's
 * `channels`/`classes`, else 1 and 2.
 *
 * @example
 * const tasks = describeTasksWithoutData(resolved);
 */
export function describeTasksWithoutData(resolved: ResolvedSpec): PreparedTask[] {
  return resolved.spec.tasks.map((task, index) => {
    const source = resolved.sources[index]!;
    let fromFile: { channels: number; classes: number; labels: Record<number, string> } | null = null;
    if (source.kind === 'directory' && existsSync(join(source.path, 'dataset.json'))) {
      try {
        const j = JSON.parse(readFileSync(join(source.path, 'dataset.json'), 'utf8')) as {
          modality?: Record<string, string>;
          channel_names?: Record<string, string>;
          labels?: Record<string, unknown>;
        };
        const labels: Record<number, string> = {};
        for (const [k, v] of Object.entries(j.labels ?? {})) {
          if (/^\d+$/.test(k) && typeof v === 'string') labels[Number(k)] = v;
          else if (typeof v === 'number') labels[v] = k;
        }
        fromFile = { channels: Object.keys(j.modality ?? j.channel_names ?? { 0: '' }).length, classes: Object.keys(labels).length, labels };
      } catch {
        fromFile = null;
      }
    }
    const phantom = source.kind === 'phantom';
    const atlas = source.kind === 'atlas' ? source.atlas : null;
    const planted = source.kind === 'planted' ? PLANTED_LABELS[source.task] : null;
    const channels = fromFile?.channels ?? task.channels ?? (phantom ? task.phantom.modalities : 1);
    const classes = fromFile?.classes ?? task.classes ?? (phantom ? 4 : atlas ? atlas.classes.length + 1 : planted ? planted.length : 2);
    const labelNames: Record<number, string> = fromFile?.labels ?? Object.fromEntries(Array.from({ length: classes }, (_, i) => [i, i === 0 ? 'background' : (atlas?.classes[i - 1]?.name ?? planted?.[i] ?? `class_${i}`)]));
    return {
      index,
      name: task.name,
      source,
      root: source.kind === 'directory' && existsSync(source.path) ? source.path : null,
      channels,
      classes,
      labelNames,
      caseIds: [],
      folds: [],
      described: fromFile ? 'dataset' : task.channels !== undefined || phantom || atlas || planted ? 'spec' : 'default',
    };
  });
}

/** The file name a case's held-out image gets in `test/imagesTs` (for tests and the report). */
export function testImageName(id: string, image: string): string {
  return `${id}${niiExt(basename(image))}`;
}
