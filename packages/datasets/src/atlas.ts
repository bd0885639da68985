import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { datasetError } from './dataset-error.js';
import { InvalidArgumentError } from '@voxnas/core';
import { readNifti, writeNifti } from '@voxnas/volume/node';
import { allocData, createVolume, type Volume } from '@voxnas/volume';

/** Debian `mricron-data` install location. */
export const MRICRON_TEMPLATES = '/usr/share/mricron/templates';

/** One class of an atlas task: the atlas ids merged into it, per hemisphere. */
export interface AtlasClass {
  readonly name: string;
  readonly left: readonly number[];
  readonly right: readonly number[];
}

/** A task definition: which T1 and label files, which structures. */
export interface AtlasTaskSpec {
  readonly task: string;
  readonly image: string;
  readonly labels: string;
  readonly classes: readonly AtlasClass[];
  readonly description: string;
}

/**
 * Human: Colin27 T1 (brain-extracted `ch2bet`) + AAL, ids from `aal.nii.txt` (Caudate_L 71 / _R 72,
 * Putamen 73/74, Pallidum 75/76, Thalamus 77/78).
 */
export const HUMAN_DEEP_GREY: AtlasTaskSpec = {
  task: 'human-deep-grey',
  image: 'ch2bet.nii.gz',
  labels: 'aal.nii.gz',
  classes: [
    { name: 'caudate', left: [71], right: [72] },
    { name: 'putamen', left: [73], right: [74] },
    { name: 'pallidum', left: [75], right: [76] },
    { name: 'thalamus', left: [77], right: [78] },
  ],
  description: 'Colin27 (ch2bet) with AAL deep grey structures (Tzourio-Mazoyer et al. 2002)',
};

/**
 * Macaque: inia19 T1 + NeuroMaps basal ganglia. `mricron-data` ships no NeuroMaps names file; the ids
 * come from the inia19 distribution's `inia19-NeuroMaps.txt` (82 l_caudate_nucleus, 98 l_putamen,
 * 162 l_lateral_globus_pallidus, 171 l_medial_globus_pallidus; right = left + 1000). Ids absent from
 * the volume (171 in this release) are skipped; each class must be present in both hemispheres.
 */
export const MACAQUE_BASAL_GANGLIA: AtlasTaskSpec = {
  task: 'macaque-basal-ganglia',
  image: 'inia19-t1-brain.nii.gz',
  labels: 'inia19-NeuroMaps.nii.gz',
  classes: [
    { name: 'caudate', left: [82], right: [1082] },
    { name: 'putamen', left: [98], right: [1098] },
    { name: 'pallidum', left: [162, 171], right: [1162, 1171] },
  ],
  description: 'inia19 rhesus macaque template with NeuroMaps basal ganglia (Rohlfing et al. 2012, CC-BY)',
};

/** What `buildAtlasTask` wrote and the mirror baseline it measured. */
export interface AtlasTaskReport {
  readonly task: string;
  readonly dir: string;
  readonly caseIds: readonly [string, string];
  readonly shape: readonly [number, number, number];
  /** Voxel index of the midline plane (world x = 0), dropped from both cases. */
  readonly midlineVoxel: number;
  /** Dice of the left hemisphere's labels mirrored onto the right, per class name, and their mean. */
  readonly mirrorDice: Readonly<Record<string, number>>;
  readonly meanMirrorDice: number;
}

/**
 * Builds a two-case segmentation task (one case per hemisphere) from an atlas and writes it as an MSD
 * dataset in `outDir/<task>`:
 * - the midline plane (world x = 0) is dropped; each case is the hemisphere from the midline outwards,
 *   cropped (with `marginVoxels`) to the box around the structures of both hemispheres;
 * - the **right** hemisphere is mirrored in voxel space so both cases share orientation (medial side at
 *   high x); its affine's x column is negated, so world coordinates stay true (the right case is stored
 *   "LAS-like") — geometry is exact, only the voxel order differs;
 * - labels merge the listed atlas ids per class (1..K); everything else is background.
 * It also reports the "mirror the other hemisphere's labels" Dice baseline — any model must beat it.
 *
 * @example
 * const r = await buildAtlasTask({ spec: HUMAN_DEEP_GREY, outDir: '/tmp/atlas' });
 * r.mirrorDice; // { caudate: 0.8…, putamen: 0.8…, … }
 */
