import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { createVolume, type Volume } from '@voxnas/volume';
import { writeNifti } from '@voxnas/volume/node';

type Vec3 = [number, number, number];

/**
 * The planted tasks: segmentation problems whose best operators are known by construction, so a search
 * can be checked against the right answer (docs/method.md "Planted tasks").
 *
 * - `in-plane`: thick, independent slices (default 1 × 1 × 4 mm). Every z-slice holds its own disks
 *   (class 1, radius 3–5 voxels) and bars (class 2, 2 voxels wide, 8–14 long, along x or y) of the same
 *   intensity, at positions drawn independently of the neighbouring slices, so a shape can only be told
 *   from in-plane context and anything a kernel sees across slices is unrelated to the voxel it labels.
 *   In-plane operators (`conv-3x3x1`, `p3d-3x3x1`) should win the normal cells.
 * - `long-range`: identical blobs whose class is decided far away. The volume has two halves along y;
 *   each half has a bright plate on one x face, the low-x face in one half and the high-x face in the
 *   other (which half gets which is drawn per case). A blob (1–2 per half, never crossing the middle) is
 *   class 1 when its half's plate is on the low-x face and class 2 when it is on the high-x face, and it
 *   lies at least `margin` voxels from either face's plate. So every case holds both classes (a split of
 *   the cases cannot leave one class out of training), and the label of a blob voxel depends on voxels
 *   more than `margin` away: operators that widen the receptive field (`dil-conv-3x3x3`) should win.
 *   (Until 2026-12-03 a case had one plate and one class; 12 cases of seed 0 held class 2 in 1 of fold
 *   0's 6 training cases and in none of one inner split, so no network could learn it.)
 */
export type PlantedTask = 'in-plane' | 'long-range';

/** The known answer of each planted task: the operator family a search should favour. */
export const PLANTED_FAMILIES: Readonly<Record<PlantedTask, readonly string[]>> = Object.freeze({
  'in-plane': Object.freeze(['conv-3x3x1', 'p3d-3x3x1']),
  'long-range': Object.freeze(['dil-conv-3x3x3']),
});

/** The class names of each planted task (label value = index). */
export const PLANTED_LABELS: Readonly<Record<PlantedTask, readonly string[]>> = Object.freeze({
  'in-plane': Object.freeze(['background', 'disk', 'bar']),
  'long-range': Object.freeze(['background', 'blob-low-x-plate', 'blob-high-x-plate']),
});

/** Options of {@link generatePlantedCase}. */
export interface PlantedCaseOptions {
  readonly task: PlantedTask;
  /** Voxel grid [x, y, z]. Default [32, 32, 16]. */
  readonly shape?: Vec3;
  /** Voxel size in mm. Default [1, 1, 4] (`in-plane`), [1.5, 1.5, 1.5] (`long-range`). */
  readonly spacingMm?: Vec3;
  /** Noise σ relative to the object contrast. Default 0.15. */
  readonly noise?: number;
  /** `long-range`: smallest distance in voxels along x between a blob and the plate. Default 8. */
  readonly margin?: number;
}

const OBJECT = 1.0;
const BACKGROUND = 0.2;
const PLATE = 1.6;

/**
 * One case of a planted task (see {@link PlantedTask}): a 1-channel float32 image and its label map on
 * an RAS grid centred on the world origin. Deterministic for `rng`.
 *
 * @throws InvalidArgumentError for an unknown task or a grid too small for the task.
 * @example
 * const { image, label } = generatePlantedCase(new Rng(1), { task: 'in-plane' });
 */
