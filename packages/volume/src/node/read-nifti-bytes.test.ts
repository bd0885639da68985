import { withTempDir } from '@voxnas/testing';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createVolume } from '@voxnas/volume';
import { onNiftiFileRead, readNiftiBytes } from './read-nifti-bytes.js';
import { readNifti, readNiftiWithHeader } from './read-nifti.js';
import { writeNifti } from './write-nifti.js';

describe('onNiftiFileRead', () => {
  it('hears every file read from disk once per read, and nothing after the listener is removed', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'a.nii.gz');
      await writeNifti(createVolume({ data: Float32Array.from({ length: 60 }, (_, i) => i), shape: [5, 4, 3] }), path);
      const seen: string[] = [];
      const stop = onNiftiFileRead(({ path: p, bytes }) => {
        expect(bytes).toBeGreaterThan(0);
        seen.push(p);
      });
      const bytes = await readNiftiBytes(path);
      const fromBytes = await readNifti(bytes); // decoding bytes reads nothing
      await readNifti(path);
      await readNiftiWithHeader(path);
      stop();
      await readNifti(path);
      expect(seen).toEqual([path, path, path]);
      expect(Array.from(fromBytes.data)).toEqual(Array.from((await readNifti(path)).data));
    });
  });

  it('readNiftiBytes names the file it cannot read', async () => {
    await expect(readNiftiBytes('/nonexistent/x.nii.gz')).rejects.toThrowErrorMatchingInlineSnapshot(
      `[NiftiFormatError: readNifti(x.nii.gz): cannot read /nonexistent/x.nii.gz (ENOENT)]`,
    );
  });
});