export async function buildAtlasTask(o: {
  spec: AtlasTaskSpec;
  outDir: string;
  templatesDir?: string;
  marginVoxels?: number;
}): Promise<AtlasTaskReport> {
  const { spec } = o;
  const dir = o.templatesDir ?? MRICRON_TEMPLATES;
  const margin = o.marginVoxels ?? 4;
  const where = `buildAtlasTask(${spec.task})`;
  const [t1, atlas] = await Promise.all([
    readNifti(join(dir, spec.image)),
    readNifti(join(dir, spec.labels), { kind: 'label' }),
  ]);
  if (
    !t1.shape.every((n, i) => n === atlas.shape[i]) ||
    t1.affine.some((v, i) => Math.abs(v - atlas.affine[i]!) > 1e-3)
  ) {
    throw datasetError(where, [
      { caseId: spec.task, problem: `${spec.image} and ${spec.labels} are not on the same grid` },
    ]);
  }
  const A = t1.affine;
  if (Math.abs(A[1]!) + Math.abs(A[2]!) + Math.abs(A[4]!) + Math.abs(A[8]!) > 1e-6 || !(A[0]! > 0)) {
    throw new InvalidArgumentError(
      `${where}: expected an axis-aligned affine with +x to the right, got first row [${Array.from(A.subarray(0, 4)).join(', ')}]`,
    );
  }
  const m = Math.round(-A[3]! / A[0]!);
  const [nx, ny, nz] = atlas.shape;
  // Class lookup for each hemisphere.
  const lut = (side: 'left' | 'right') => {
    const map = new Map<number, number>();
    spec.classes.forEach((c, k) => c[side].forEach((id) => map.set(id, k + 1)));
    return map;
  };
  const L = lut('left'),
    R = lut('right');
  const counts = spec.classes.map(() => [0, 0]);
  let x1 = 0,
    y0 = ny,
    y1 = -1,
    z0 = nz,
    z1 = -1;
  const lab = atlas.data;
  for (let z = 0, i = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++, i++) {
        const v = lab[i]!;
        const k = L.get(v) ?? R.get(v);
        if (k === undefined) continue;
        counts[k - 1]![L.has(v) ? 0 : 1]!++;
        x1 = Math.max(x1, Math.abs(x - m));
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
        z0 = Math.min(z0, z);
        z1 = Math.max(z1, z);
      }
  const missing = spec.classes.filter((_, k) => counts[k]![0] === 0 || counts[k]![1] === 0);
  if (missing.length) {
    throw datasetError(
      where,
      missing.map((c) => ({
        caseId: spec.task,
        problem: `class '${c.name}' (ids ${[...c.left, ...c.right].join(', ')}) is missing from one hemisphere of ${spec.labels}`,
      })),
    );
  }
  const W = Math.min(x1 + margin, m, nx - 1 - m);
  y0 = Math.max(0, y0 - margin);
  y1 = Math.min(ny - 1, y1 + margin);
  z0 = Math.max(0, z0 - margin);
  z1 = Math.min(nz - 1, z1 + margin);
  const shape: [number, number, number] = [W, y1 - y0 + 1, z1 - z0 + 1];
  const cut = (v: Volume, side: 'left' | 'right', map?: Map<number, number>): Volume => {
    const n = shape[0] * shape[1] * shape[2];
    const out = map ? new Uint8Array(n) : allocData(v.dtype, n);
    let j = 0;
    for (let z = z0; z <= z1; z++)
      for (let y = y0; y <= y1; y++)
        for (let i = 0; i < W; i++, j++) {
          const x = side === 'left' ? m - W + i : m + W - i;
          const val = v.data[x + y * nx + z * nx * ny]!;
          out[j] = map ? (map.get(val) ?? 0) : val;
        }
    const a = Float64Array.from(A);
    const xs = side === 'left' ? m - W : m + W;
    if (side === 'right') for (const r of [0, 4, 8]) a[r] = -A[r]!;
    for (let r = 0; r < 3; r++)
      a[r * 4 + 3] = A[r * 4 + 3]! + A[r * 4]! * xs + A[r * 4 + 1]! * y0 + A[r * 4 + 2]! * z0;
    return createVolume({ data: out, shape, affine: a, kind: map ? 'label' : 'image' });
  };
  const root = join(o.outDir, spec.task);
  await mkdir(join(root, 'imagesTr'), { recursive: true });
  await mkdir(join(root, 'labelsTr'), { recursive: true });
  const ids: [string, string] = [`${spec.task}_left`, `${spec.task}_right`];
  const labels: Volume[] = [];
  for (const [side, id] of [
    ['left', ids[0]],
    ['right', ids[1]],
  ] as const) {
    const lv = cut(atlas, side, side === 'left' ? L : R);
    labels.push(lv);
    await writeNifti(cut(t1, side), join(root, 'imagesTr', `${id}.nii.gz`));
    await writeNifti(lv, join(root, 'labelsTr', `${id}.nii.gz`));
  }
  const mirrorDice: Record<string, number> = {};
  spec.classes.forEach((c, k) => {
    let a = 0,
      b = 0,
      both = 0;
    const la = labels[0]!.data,
      lb = labels[1]!.data;
    for (let i = 0; i < la.length; i++) {
      const p = la[i] === k + 1,
        q = lb[i] === k + 1;
      if (p) a++;
      if (q) b++;
      if (p && q) both++;
    }
    mirrorDice[c.name] = (2 * both) / (a + b);
  });
  const meanMirrorDice = Object.values(mirrorDice).reduce((s, d) => s + d, 0) / spec.classes.length;
  const json = {
    name: spec.task,
    description: `${spec.description}. One case per hemisphere, midline dropped, right hemisphere mirrored in voxel space (affine x column negated). Mirror-baseline Dice: ${JSON.stringify(mirrorDice)}`,
    reference: 'built by @voxnas/volume buildAtlasTask from Debian mricron-data',
    tensorImageSize: '3D',
    modality: { 0: 'T1' },
    labels: Object.fromEntries([['0', 'background'], ...spec.classes.map((c, k) => [String(k + 1), c.name])]),
    numTraining: 2,
    numTest: 0,
    training: ids.map((id) => ({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` })),
    test: [],
  };
  await writeFile(join(root, 'dataset.json'), JSON.stringify(json, null, 2));
  return { task: spec.task, dir: root, caseIds: ids, shape, midlineVoxel: m, mirrorDice, meanMirrorDice };
}