export function generatePlantedCase(rng: Rng, options: PlantedCaseOptions): { image: Volume<'float32'>; label: Volume<'uint8'> } {
  const task = options.task;
  if (task !== 'in-plane' && task !== 'long-range') {
    throw new InvalidArgumentError(`generatePlantedCase: task is '${String(task)}', expected 'in-plane' or 'long-range'`);
  }
  const shape = options.shape ?? [32, 32, 16];
  const spacing = options.spacingMm ?? (task === 'in-plane' ? [1, 1, 4] : [1.5, 1.5, 1.5]);
  const margin = options.margin ?? 8;
  const minimum = task === 'in-plane' ? [16, 16, 2] : [2 * margin + 12, 16, 8];
  if (!shape.every((n, a) => Number.isInteger(n) && n >= minimum[a]!)) {
    throw new InvalidArgumentError(
      `generatePlantedCase(${task}): shape is [${shape.join(', ')}], expected integers ≥ [${minimum.join(', ')}]`,
    );
  }
  const [nx, ny, nz] = shape;
  const label = new Uint8Array(nx * ny * nz);
  const image = new Float32Array(nx * ny * nz).fill(BACKGROUND);
  if (task === 'in-plane') fillInPlane(rng, shape, label, image);
  else fillLongRange(rng, shape, margin, label, image);
  const noise = options.noise ?? 0.15;
  for (let i = 0; i < image.length; i++) image[i] = image[i]! + noise * rng.normal();
  const affine = Float64Array.from([
    spacing[0], 0, 0, (-(nx - 1) / 2) * spacing[0],
    0, spacing[1], 0, (-(ny - 1) / 2) * spacing[1],
    0, 0, spacing[2], (-(nz - 1) / 2) * spacing[2],
    0, 0, 0, 1,
  ]);
  return {
    image: createVolume({ data: image, shape, affine }),
    label: createVolume({ data: label, shape, affine, kind: 'label' }),
  };
}

/**
 * Independent disks (1) and bars (2) per slice, same intensity, disks drawn first so every bar stays
 * whole. A disk and a bar differ within a few voxels (a bar is 2 wide), so small networks learn the task
 * in a few hundred steps; disks against squares of equal area, which differ only at the corners, were
 * not learned by any network at that budget.
 */
function fillInPlane(rng: Rng, [nx, ny, nz]: Vec3, label: Uint8Array, image: Float32Array): void {
  const put = (x: number, y: number, z: number, cls: number) => {
    if (x < 0 || y < 0 || x >= nx || y >= ny) return;
    const i = x + nx * (y + ny * z);
    label[i] = cls;
    image[i] = OBJECT;
  };
  for (let z = 0; z < nz; z++) {
    const objects = rng.int(2, 5);
    const classes = Array.from({ length: objects }, (_, o) => (o < 2 ? o + 1 : rng.int(1, 3))); // both classes in every slice
    for (const cls of [...classes].sort((a, b) => a - b)) {
      if (cls === 1) {
        const r = rng.uniform(3, 5);
        const cx = rng.uniform(r, nx - 1 - r);
        const cy = rng.uniform(r, ny - 1 - r);
        for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++)
          for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) put(x, y, z, 1);
      } else {
        const length = Math.min(rng.int(8, 15), nx - 2, ny - 2);
        const alongX = rng.float() < 0.5;
        const [lx, ly] = alongX ? [length, 2] : [2, length];
        const x0 = rng.int(1, nx - lx);
        const y0 = rng.int(1, ny - ly);
        for (let y = y0; y < y0 + ly; y++) for (let x = x0; x < x0 + lx; x++) put(x, y, z, 2);
      }
    }
  }
}

/**
 * Two y-halves, each with a plate (2 voxels thick) on one x face — low x in one half, high x in the other
 * — and 1–2 ellipsoidal blobs per half, inside the half and ≥ margin voxels from both faces' plates.
 */
