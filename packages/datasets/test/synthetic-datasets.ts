import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng } from '@voxnas/core';
import { createVolume } from '@voxnas/volume';
import { writeNifti } from '@voxnas/volume/node';

type Vec3 = [number, number, number];

/** One synthetic case: its grid and spacing. */
export interface SyntheticCase {
  readonly shape: Vec3;
  readonly spacingMm: Vec3;
}

/**
 * @internal Test fixture: writes an MSD-layout dataset of synthetic cases with known spacings.
 * - `ct`: int16 Hounsfield units — air (−1000) around a soft-tissue body (40 HU), an organ (label 1,
 *   60 HU), a bone ball (label 2, ~1000 HU) and a two-voxel vessel (label 3, 200 HU); nothing is 0.
 * - `mri`: float32, zero background around a head (300), a lesion (label 1, 500) and a small spot
 *   (label 2, 700), with multiplicative noise; cropping to non-zero removes a large part.
 * Every case has a permuted, flipped affine so axes cannot be confused. Returns the root.
 */
export async function writeSyntheticDataset(
  dir: string,
  o: { modality: 'ct' | 'mri'; cases: readonly SyntheticCase[]; seed: number },
): Promise<string> {
  await mkdir(join(dir, 'imagesTr'), { recursive: true });
  await mkdir(join(dir, 'labelsTr'), { recursive: true });
  const training: { image: string; label: string }[] = [];
  const root = new Rng(o.seed);
  for (let k = 0; k < o.cases.length; k++) {
    const { shape, spacingMm: sp } = o.cases[k]!;
    const rng = root.fork(`case-${k}`);
    const [nx, ny, nz] = shape;
    const n = nx * ny * nz;
    const img = o.modality === 'ct' ? new Int16Array(n) : new Float32Array(n);
    const lab = new Uint8Array(n);
    const jitter = () => rng.uniform(-0.05, 0.05);
    const organ = [0.42 + jitter(), 0.45 + jitter(), 0.5 + jitter()];
    const bone = [0.66 + jitter(), 0.6 + jitter(), 0.5 + jitter()];
    const vessel = [Math.floor(nx * 0.3), Math.floor(ny * 0.7)];
    for (let z = 0, i = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++, i++) {
          const u = [(x + 0.5) / nx, (y + 0.5) / ny, (z + 0.5) / nz];
          const body = ((u[0]! - 0.5) / 0.42) ** 2 + ((u[1]! - 0.5) / 0.4) ** 2 + ((u[2]! - 0.5) / 0.6) ** 2 <= 1;
          const inOrgan = ((u[0]! - organ[0]!) / 0.16) ** 2 + ((u[1]! - organ[1]!) / 0.14) ** 2 + ((u[2]! - organ[2]!) / 0.3) ** 2 <= 1;
          const inBone = ((u[0]! - bone[0]!) / 0.1) ** 2 + ((u[1]! - bone[1]!) / 0.1) ** 2 + ((u[2]! - bone[2]!) / 0.25) ** 2 <= 1;
          const inVessel = (x === vessel[0] || x === vessel[0]! + 1) && (y === vessel[1] || y === vessel[1]! + 1) && u[2]! > 0.15 && u[2]! < 0.85;
          let c = 0;
          if (body && inOrgan) c = 1;
          if (body && inBone) c = 2;
          if (body && inVessel && o.modality === 'ct') c = 3;
          if (o.modality === 'mri' && body && ((u[0]! - 0.62) / 0.07) ** 2 + ((u[1]! - 0.35) / 0.07) ** 2 + ((u[2]! - 0.5) / 0.45) ** 2 <= 1) c = 2;
          lab[i] = c;
          if (o.modality === 'ct') {
            const hu = !body ? -1000 + 4 * rng.normal() : c === 1 ? 60 + 10 * rng.normal() : c === 2 ? 1000 + 200 * rng.normal() : c === 3 ? 200 + 20 * rng.normal() : 40 + 15 * rng.normal();
            img[i] = Math.round(hu);
          } else {
            img[i] = !body ? 0 : (c === 1 ? 500 : c === 2 ? 700 : 300) * (1 + 0.08 * rng.normal());
          }
        }
      }
    }
    // voxel x → world −x, voxel y → world z, voxel z → world y (spacing stays [sx, sy, sz])
    const affine = [-sp[0], 0, 0, 20 + 3 * k, 0, 0, sp[2], -15, 0, sp[1], 0, 7, 0, 0, 0, 1];
    const id = `case_${String(k).padStart(3, '0')}`;
    await writeNifti(createVolume({ data: img, shape, affine }), join(dir, 'imagesTr', `${id}.nii.gz`));
    await writeNifti(createVolume({ data: lab, shape, affine, kind: 'label' }), join(dir, 'labelsTr', `${id}.nii.gz`));
    training.push({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` });
  }
  const labels = o.modality === 'ct' ? { 0: 'background', 1: 'organ', 2: 'bone', 3: 'vessel' } : { 0: 'background', 1: 'lesion', 2: 'spot' };
  await writeFile(
    join(dir, 'dataset.json'),
    JSON.stringify({ name: `synthetic-${o.modality}`, modality: { 0: o.modality === 'ct' ? 'CT' : 'T2' }, labels, numTraining: training.length, training, test: [] }),
  );
  return dir;
}
