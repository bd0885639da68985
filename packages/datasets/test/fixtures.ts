import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generatePhantomCase } from '../src/phantom-case.js';
import { Rng } from '@voxnas/core';
import { createVolume } from '@voxnas/volume';
import { writeNifti } from '@voxnas/volume/node';

const SHAPE: [number, number, number] = [13, 11, 9];

/** @internal Writes a small nnU-Net v2 dataset of phantom cases (2 channels as _0000/_0001 files). */
export async function writeNnunetFixture(dir: string, cases = 3): Promise<void> {
  for (const d of ['imagesTr', 'labelsTr']) await mkdir(join(dir, d), { recursive: true });
  for (let k = 0; k < cases; k++) {
    const id = `case_${k}`;
    const { image, label } = generatePhantomCase(new Rng(k), { shape: SHAPE });
    const n = SHAPE[0] * SHAPE[1] * SHAPE[2];
    for (let c = 0; c < 2; c++) {
      const ch = createVolume({
        data: image.data.slice(c * n, (c + 1) * n),
        shape: SHAPE,
        affine: image.affine,
      });
      await writeNifti(ch, join(dir, 'imagesTr', `${id}_${String(c).padStart(4, '0')}.nii.gz`));
    }
    await writeNifti(label, join(dir, 'labelsTr', `${id}.nii.gz`));
  }
  await writeFile(
    join(dir, 'dataset.json'),
    JSON.stringify({
      channel_names: { 0: 'T1', 1: 'T2' },
      labels: { background: 0, ellipsoid: 1, box: 2, tube: 3 },
      numTraining: cases,
      file_ending: '.nii.gz',
    }),
  );
}

/** @internal Writes a small images/ + labels/ folder dataset (1 channel). */
export async function writeFoldersFixture(dir: string, cases = 3): Promise<void> {
  for (const d of ['images', 'labels']) await mkdir(join(dir, d), { recursive: true });
  for (let k = 0; k < cases; k++) {
    const { image, label } = generatePhantomCase(new Rng(10 + k), { shape: SHAPE, modalities: 1 });
    await writeNifti(image, join(dir, 'images', `s${k}.nii.gz`));
    await writeNifti(label, join(dir, 'labels', `s${k}.nii.gz`));
  }
}