function fillLongRange(rng: Rng, [nx, ny, nz]: Vec3, margin: number, label: Uint8Array, image: Float32Array): void {
  const lowFirst = rng.float() < 0.5; // the low-x plate in the half y < ny / 2
  const half = Math.floor(ny / 2);
  // Blobs live in x ∈ [2 + margin, nx − 3 − margin] (both plates' margins, so the position says nothing).
  const xLo = 2 + margin;
  const xHi = nx - 3 - margin;
  for (const [yLo, yHi, low] of [
    [0, half - 1, lowFirst],
    [half, ny - 1, !lowFirst],
  ] as const) {
    const cls = low ? 1 : 2;
    const plate = low ? [0, 1] : [nx - 2, nx - 1];
    for (let z = 0; z < nz; z++)
      for (let y = yLo; y <= yHi; y++) for (const x of plate) image[x + nx * (y + ny * z)] = PLATE;
    const blobs = rng.int(1, 3);
    for (let b = 0; b < blobs; b++) {
      const r: Vec3 = [rng.uniform(2, 3.5), Math.min(rng.uniform(2, 4), (yHi - yLo) / 2), rng.uniform(2, 4)];
      const c: Vec3 = [rng.uniform(xLo + r[0], xHi - r[0]), rng.uniform(yLo + r[1], yHi - r[1]), rng.uniform(r[2], nz - 1 - r[2])];
      for (let z = Math.floor(c[2] - r[2]); z <= Math.ceil(c[2] + r[2]); z++)
        for (let y = Math.floor(c[1] - r[1]); y <= Math.ceil(c[1] + r[1]); y++)
          for (let x = Math.floor(c[0] - r[0]); x <= Math.ceil(c[0] + r[0]); x++) {
            if (x < xLo || y < yLo || z < 0 || x > xHi || y > yHi || z >= nz) continue;
            if (((x - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((z - c[2]) / r[2]) ** 2 > 1) continue;
            const i = x + nx * (y + ny * z);
            label[i] = cls;
            image[i] = OBJECT;
          }
    }
  }
}

/** Options of {@link generatePlantedDataset}. */
export interface PlantedDatasetOptions extends PlantedCaseOptions {
  /** Output directory (created). */
  readonly dir: string;
  /** Training cases (default 8). */
  readonly cases?: number;
  /** Root seed (default 0); case k uses `new Rng(seed).fork('<task>-<k>')`. */
  readonly seed?: number;
}

/**
 * Writes a planted task as an MSD-layout dataset (`dataset.json`, `imagesTr/`, `labelsTr/`), one
 * modality, the task's class names. Deterministic for `seed`.
 *
 * @example
 * const root = await generatePlantedDataset({ dir: '/tmp/in-plane', task: 'in-plane', cases: 8, seed: 1 });
 */
export async function generatePlantedDataset(o: PlantedDatasetOptions): Promise<string> {
  const cases = o.cases ?? 8;
  if (!(Number.isInteger(cases) && cases >= 1)) {
    throw new InvalidArgumentError(`generatePlantedDataset: cases must be a positive integer, got ${cases}`);
  }
  const root = new Rng(o.seed ?? 0);
  await mkdir(join(o.dir, 'imagesTr'), { recursive: true });
  await mkdir(join(o.dir, 'labelsTr'), { recursive: true });
  const training: Array<{ image: string; label: string }> = [];
  const prefix = o.task === 'in-plane' ? 'inplane' : 'longrange';
  for (let k = 0; k < cases; k++) {
    const id = `${prefix}_${String(k).padStart(3, '0')}`;
    const { image, label } = generatePlantedCase(root.fork(`${o.task}-${k}`), o);
    await writeNifti(image, join(o.dir, 'imagesTr', `${id}.nii.gz`));
    await writeNifti(label, join(o.dir, 'labelsTr', `${id}.nii.gz`));
    training.push({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` });
  }
  const json = {
    name: `Planted ${o.task}`,
    description: `voxnas planted task '${o.task}' (seed ${o.seed ?? 0}); favoured operators: ${PLANTED_FAMILIES[o.task].join(', ')}`,
    reference: 'generated by @voxnas/datasets generatePlantedDataset',
    licence: 'CC0',
    tensorImageSize: '3D',
    modality: { '0': 'synthetic' },
    labels: Object.fromEntries(PLANTED_LABELS[o.task].map((name, k) => [String(k), name])),
    numTraining: cases,
    numTest: 0,
    training,
    test: [],
  };
  await writeFile(join(o.dir, 'dataset.json'), JSON.stringify(json, null, 2));
  return o.dir;
}
