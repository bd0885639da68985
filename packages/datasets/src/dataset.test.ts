import { withTempDir } from '@voxnas/testing';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatePhantomDataset } from './phantom.js';
import { readNifti, writeNifti } from '@voxnas/volume/node';
import { createVolume } from '@voxnas/volume';
import { openDataset } from './dataset.js';
import { DatasetError } from './dataset-error.js';
import { writeFoldersFixture, writeNnunetFixture } from '../test/fixtures.js';

const SHAPE: [number, number, number] = [13, 11, 9];

async function expectDatasetError(p: Promise<unknown>, root: string): Promise<string> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DatasetError);
  expect((e as DatasetError).code).toBe('E_DATASET');
  return (e as Error).message.split(root).join('<root>');
}

describe('openDataset', () => {
  it('MSD layout from the phantom generator: ids, modalities, labels, 4D images, label grids', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset({ dir, cases: 3, testCases: 1, shape: SHAPE, seed: 2 });
      const ds = await openDataset(dir);
      expect(ds.layout).toBe('msd');
      expect(ds.caseIds).toEqual(['phantom_000', 'phantom_001', 'phantom_002']);
      expect(ds.test.map((c) => c.id)).toEqual(['phantom_003']);
      expect(ds.modalities).toEqual(['contrast0', 'contrast1']);
      expect([...ds.labels]).toEqual([
        [0, 'background'],
        [1, 'ellipsoid'],
        [2, 'box'],
        [3, 'tube'],
      ]);
      const c = await ds.loadCase('phantom_001');
      expect(c.image.channels).toBe(2);
      expect(c.image.shape).toEqual(SHAPE);
      expect(c.label!.kind).toBe('label');
      expect(new Set(c.label!.data)).toEqual(new Set([0, 1, 2, 3]));
      expect([c.image.affine[0], c.image.affine[5], c.image.affine[10]]).toEqual([1, 1, 1.5]);
      const t = await ds.loadCase('phantom_003');
      expect(t.label).toBeNull();
    });
  });

  it('the phantom generator is deterministic per seed', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset({ dir: join(dir, 'a'), cases: 1, shape: SHAPE, seed: 5 });
      await generatePhantomDataset({ dir: join(dir, 'b'), cases: 1, shape: SHAPE, seed: 5 });
      await generatePhantomDataset({ dir: join(dir, 'c'), cases: 1, shape: SHAPE, seed: 6 });
      const [a, b, c] = await Promise.all(
        ['a', 'b', 'c'].map((d) => readNifti(join(dir, d, 'imagesTr', 'phantom_000.nii.gz'))),
      );
      expect(Array.from(b!.data)).toEqual(Array.from(a!.data));
      expect(Array.from(c!.data)).not.toEqual(Array.from(a!.data));
    });
  });

  it('nnU-Net v2 layout: channels from _0000/_0001 files, labels by name', async () => {
    await withTempDir(async (dir) => {
      await writeNnunetFixture(dir, 3);
      const ds = await openDataset(dir);
      expect(ds.layout).toBe('nnunet');
      expect(ds.caseIds).toEqual(['case_0', 'case_1', 'case_2']);
      expect(ds.modalities).toEqual(['T1', 'T2']);
      expect(ds.labels.get(2)).toBe('box');
      const c = await ds.loadCase('case_1');
      expect(c.image.channels).toBe(2);
      const ch1 = await readNifti(join(dir, 'imagesTr', 'case_1_0001.nii.gz'));
      const n = SHAPE[0] * SHAPE[1] * SHAPE[2];
      expect(Array.from(c.image.data.subarray(n))).toEqual(Array.from(ch1.data));
    });
  });

  it('folder pairs: ids from file names, label names inferred from the values', async () => {
    await withTempDir(async (dir) => {
      await writeFoldersFixture(dir, 2);
      const ds = await openDataset(dir);
      expect(ds.layout).toBe('folders');
      expect(ds.caseIds).toEqual(['s0', 's1']);
      expect(ds.modalities).toEqual(['image']);
      expect([...ds.labels.values()]).toEqual(['background', 'class_1', 'class_2', 'class_3']);
    });
  });

  it('a missing file is named by case id', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset({ dir, cases: 2, shape: SHAPE });
      await rm(join(dir, 'labelsTr', 'phantom_001.nii.gz'));
      expect(await expectDatasetError(openDataset(dir), dir)).toMatchInlineSnapshot(`
        "openDataset(<root>) [msd]: 1 problem(s)
          - phantom_001: missing file labelsTr/phantom_001.nii.gz"
      `);
    });
  });

  it('grid mismatch, undeclared label values and a corrupt file are all reported at open', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset({ dir, cases: 3, shape: SHAPE });
      const lab = await readNifti(join(dir, 'labelsTr', 'phantom_000.nii.gz'), { kind: 'label' });
      const shifted = Float64Array.from(lab.affine);
      shifted[3] = shifted[3]! + 2;
      await writeNifti(
        createVolume({ data: lab.data, shape: lab.shape, affine: shifted, kind: 'label' }),
        join(dir, 'labelsTr', 'phantom_000.nii.gz'),
      );
      const bad = Uint8Array.from(lab.data, (v) => (v === 3 ? 7 : v));
      await writeNifti(
        createVolume({ data: bad, shape: lab.shape, affine: lab.affine, kind: 'label' }),
        join(dir, 'labelsTr', 'phantom_001.nii.gz'),
      );
      const bytes = await readFile(join(dir, 'imagesTr', 'phantom_002.nii.gz'));
      await writeFile(join(dir, 'imagesTr', 'phantom_002.nii.gz'), bytes.subarray(0, bytes.length >> 1));
      const msg = await expectDatasetError(openDataset(dir), dir);
      expect(msg.split('\n').slice(0, 3).join('\n')).toMatchInlineSnapshot(`
        "openDataset(<root>) [msd]: 3 problem(s)
          - phantom_000: label affine differs from the image affine by up to 2 (tolerance 0.001 mm): not on the same grid
          - phantom_001: label values [7] are not declared (declared: 0, 1, 2, 3)"
      `);
      expect(msg).toMatch(/phantom_002: unreadable: /);
    });
  });

  it('open with validate: false defers checks (and never reads a case)', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset({ dir, cases: 2, shape: SHAPE });
      await rm(join(dir, 'imagesTr', 'phantom_000.nii.gz'));
      const ds = await openDataset(dir, { validate: false });
      expect(ds.caseIds).toHaveLength(2);
      await expect(ds.loadCase('nope')).rejects.toThrow(DatasetError);
    });
  });

  it('bad dataset.json is rejected clearly', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'dataset.json'), JSON.stringify({ name: 'x' }));
      expect(await expectDatasetError(openDataset(dir), dir)).toMatchInlineSnapshot(`
        "openDataset(<root>): 1 problem(s)
          - <dataset>: dataset.json has neither 'training' (MSD) nor 'channel_names' (nnU-Net v2)"
      `);
    });
  });
});
