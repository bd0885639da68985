import { withTempDir } from '@voxnas/testing';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createVolume } from '@voxnas/volume';
import { readNifti, writeNifti } from '@voxnas/volume/node';
import { openDataset } from './dataset.js';
import { DatasetError } from './dataset-error.js';
import { fingerprintDataset } from './fingerprint.js';
import { writeSyntheticDataset } from '../test/synthetic-datasets.js';

async function failure(p: Promise<unknown>, root: string): Promise<string> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DatasetError);
  return (e as Error).message.split(root).join('<root>');
}

describe('fingerprintDataset: bad input is a DatasetError naming the case', () => {
  it("one case's channels on different spacings (nnU-Net layout)", async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'imagesTr'), { recursive: true });
      await mkdir(join(dir, 'labelsTr'), { recursive: true });
      const shape: [number, number, number] = [6, 5, 4];
      const n = 6 * 5 * 4;
      const at = (s: number) => [s, 0, 0, 0, 0, s, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1];
      for (const [id, s1] of [['good', 1], ['bad', 1.2]] as const) {
        await writeNifti(createVolume({ data: new Float32Array(n).fill(1), shape, affine: at(1) }), join(dir, 'imagesTr', `${id}_0000.nii.gz`));
        await writeNifti(createVolume({ data: new Float32Array(n).fill(2), shape, affine: at(s1) }), join(dir, 'imagesTr', `${id}_0001.nii.gz`));
        await writeNifti(createVolume({ data: new Uint8Array(n).fill(1), shape, affine: at(1), kind: 'label' }), join(dir, 'labelsTr', `${id}.nii.gz`));
      }
      await writeFile(join(dir, 'dataset.json'), JSON.stringify({ channel_names: { 0: 'T1', 1: 'FLAIR' }, labels: { background: 0, lesion: 1 }, file_ending: '.nii.gz' }));
      const ds = await openDataset(dir, { validate: 'files' });
      expect(await failure(fingerprintDataset(ds), dir)).toMatchInlineSnapshot(`
        "loadCase(bad): 1 problem(s)
          - bad: channel 1 (imagesTr/bad_0001.nii.gz) is on grid [6, 5, 4]×1 at 1.2×1.2×2 mm, expected [6, 5, 4]×1 at 1×1×2 mm with the same affine as channel 0"
      `);
    });
  });

  it('a label value that dataset.json does not declare', async () => {
    await withTempDir(async (dir) => {
      await writeSyntheticDataset(dir, { modality: 'mri', cases: [{ shape: [9, 8, 4], spacingMm: [1, 1, 3] }, { shape: [9, 8, 4], spacingMm: [1, 1, 3] }], seed: 1 });
      const path = join(dir, 'labelsTr', 'case_001.nii.gz');
      const lab = await readNifti(path);
      await writeNifti(createVolume({ ...lab, data: Uint8Array.from(lab.data, (v, i) => (i === 17 ? 7 : v)) }), path);
      const ds = await openDataset(dir, { validate: 'files' });
      expect(await failure(fingerprintDataset(ds), dir)).toMatchInlineSnapshot(`
        "fingerprint(synthetic-mri): 1 problem(s)
          - case_001: label values [7] are not declared (declared: 0, 1, 2)"
      `);
    });
  });
});
