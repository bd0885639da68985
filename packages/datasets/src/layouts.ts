import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DatasetError, datasetError, type DatasetProblem } from './dataset-error.js';

/** Where a case's files are: one image file per channel (or one 4D file) and an optional label. */
export interface CaseFiles {
  readonly id: string;
  readonly images: readonly string[];
  readonly label: string | null;
}

/** A dataset's description, independent of its on-disk layout. */
export interface DatasetDescription {
  readonly root: string;
  readonly layout: 'msd' | 'nnunet' | 'folders';
  readonly name: string;
  /** Channel names in channel order. */
  readonly modalities: readonly string[];
  /** Label value → name (background included). */
  readonly labels: ReadonlyMap<number, string>;
  readonly training: readonly CaseFiles[];
  readonly test: readonly CaseFiles[];
}

const NII = /\.nii(\.gz)?$/i;
const stripNii = (f: string) => basename(f).replace(NII, '');

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new DatasetError(
      `openDataset(${path}): cannot read dataset.json`,
      [{ caseId: '<dataset>', problem: 'dataset.json unreadable' }],
      { cause: e },
    );
  }
  try {
    const j = JSON.parse(text) as unknown;
    if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new Error('not an object');
    return j as Record<string, unknown>;
  } catch (e) {
    throw new DatasetError(
      `openDataset(${path}): dataset.json is not a JSON object`,
      [{ caseId: '<dataset>', problem: 'invalid JSON' }],
      { cause: e },
    );
  }
}

function labelMap(entries: [number, string][], where: string): Map<number, string> {
  const bad = entries.filter(([v]) => !Number.isInteger(v) || v < 0);
  if (bad.length)
    throw datasetError(
      where,
      bad.map(([v, n]) => ({
        caseId: '<dataset>',
        problem: `label '${n}' has value ${v}, expected a non-negative integer`,
      })),
    );
  return new Map(entries.sort((a, b) => a[0] - b[0]));
}

/** Medical Segmentation Decathlon: dataset.json with `modality`, `labels` {value: name}, `training` [{image, label}], `test` [path]. */
export async function describeMsd(root: string): Promise<DatasetDescription> {
  const j = await readJson(join(root, 'dataset.json'));
  const where = `openDataset(${root}) [msd]`;
  const problems: DatasetProblem[] = [];
  if (!Array.isArray(j.training))
    problems.push({ caseId: '<dataset>', problem: "dataset.json has no 'training' list" });
  if (typeof j.labels !== 'object' || j.labels === null)
    problems.push({ caseId: '<dataset>', problem: "dataset.json has no 'labels' object" });
  if (problems.length) throw datasetError(where, problems);
  const modality = (j.modality ?? { 0: 'image' }) as Record<string, string>;
  const modalities = Object.keys(modality)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => String(modality[k]));
  const labels = labelMap(
    Object.entries(j.labels as Record<string, string>).map(([k, v]) => [Number(k), String(v)]),
    where,
  );
  const training = (j.training as { image?: string; label?: string }[]).map((t, i) => {
    if (typeof t?.image !== 'string' || typeof t?.label !== 'string') {
      problems.push({ caseId: `training[${i}]`, problem: "entry needs string 'image' and 'label'" });
      return null;
    }
    return { id: stripNii(t.image), images: [resolve(root, t.image)], label: resolve(root, t.label) };
  });
  const test = ((j.test ?? []) as unknown[]).map((t) => {
    const p = typeof t === 'string' ? t : String((t as { image?: string })?.image);
    return { id: stripNii(p), images: [resolve(root, p)], label: null };
  });
  if (problems.length) throw datasetError(where, problems);
  return {
    root,
    layout: 'msd',
    name: String(j.name ?? basename(root)),
    modalities,
    labels,
    training: training as CaseFiles[],
    test,
  };
}

/** nnU-Net v2: dataset.json with `channel_names`, `labels` {name: value}, `file_ending`; imagesTr/<case>_<XXXX><ending>, labelsTr/<case><ending>. */
export async function describeNnunet(root: string): Promise<DatasetDescription> {
  const j = await readJson(join(root, 'dataset.json'));
  const where = `openDataset(${root}) [nnunet]`;
  const channels = j.channel_names as Record<string, string> | undefined;
  if (!channels || typeof j.labels !== 'object' || j.labels === null) {
    throw datasetError(where, [
      { caseId: '<dataset>', problem: "dataset.json needs 'channel_names' and 'labels'" },
    ]);
  }
  const modalities = Object.keys(channels)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => String(channels[k]));
  const labels = labelMap(
    Object.entries(j.labels as Record<string, number | number[]>).map(([name, v]) => [
      Array.isArray(v) ? v[0]! : Number(v),
      name,
    ]),
    where,
  );
  const ending = String(j.file_ending ?? '.nii.gz');
  const scan = async (dir: string, withLabels: boolean): Promise<CaseFiles[]> => {
    if (!(await exists(join(root, dir)))) return [];
    const files = (await readdir(join(root, dir))).filter((f) => f.endsWith(ending));
    const ids = [...new Set(files.map((f) => f.slice(0, -ending.length).replace(/_\d{4}$/, '')))].sort();
    return ids.map((id) => ({
      id,
      images: modalities.map((_, c) => join(root, dir, `${id}_${String(c).padStart(4, '0')}${ending}`)),
      label: withLabels ? join(root, 'labelsTr', `${id}${ending}`) : null,
    }));
  };
  const training = await scan('imagesTr', true);
  if (typeof j.numTraining === 'number' && j.numTraining !== training.length) {
    throw datasetError(where, [
      {
        caseId: '<dataset>',
        problem: `numTraining is ${j.numTraining} but imagesTr holds ${training.length} case(s)`,
      },
    ]);
  }
  return {
    root,
    layout: 'nnunet',
    name: String(j.name ?? basename(root)),
    modalities,
    labels,
    training,
    test: await scan('imagesTs', false),
  };
}

/** Plain folders: images/<id>.nii(.gz) and labels/<id>.nii(.gz) with the same names; label names from options. */
export async function describeFolders(
  root: string,
  labels?: ReadonlyMap<number, string>,
): Promise<DatasetDescription> {
  const imgs = (await readdir(join(root, 'images'))).filter((f) => NII.test(f)).sort();
  const labs = (await exists(join(root, 'labels')))
    ? (await readdir(join(root, 'labels'))).filter((f) => NII.test(f))
    : [];
  const labById = new Map(labs.map((f) => [stripNii(f), join(root, 'labels', f)]));
  const problems: DatasetProblem[] = [];
  const training = imgs.map((f) => {
    const id = stripNii(f);
    const label = labById.get(id);
    if (!label) problems.push({ caseId: id, problem: `missing label file labels/${id}.nii.gz` });
    return { id, images: [join(root, 'images', f)], label: label ?? null };
  });
  for (const id of labById.keys())
    if (!imgs.some((f) => stripNii(f) === id))
      problems.push({ caseId: id, problem: `label without image images/${id}.nii.gz` });
  if (problems.length) throw datasetError(`openDataset(${root}) [folders]`, problems);
  return {
    root,
    layout: 'folders',
    name: basename(root),
    modalities: ['image'],
    labels: labels ?? new Map(),
    training,
    test: [],
  };
}

/** Detects the layout: dataset.json with 'training' → msd, with 'channel_names' → nnunet, images/ folder → folders. */
export async function detectLayout(root: string): Promise<DatasetDescription['layout']> {
  if (await exists(join(root, 'dataset.json'))) {
    const j = await readJson(join(root, 'dataset.json'));
    if ('channel_names' in j) return 'nnunet';
    if ('training' in j) return 'msd';
    throw datasetError(`openDataset(${root})`, [
      {
        caseId: '<dataset>',
        problem: "dataset.json has neither 'training' (MSD) nor 'channel_names' (nnU-Net v2)",
      },
    ]);
  }
  if (await exists(join(root, 'images'))) return 'folders';
  throw datasetError(`openDataset(${root})`, [
    {
      caseId: '<dataset>',
      problem: 'no dataset.json and no images/ folder: not an MSD, nnU-Net or folder dataset',
    },
  ]);
}
